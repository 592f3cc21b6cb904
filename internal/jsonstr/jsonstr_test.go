package jsonstr

import (
	"encoding/json"
	"testing"
)

// FuzzAppend holds Append to encoding/json, byte for byte: the webhook
// writes its responses' strings itself, and must write what encoding/json
// (and json-iterator with EscapeHTML, as the webhook configures it) would.
func FuzzAppend(f *testing.F) {
	for _, s := range []string{"", "plain", `"quoted" \ back`, "tab\tnew\nline\r\b\f\x00\x1f\x7f", "<script>&amp;</script>",
		"é 日本 \u2028 \u2029 \U0001F600", "bad \xff\xfe utf-8 \xe2\x80", "\xed\xa0\x80 surrogate"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := Append(nil, s); string(got) != string(want) {
			t.Fatalf("Append(%q) = %s, encoding/json writes %s", s, got, want)
		}
	})
}
