package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// TestAppendIndent checks appendIndent against json.Indent on the
// compact encodings of values with nesting, empty containers and strings
// holding quotes, escapes, brackets and non-ASCII text.
func TestAppendIndent(t *testing.T) {
	values := []any{
		nil, true, 1.5, "", "plain",
		`quote " and backslash \ and \" together`,
		"brackets [ ] { } , : inside",
		"control \n\t\u0001 and <html> & unicode é 🙂 \u2028",
		[]any{}, map[string]any{}, []any{[]any{}, map[string]any{}},
		map[string]any{"a": []any{1, "x", map[string]any{"b": nil, "c": []any{}}}, "d\"e": map[string]any{"f": "]"}},
		[]any{map[string]any{"op": "add", "path": "/spec/x~1y", "value": map[string]any{"drop": []any{"ALL"}}}},
	}
	for _, v := range values {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			t.Fatal(err)
		}
		src := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
		for _, prefix := range []string{"", "    "} {
			var want bytes.Buffer
			if err := json.Indent(&want, src, prefix, "  "); err != nil {
				t.Fatal(err)
			}
			if got := appendIndent(nil, src, prefix, "  "); !bytes.Equal(got, want.Bytes()) {
				t.Errorf("appendIndent(%s, %q)\ngot  %s\nwant %s", src, prefix, got, want.Bytes())
			}
		}
	}
}

// FuzzAppendIndent compares appendIndent with json.Indent on the compact
// form of any valid JSON.
func FuzzAppendIndent(f *testing.F) {
	f.Add([]byte(`{"a":[1,{"b":"c\"]"},[]],"d":{}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var compact bytes.Buffer
		if json.Compact(&compact, data) != nil {
			return
		}
		var want bytes.Buffer
		if err := json.Indent(&want, compact.Bytes(), ">", "  "); err != nil {
			t.Fatal(err)
		}
		if got := appendIndent(nil, compact.Bytes(), ">", "  "); !bytes.Equal(got, want.Bytes()) {
			t.Errorf("appendIndent(%s)\ngot  %s\nwant %s", compact.Bytes(), got, want.Bytes())
		}
	})
}

// TestWriteJSONStreaming checks that the streamed document, whose items
// are encoded in parallel batches, has the bytes of encoding it whole, for
// counts around the batch and window sizes.
func TestWriteJSONStreaming(t *testing.T) {
	type doc struct {
		Name  string `json:"name"`
		Items []any  `json:"items"`
		After []int  `json:"after"`
	}
	item := func(i int) any {
		return map[string]any{"i": i, "s": strings.Repeat("x", i%7), "nested": []any{i % 3, map[string]any{"even": i%2 == 0}}}
	}
	for _, n := range []int{0, 1, itemBatch - 1, itemBatch, itemBatch + 1, 5*itemBatch + 3, 40 * itemBatch} {
		whole := doc{Name: "<n>", Items: []any{}, After: []int{1, 2}}
		for i := range n {
			whole.Items = append(whole.Items, item(i))
		}
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(whole); err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		if err := WriteJSONStreaming(&got, doc{Name: "<n>", Items: []any{}, After: []int{1, 2}}, "items", n, item); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Errorf("n=%d: streamed document differs from the whole encoding (%d bytes, want %d)", n, got.Len(), want.Len())
		}
	}
}
