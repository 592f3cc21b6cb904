package fix

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"
	yaml "go.yaml.in/yaml/v3"

	"github.com/palisade-dev/palisade/internal/engine"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
	"github.com/palisade-dev/palisade/internal/rules"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// corpus returns the manifests of testdata/corpus.
func corpus(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("testdata/corpus/*")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range files {
		if !strings.HasSuffix(f, ".golden") {
			out = append(out, f)
		}
	}
	if len(out) < 50 {
		t.Fatalf("the corpus has %d manifests, want at least 50", len(out))
	}
	return out
}

// broken lists the corpus files that must be left as they are.
var broken = map[string]bool{"broken.yaml": true}

// TestCorpus fixes every manifest of the corpus, with and without unsafe
// fixes, checks the properties every fix must have, and compares the
// unsafe result with the golden file.
func TestCorpus(t *testing.T) {
	scan := scanner(t)
	for _, file := range corpus(t) {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			for _, unsafe := range []bool{false, true} {
				res := File(name, data, Options{Scan: scan, Unsafe: unsafe})
				if broken[name] {
					if res.Err == nil || res.Changed() || !bytes.Equal(res.After, data) {
						t.Fatalf("a broken file was fixed: err %v", res.Err)
					}
					continue
				}
				if res.Err != nil {
					t.Fatalf("unsafe=%v: %v", unsafe, res.Err)
				}
				checkProperties(t, name, data, res, Options{Scan: scan, Unsafe: unsafe})
				if unsafe {
					golden(t, file+".golden", res.After)
				}
			}
		})
	}
}

// checkProperties checks what every fixed file must satisfy.
func checkProperties(t *testing.T, name string, before []byte, res *Result, opts Options) {
	t.Helper()
	unsafe := opts.Unsafe
	after := res.After
	// Idempotent: fixing again changes nothing.
	again := File(name, after, opts)
	if again.Err != nil || again.Changed() {
		t.Errorf("unsafe=%v: a second run changes the file (err %v):\n%s", unsafe, again.Err, diffText(name, after, again.After))
	}
	for _, c := range again.Applied {
		if len(c.Ops) > 0 || c.Created != nil {
			t.Errorf("unsafe=%v: a second run applies %s: %v", unsafe, c.Finding.RuleID, c.Ops)
		}
	}
	// Every fixable finding left is accounted for.
	skipped := map[string]bool{}
	for _, c := range res.Skipped {
		skipped[c.Finding.RuleID+" "+c.Finding.Message] = true
		if c.Reason == "" {
			t.Errorf("skipped %s without a reason", c.Finding.RuleID)
		}
	}
	for _, f := range res.Remaining {
		if opts.Want != nil && !opts.Want(&f) {
			continue
		}
		if fix := builtFix(f); fix != nil && (len(fix.Patch) > 0 || fix.NewObject != nil) && !skipped[f.RuleID+" "+f.Message] {
			t.Errorf("unsafe=%v: fixable finding left without a reason: %s %s", unsafe, f.RuleID, f.Message)
		}
	}
	// The fixed findings are gone.
	for _, c := range res.Applied {
		for _, f := range res.Remaining {
			if f.RuleID == c.Finding.RuleID && f.Path == c.Finding.Path && f.Message == c.Finding.Message {
				t.Errorf("unsafe=%v: %s was fixed but is still reported", unsafe, f.RuleID)
			}
		}
	}
	// Every object decodes to the same value except at the patched paths,
	// by a JSON Patch implementation other than the fixer's.
	objsBefore, objsAfter := documents(t, before), documents(t, after)
	created := 0
	for _, c := range res.Applied {
		if c.Created != nil {
			created++
		}
	}
	seenCreated := map[string]bool{}
	for _, c := range res.Applied {
		if c.Created != nil {
			b, _ := json.Marshal(c.Created)
			seenCreated[string(b)] = true
		}
	}
	if len(objsAfter) != len(objsBefore)+len(seenCreated) {
		t.Fatalf("unsafe=%v: %d objects after fixing, want %d + %d new", unsafe, len(objsAfter), len(objsBefore), len(seenCreated))
	}
	for i, doc := range objsBefore {
		want := doc
		for _, c := range res.Applied {
			if c.Index != i || len(c.Ops) == 0 {
				continue
			}
			patch, err := json.Marshal(c.Ops)
			if err != nil {
				t.Fatal(err)
			}
			p, err := jsonpatch.DecodePatch(patch)
			if err != nil {
				t.Fatal(err)
			}
			want, err = p.ApplyWithOptions(want, &jsonpatch.ApplyOptions{AllowMissingPathOnRemove: false, EnsurePathExistsOnAdd: false, SupportNegativeIndices: false})
			if err != nil {
				t.Fatalf("unsafe=%v: the applied patch of %s does not apply to the original: %v\n%s", unsafe, c.Finding.RuleID, err, patch)
			}
		}
		if !jsonpatch.Equal(want, objsAfter[i]) {
			t.Errorf("unsafe=%v: object %d differs from the original with the patches applied:\nwant %s\ngot  %s", unsafe, i, want, objsAfter[i])
		}
	}
	for _, doc := range objsAfter[len(objsBefore):] {
		var v any
		_ = json.Unmarshal(doc, &v)
		b, _ := json.Marshal(v)
		if !seenCreated[string(b)] {
			t.Errorf("unsafe=%v: unexpected new object %s", unsafe, doc)
		}
	}
	// Documents that no fix touched are byte for byte the same.
	touched := map[int]bool{}
	dec := object.Decode(name, before)
	chunksBefore := splitChunks(bytes.TrimPrefix(before, []byte("\xef\xbb\xbf")))
	for _, c := range res.Applied {
		if len(c.Ops) == 0 {
			continue
		}
		line := dec.Objects[c.Index].Line
		for j, ch := range chunksBefore {
			if line >= ch.line && line < ch.line+bytes.Count(ch.text, []byte{'\n'})+1 {
				touched[j] = true
			}
		}
	}
	chunksAfter := splitChunks(bytes.TrimPrefix(after, []byte("\xef\xbb\xbf")))
	if len(chunksAfter) < len(chunksBefore) {
		t.Fatalf("unsafe=%v: %d documents after fixing, %d before", unsafe, len(chunksAfter), len(chunksBefore))
	}
	for j, ch := range chunksBefore {
		got := chunksAfter[j].text
		if j == len(chunksBefore)-1 && len(seenCreated) > 0 && !bytes.HasSuffix(ch.text, []byte("\n")) {
			// A new document after a last line without a line break
			// needs one.
			got = bytes.TrimSuffix(bytes.TrimSuffix(got, []byte("\n")), []byte("\r"))
		}
		if !touched[j] && !bytes.Equal(ch.text, got) {
			t.Errorf("unsafe=%v: untouched document %d changed:\n%s", unsafe, j, diffText(name, ch.text, chunksAfter[j].text))
		}
	}
	// Line endings, the final line break and the byte order mark stay.
	if bytes.HasSuffix(before, []byte("\n")) != bytes.HasSuffix(after, []byte("\n")) {
		t.Errorf("unsafe=%v: the final line break changed", unsafe)
	}
	if bytes.HasPrefix(before, []byte("\xef\xbb\xbf")) != bytes.HasPrefix(after, []byte("\xef\xbb\xbf")) {
		t.Errorf("unsafe=%v: the byte order mark changed", unsafe)
	}
	if lineEnding(before) == "\r\n" && bytes.Count(after, []byte("\n")) != bytes.Count(after, []byte("\r\n")) {
		t.Errorf("unsafe=%v: a CRLF file got LF line endings", unsafe)
	}
	if strings.HasSuffix(name, ".json") {
		var v any
		if err := json.Unmarshal(after, &v); err != nil {
			t.Errorf("unsafe=%v: a JSON file is no longer JSON: %v", unsafe, err)
		}
	}
}

// documents decodes every Kubernetes object of a file to JSON with
// go.yaml.in/yaml/v3's own decoder, independently of the fixer, in the
// order object.Decode returns them (List items in place of their List).
func documents(t *testing.T, data []byte) [][]byte {
	t.Helper()
	var out [][]byte
	for _, c := range splitChunks(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))) {
		var v any
		if err := yaml.Unmarshal(object.HideYAML12Directive(c.text), &v); err != nil {
			t.Fatalf("document does not parse: %v\n%s", err, c.text)
		}
		m, ok := v.(map[string]any)
		if !ok || m["apiVersion"] == nil || m["kind"] == nil {
			continue
		}
		if items, ok := m["items"].([]any); ok && strings.HasSuffix(m["kind"].(string), "List") {
			for _, item := range items {
				out = append(out, mustJSON(t, item))
			}
			continue
		}
		out = append(out, mustJSON(t, m))
	}
	return out
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func diffText(name string, a, b []byte) string {
	var buf bytes.Buffer
	_ = Diff(&buf, name, a, b)
	return buf.String()
}

// golden compares got with the golden file, or rewrites it with -update.
func golden(t *testing.T, file string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(file, got, 0o600); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("output differs from %s (go test -update refreshes it):\n%s", file, diffText(file, want, got))
	}
}

// TestCorpusCoverage makes sure the corpus exercises the fixes of most
// fixable rules.
func TestCorpusCoverage(t *testing.T) {
	scan := scanner(t)
	fixed := map[string]bool{}
	for _, file := range corpus(t) {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		res := File(filepath.Base(file), data, Options{Scan: scan, Unsafe: true})
		for _, c := range res.Applied {
			if len(c.Ops) > 0 || c.Created != nil {
				fixed[c.Finding.RuleID] = true
			}
		}
	}
	ids := make([]string, 0, len(fixed))
	for id := range fixed {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	t.Logf("%d rules fixed in the corpus: %s", len(ids), strings.Join(ids, " "))
	if len(ids) < 40 {
		t.Errorf("the corpus exercises the fixes of only %d rules", len(ids))
	}
}

// TestEachRule fixes, for every fixable rule, only that rule's findings in
// every corpus file that has one, with unsafe fixes, and checks the same
// properties: rules whose fixes an equivalent rule's fix shadows in a full
// run are exercised on their own here.
func TestEachRule(t *testing.T) {
	if testing.Short() {
		t.Skip("fixes every rule on its own")
	}
	scan := scanner(t)
	type job struct {
		name string
		data []byte
	}
	byRule := map[string][]job{}
	for _, file := range corpus(t) {
		name := filepath.Base(file)
		if broken[name] {
			continue
		}
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		res := File(name, data, Options{Scan: scan, Want: func(*engine.Finding) bool { return false }})
		seen := map[string]bool{}
		for _, f := range res.Remaining {
			if builtFix(f) != nil && !seen[f.RuleID] {
				seen[f.RuleID] = true
				byRule[f.RuleID] = append(byRule[f.RuleID], job{name, data})
			}
		}
	}
	tested := 0
	for _, r := range rules.All() {
		if !r.Fixable {
			continue
		}
		jobs := byRule[r.ID]
		if len(jobs) == 0 {
			continue
		}
		tested++
		t.Run(r.ID, func(t *testing.T) {
			t.Parallel()
			id := r.ID
			opts := Options{Scan: scan, Unsafe: true, Want: func(f *engine.Finding) bool { return f.RuleID == id }}
			for _, j := range jobs {
				res := File(j.name, j.data, opts)
				if res.Err != nil {
					t.Fatalf("%s: %v", j.name, res.Err)
				}
				checkProperties(t, j.name, j.data, res, opts)
				for _, c := range res.Applied {
					if c.Finding.RuleID != id {
						t.Errorf("%s: fixed %s", j.name, c.Finding.RuleID)
					}
				}
			}
		})
	}
	t.Logf("%d fixable rules have findings in the corpus", tested)
}

// builtFix returns the fix of f, built, or nil.
func builtFix(f engine.Finding) *rule.Fix {
	if f.Fix == nil {
		return nil
	}
	return f.Fix()
}
