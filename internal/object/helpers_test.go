package object

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// readTestdata returns the bytes of testdata/name.
func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// lineCount is the number of lines in data as Decode counts them: line
// feeds end lines, and the text after the last one (even if empty) is a
// line too.
func lineCount(data []byte) int { return bytes.Count(data, []byte{'\n'}) + 1 }

// checkResult asserts what holds for every Result: each object has an
// apiVersion, a kind and a line inside the input, each error names the file
// and a line inside the input, and each skipped document a line inside it.
func checkResult(t testing.TB, file string, data []byte, res *Result) {
	t.Helper()
	n := lineCount(data)
	for _, o := range res.Objects {
		if o.APIVersion == "" || o.Kind == "" {
			t.Errorf("object %s at line %d has no apiVersion or kind", o.Ref(), o.Line)
		}
		if o.Line < 1 || o.Line > n {
			t.Errorf("object %s: line %d outside 1..%d", o.Ref(), o.Line, n)
		}
		if o.Source.File != file {
			t.Errorf("object %s: file %q, want %q", o.Ref(), o.Source.File, file)
		}
		if (o.Typed == nil) == (o.Generic == nil) {
			t.Errorf("object %s: exactly one of Typed and Generic must be set", o.Ref())
		}
		if pos, _ := o.Position(""); pos.Line != o.Line {
			t.Errorf("object %s: root position %v, want line %d", o.Ref(), pos, o.Line)
		}
	}
	for _, e := range res.Errors {
		if e.File != file {
			t.Errorf("error %q: file %q, want %q", e, e.File, file)
		}
		if e.Line < 1 || e.Line > n {
			t.Errorf("error %q: line %d outside 1..%d", e, e.Line, n)
		}
		if e.Msg == "" {
			t.Errorf("error at line %d has no message", e.Line)
		}
	}
	for _, s := range res.Skipped {
		if s.File != file || s.Line < 1 || s.Line > n || s.Doc < 0 {
			t.Errorf("bad skipped entry %+v (file %q, %d lines)", s, file, n)
		}
	}
}

// loc returns the position of the first occurrence of part inside the
// only occurrence of context in src. Columns count characters.
func loc(t testing.TB, src []byte, context, part string) Position {
	t.Helper()
	s := string(src)
	i := strings.Index(s, context)
	if i < 0 || strings.Count(s, context) != 1 {
		t.Fatalf("context %q occurs %d times, want once", context, strings.Count(s, context))
	}
	j := strings.Index(context, part)
	if j < 0 {
		t.Fatalf("%q is not in %q", part, context)
	}
	off := i + j
	lineStart := strings.LastIndexByte(s[:off], '\n') + 1
	return Position{Line: strings.Count(s[:off], "\n") + 1, Column: utf8.RuneCountInString(s[lineStart:off]) + 1}
}

// textAt returns the text of src from pos to the end of its line.
func textAt(src []byte, pos Position) string {
	lines := strings.Split(string(src), "\n")
	if pos.Line < 1 || pos.Line > len(lines) {
		return ""
	}
	r := []rune(strings.TrimSuffix(lines[pos.Line-1], "\r"))
	if pos.Column < 1 || pos.Column > len(r)+1 {
		return ""
	}
	return string(r[pos.Column-1:])
}

// checkAllPositions walks every field and item of o (as decoded) and checks
// that each one with a recorded position is written there: a key starts
// with its name (perhaps quoted), an item with something other than a blank.
// It returns how many positions it checked.
func checkAllPositions(t testing.TB, src []byte, o *Object) int {
	t.Helper()
	var tree any = o.Generic
	if o.Typed != nil {
		b, err := json.Marshal(o.Typed)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &tree); err != nil {
			t.Fatal(err)
		}
	}
	checked := 0
	var walk func(p Path, v any)
	walk = func(p Path, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, child := range v {
				cp := p.Field(k)
				if pos, ok := o.Position(cp); ok {
					checked++
					text := textAt(src, pos)
					if !strings.HasPrefix(text, k) && !strings.HasPrefix(text, `"`+k) && !strings.HasPrefix(text, `'`+k) {
						t.Errorf("%s: %s at %d:%d, but the text there is %q", o.Ref(), cp, pos.Line, pos.Column, text)
					}
				}
				walk(cp, child)
			}
		case []any:
			for i, child := range v {
				cp := p.Index(i)
				if pos, ok := o.Position(cp); ok {
					checked++
					if text := textAt(src, pos); text == "" || text[0] == ' ' || text[0] == '\t' {
						t.Errorf("%s: %s at %d:%d, but the text there is %q", o.Ref(), cp, pos.Line, pos.Column, text)
					}
				}
				walk(cp, child)
			}
		}
	}
	walk("", tree)
	return checked
}
