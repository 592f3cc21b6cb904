package fix

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/palisade-dev/palisade/internal/rule"
)

// fuzzSeeds are documents in the styles the editor must handle.
var fuzzSeeds = []string{
	"apiVersion: v1\nkind: Pod\nmetadata:\n  name: a # c\nspec:\n  containers:\n  - name: a\n    image: x\n    securityContext:\n      privileged: true\n",
	"a:\n    b: [1, 2, {c: d}]\n    e: {f: g, h: [i]}\n    # foot\nl:\n  - x\n  -   y: 1\n      z: 2\n",
	"{\n  \"a\": {\n    \"b\": [1, 2],\n    \"c\": {}\n  },\n  \"d\": []\n}\n",
	"base: &b\n  x: 1\n  y: [1]\nuse:\n  <<: *b\n  z: 3\nalias: *b\n",
	"s: |\n  keep\n\n  me\nt: >-\n  folded\n  text\nu: plain\n  continued\nv: 'q''s'\nw: \"e\\\"s\"\n",
	"a: 1\r\nb:\r\n- c\r\n- d: e\r\n",
	"k: v",
	"--- # doc\nm: {}\nn: []\no:\np: ~\n...\n",
}

// fuzzValues are the values fuzzed operations write.
var fuzzValues = []any{
	true, 0, "s", "yes", "a: b", "x, y", "", nil, []any{}, map[string]any{},
	[]any{"ALL"}, map[string]any{"type": "RuntimeDefault"}, map[string]any{"a": []any{1, map[string]any{"b": "c"}}},
}

// FuzzApply applies operations chosen by the fuzzer to documents and
// checks that the editor never panics, and that whatever it accepts leaves
// text that parses to exactly the patched value.
func FuzzApply(f *testing.F) {
	for i, s := range fuzzSeeds {
		f.Add(s, []byte{byte(i), 1, 2, 3, 4, 5, 6, 7})
	}
	f.Fuzz(runFuzzCase)
}

func runFuzzCase(t *testing.T, src string, choices []byte) {
	{
		if len(src) > 4096 || len(choices) > 64 {
			return
		}
		d, err := parseDoc([]byte(src), nil)
		if err != nil || unusualBreaks([]byte(src)) {
			return
		}
		v, err := nodeValue(d.root)
		if err != nil || len(allPaths(v, nil)) > 2000 {
			return // aliases can expand a short text into a huge value
		}
		obs := newStyleObs()
		obs.observe(d)
		st := obs.style(&style{indent: 2, itemGap: 2, eol: lineEnding([]byte(src)), jsonIndent: "  ", jsonSpace: true}, isJSONDoc(d))
		ds := &docState{text: []byte(src), value: v, st: st}
		next := func() int {
			if len(choices) == 0 {
				return 0
			}
			c := int(choices[0])
			choices = choices[1:]
			return c
		}
		for len(choices) > 0 {
			paths := allPaths(ds.value, nil)
			if len(paths) == 0 {
				return
			}
			p := paths[next()%len(paths)]
			val := fuzzValues[next()%len(fuzzValues)]
			var op rule.PatchOp
			switch next() % 4 {
			case 0:
				op = rule.PatchOp{Op: "remove", Path: pointer(p)}
			case 1:
				op = rule.PatchOp{Op: "replace", Path: pointer(p), Value: val}
			case 2:
				op = rule.PatchOp{Op: "add", Path: pointer(append(slices.Clip(p), "new"+itoa(next()%3))), Value: val}
			default:
				op = rule.PatchOp{Op: "add", Path: pointer(append(slices.Clip(p), "-")), Value: val}
			}
			ap := newApplier(ds, nil, "", 0, map[string]touch{})
			if err := ap.apply([]rule.PatchOp{op}); err != nil {
				continue
			}
			ap.commit()
			out, err := parseDoc(ds.text, st)
			if err != nil {
				t.Fatalf("after %v the text does not parse: %v\n%s", op, err, ds.text)
			}
			got, err := nodeValue(out.root)
			if err != nil || !equal(got, ds.value) {
				gb, _ := json.Marshal(got)
				wb, _ := json.Marshal(ds.value)
				t.Fatalf("after %v the text holds %s, want %s (%v)\n%s", op, gb, wb, err, ds.text)
			}
		}
	}
}

// allPaths lists the paths of every value in v.
func allPaths(v any, at []string) [][]string {
	out := [][]string{at}
	switch v := v.(type) {
	case map[string]any:
		for _, k := range keysOfMap(v) {
			out = append(out, allPaths(v[k], append(slices.Clip(at), k))...)
		}
	case []any:
		for i, x := range v {
			out = append(out, allPaths(x, append(slices.Clip(at), itoa(i)))...)
		}
	}
	return out
}
