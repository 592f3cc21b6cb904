package admission

import (
	"bytes"
	"encoding/json"
	"testing"

	jsoniter "github.com/json-iterator/go"
)

// TestFastSkipIsOn checks that the json-iterator this is built with has
// the fields fastSkip moves, so that the fast path is the one taken.
func TestFastSkipIsOn(t *testing.T) {
	if !iterFields.ok {
		t.Fatal("jsoniter.Iterator has no buf, head, tail, reader or captured field of the expected type: managedFields are skipped the slow way")
	}
	body := []byte(`{"a":[{"f:x":{".":{}}}, 1, "s\"", null],"b":2}`)
	it := reviewJSON.BorrowIterator(body)
	defer reviewJSON.ReturnIterator(it)
	var b int
	it.ReadObjectCB(func(it *jsoniter.Iterator, field string) bool {
		switch field {
		case "a":
			if !fastSkip(it) {
				t.Error("fastSkip did not skip a well-formed array")
			}
		case "b":
			b = it.ReadInt()
		}
		return true
	})
	if it.Error != nil || b != 2 {
		t.Fatalf("after the skip: b = %d, error %v", b, it.Error)
	}
}

// FuzzSkipValue holds skipValue to encoding/json: a whole input is one
// value to skipValue exactly when json.Valid says it is JSON, unless it
// nests deeper than skipValue follows.
func FuzzSkipValue(f *testing.F) {
	for _, s := range []string{`{}`, `[]`, `{"a":[1,-2.5e+3,true,false,null,"x\"\\\/\b\f\n\r\t\u00e9"]}`, ` [ 1 , 2 ] `,
		`[1,]`, `{"a" 1}`, `{"a":1,}`, `01`, `-`, `1.`, `1e`, `"\x"`, `"\u12"`, "\"\x01\"", `[1 2]`, `{"a":{"b":{"c":[[[]]]}}}`, `nul`, `tru`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		end := skipValue(b, 0, 0)
		ours := end >= 0 && skipSpace(b, end) == len(b)
		valid := json.Valid(b)
		switch {
		case ours && !valid:
			t.Fatalf("skipValue accepts %q, which is not JSON", b)
		case !ours && valid && bytes.Count(b, []byte("["))+bytes.Count(b, []byte("{")) <= maxSkipDepth:
			t.Fatalf("skipValue refuses %q, which is JSON (end %d)", b, end)
		}
	})
}
