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

// BenchmarkAppendEscaped escapes a denial message of the usual kind: plain
// text with quotes and the odd newline.
func BenchmarkAppendEscaped(b *testing.B) {
	s := "palisade denied Deployment shop/checkout (profile defaults, denies high and above):\n- [privileged-container] critical container \"debug-agent\" spec.template.spec.containers[2].securityContext.privileged: container \"debug-agent\" runs privileged (securityContext.privileged=true). Fix: Remove securityContext.privileged and grant only the specific capabilities the container needs."
	buf := make([]byte, 0, 1024)
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		buf = AppendEscaped(buf[:0], s)
	}
}
