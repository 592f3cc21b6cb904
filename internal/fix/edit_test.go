package fix

import (
	"errors"
	"strings"
	"testing"

	"github.com/palisade-dev/palisade/internal/rule"
)

// applyText applies ops to the single document src as the fixer does and
// checks that the edited text holds exactly the patched value.
func applyText(t *testing.T, src string, ops ...rule.PatchOp) (string, error) {
	t.Helper()
	d, err := parseDoc([]byte(src), nil)
	if err != nil {
		t.Fatalf("test document does not parse: %v", err)
	}
	obs := newStyleObs()
	obs.observe(d)
	st := obs.style(&style{indent: 2, itemGap: 2, eol: lineEnding([]byte(src)), jsonIndent: "  ", jsonSpace: true}, isJSONDoc(d))
	v, err := nodeValue(d.root)
	if err != nil {
		t.Fatal(err)
	}
	ds := &docState{text: []byte(src), value: v, st: st}
	kind, _ := get(v, []string{"kind"})
	ks, _ := kind.(string)
	ap := newApplier(ds, nil, ks, 0, map[string]touch{})
	if err := ap.apply(ops); err != nil {
		return "", err
	}
	ap.commit()
	out, err := parseDoc(ds.text, st)
	if err != nil {
		t.Fatalf("edited text does not parse: %v\n%s", err, ds.text)
	}
	got, err := nodeValue(out.root)
	if err != nil || !equal(got, ds.value) {
		t.Fatalf("edited text does not hold the patched value (%v):\n%s", err, ds.text)
	}
	return string(ds.text), nil
}

func set(path string, v any) rule.PatchOp { return rule.PatchOp{Op: "add", Path: path, Value: v} }
func del(path string) rule.PatchOp        { return rule.PatchOp{Op: "remove", Path: path} }

func TestEdits(t *testing.T) {
	tests := []struct {
		name string
		src  string
		ops  []rule.PatchOp
		want string // or the start of the error, after "error: "
	}{
		{
			name: "scalar replaced in place with its comment",
			src:  "a: 1   # one\nb: 2\n",
			ops:  []rule.PatchOp{set("/a", 5)},
			want: "a: 5   # one\nb: 2\n",
		},
		{
			name: "double quotes kept",
			src:  "a: \"IfNotPresent\"\n",
			ops:  []rule.PatchOp{set("/a", "Always")},
			want: "a: \"Always\"\n",
		},
		{
			name: "single quotes kept and escaped",
			src:  "a: 'x'\n",
			ops:  []rule.PatchOp{set("/a", "it's")},
			want: "a: 'it''s'\n",
		},
		{
			name: "string that reads as a boolean is quoted",
			src:  "a: x\n",
			ops:  []rule.PatchOp{set("/a", "on")},
			want: "a: \"on\"\n",
		},
		{
			name: "tag dropped, anchor kept",
			src:  "a: &x !!str true\n",
			ops:  []rule.PatchOp{set("/a", false)},
			want: "a: &x false\n",
		},
		{
			name: "empty value filled",
			src:  "a:\nb: 1\n",
			ops:  []rule.PatchOp{set("/a", "v")},
			want: "a: v\nb: 1\n",
		},
		{
			name: "null replaced by a mapping",
			src:  "sc:\nb: 1\n",
			ops:  []rule.PatchOp{set("/sc", map[string]any{"x": true})},
			want: "sc:\n  x: true\nb: 1\n",
		},
		{
			name: "key appended at the indentation of its siblings",
			src:  "top:\n    a: 1\n    b: 2\nc: 3\n",
			ops:  []rule.PatchOp{set("/top/z", []string{"p", "q"})},
			want: "top:\n    a: 1\n    b: 2\n    z:\n    - p\n    - q\nc: 3\n",
		},
		{
			name: "securityContext goes after image",
			src:  "kind: Pod\nspec:\n  containers:\n  - name: a\n    image: x\n    command: [sh]\n",
			ops:  []rule.PatchOp{set("/spec/containers/0/securityContext", map[string]any{"privileged": false})},
			want: "kind: Pod\nspec:\n  containers:\n  - name: a\n    image: x\n    securityContext:\n      privileged: false\n    command: [sh]\n",
		},
		{
			name: "key inserted before its successor and the successor's comment",
			src:  "kind: Pod\nspec:\n  # the containers\n  containers:\n  - name: a\n",
			ops:  []rule.PatchOp{set("/spec/hostNetwork", false)},
			want: "kind: Pod\nspec:\n  hostNetwork: false\n  # the containers\n  containers:\n  - name: a\n",
		},
		{
			name: "empty flow mapping becomes block",
			src:  "sc: {}\nb: 1\n",
			ops:  []rule.PatchOp{set("/sc/x", 1)},
			want: "sc:\n  x: 1\nb: 1\n",
		},
		{
			name: "flow mapping stays flow",
			src:  "sc: {a: 1, b: 2}\n",
			ops:  []rule.PatchOp{set("/sc/c", "x, y")},
			want: "sc: {a: 1, b: 2, c: \"x, y\"}\n",
		},
		{
			name: "key removed with the comment above it",
			src:  "a: 1 # keep\n# about b\nb: 2\nc: 3\n",
			ops:  []rule.PatchOp{del("/b")},
			want: "a: 1 # keep\nc: 3\n",
		},
		{
			name: "last key removed leaves an empty mapping",
			src:  "sc:\n  p: true\nn: 1\n",
			ops:  []rule.PatchOp{del("/sc/p")},
			want: "sc: {}\nn: 1\n",
		},
		{
			name: "first key of a sequence item removed",
			src:  "l:\n- name: a\n  image: b\n",
			ops:  []rule.PatchOp{del("/l/0/name")},
			want: "l:\n- image: b\n",
		},
		{
			name: "block item removed",
			src:  "l:\n  - a\n  # about b\n  - b\n  - c\n",
			ops:  []rule.PatchOp{del("/l/1")},
			want: "l:\n  - a\n  - c\n",
		},
		{
			name: "flow items removed",
			src:  "l: [a, b, c]\nm: [x]\n",
			ops:  []rule.PatchOp{del("/l/2"), del("/l/0"), del("/m/0")},
			want: "l: [b]\nm: []\n",
		},
		{
			name: "items appended and inserted",
			src:  "l:\n- a\nf: [x]\n",
			ops:  []rule.PatchOp{set("/l/-", "b"), set("/l/0", "z"), set("/f/-", "y")},
			want: "l:\n- z\n- a\n- b\nf: [x, \"y\"]\n",
		},
		{
			name: "mapping item appended in the sequence's style",
			src:  "l:\n  -   name: a\n      v: 1\n",
			ops:  []rule.PatchOp{set("/l/-", map[string]any{"name": "b", "v": 2})},
			want: "l:\n  -   name: a\n      v: 1\n  -   name: b\n      v: 2\n",
		},
		{
			name: "block scalar of a sibling kept",
			src:  "s: |\n  one\n\n  two\nb: 1\n",
			ops:  []rule.PatchOp{set("/b", 2), set("/c", true)},
			want: "s: |\n  one\n\n  two\nb: 2\nc: true\n",
		},
		{
			name: "block scalar replaced",
			src:  "s: >-\n  folded\n  text\nb: 1\n",
			ops:  []rule.PatchOp{set("/s", "short")},
			want: "s: short\nb: 1\n",
		},
		{
			name: "multi-line plain scalar replaced",
			src:  "s: one\n  two\n  three\nb: 1\n",
			ops:  []rule.PatchOp{set("/s", "x")},
			want: "s: x\nb: 1\n",
		},
		{
			name: "list replaced by its changed items only",
			src:  "drop:\n- NET_RAW # raw sockets\n- CHOWN\n",
			ops:  []rule.PatchOp{set("/drop", []string{"NET_RAW"})},
			want: "drop:\n- NET_RAW # raw sockets\n",
		},
		{
			name: "mapping replaced field by field",
			src:  "c:\n  a: 1 # one\n  b: 2\n",
			ops:  []rule.PatchOp{set("/c", map[string]any{"a": 1, "z": 3})},
			want: "c:\n  a: 1 # one\n  z: 3\n",
		},
		{
			name: "CRLF kept",
			src:  "a: 1\r\nb:\r\n  c: 2\r\n",
			ops:  []rule.PatchOp{set("/b/d", map[string]any{"e": 1})},
			want: "a: 1\r\nb:\r\n  c: 2\r\n  d:\r\n    e: 1\r\n",
		},
		{
			name: "no final line break added",
			src:  "a:\n  b: 1",
			ops:  []rule.PatchOp{set("/a/c", 2)},
			want: "a:\n  b: 1\n  c: 2",
		},
		{
			name: "pretty JSON",
			src:  "{\n  \"a\": 1,\n  \"b\": {\n    \"c\": 2\n  }\n}\n",
			ops:  []rule.PatchOp{set("/b/d", map[string]any{"e": []string{"x"}}), del("/a")},
			want: "{\n  \"b\": {\n    \"c\": 2,\n    \"d\": {\n      \"e\": [\n        \"x\"\n      ]\n    }\n  }\n}\n",
		},
		{
			name: "last JSON member removed with its comma",
			src:  "{\"a\": 1, \"b\": 2}\n",
			ops:  []rule.PatchOp{del("/b")},
			want: "{\"a\": 1}\n",
		},
		{
			name: "minified JSON",
			src:  `{"a":{"b":1}}`,
			ops:  []rule.PatchOp{set("/a/c", "x")},
			want: `{"a":{"b":1,"c":"x"}}`,
		},
		{
			name: "key quoted where needed",
			src:  "m:\n  a: 1\n",
			ops:  []rule.PatchOp{set("/m/yes", "a: b"), set("/m/x#y", "1")},
			want: "m:\n  a: 1\n  \"yes\": \"a: b\"\n  x#y: \"1\"\n",
		},
		{
			name: "merged field overridden by the mapping's own key",
			src:  "base: &b\n  x: 1\n  y: 2\nuse:\n  <<: *b\n  z: 3\n",
			ops:  []rule.PatchOp{set("/use/x", 9)},
			want: "base: &b\n  x: 1\n  y: 2\nuse:\n  <<: *b\n  z: 3\n  x: 9\n",
		},
		{
			name: "merged field not removed",
			src:  "base: &b\n  x: 1\nuse:\n  <<: *b\n  z: 3\n",
			ops:  []rule.PatchOp{del("/use/x")},
			want: "error: field \"x\" comes from a merge key",
		},
		{
			name: "shared anchor not edited",
			src:  "a: &s\n  p: true\nb: *s\n",
			ops:  []rule.PatchOp{set("/a/p", false)},
			want: "error: the field is inside &s",
		},
		{
			name: "alias not edited through",
			src:  "a: &s\n  p: true\nb: *s\n",
			ops:  []rule.PatchOp{set("/b/q", false)},
			want: "error: the field is reached through alias *s",
		},
		{
			name: "an alias replaced as a whole",
			src:  "a: &s\n  p: true\nb: *s\n",
			ops:  []rule.PatchOp{set("/b", map[string]any{"p": false})},
			want: "a: &s\n  p: true\nb:\n  p: false\n",
		},
		{
			name: "anchor definition not removed",
			src:  "a: &s 1\nb: *s\n",
			ops:  []rule.PatchOp{del("/a")},
			want: "error: the field is inside &s",
		},
		{
			name: "name guarded",
			src:  "metadata:\n  name: a\n",
			ops:  []rule.PatchOp{set("/metadata/name", "b")},
			want: "error: fixes may not change metadata.name",
		},
		{
			name: "failed test",
			src:  "a: 1\n",
			ops:  []rule.PatchOp{{Op: "test", Path: "/a", Value: 2}, del("/a")},
			want: "error: test of /a failed",
		},
		{
			name: "missing parent",
			src:  "a: 1\n",
			ops:  []rule.PatchOp{set("/x/y", 1)},
			want: "error: the parent of the field does not exist",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := applyText(t, tc.src, tc.ops...)
			if want, isErr := strings.CutPrefix(tc.want, "error: "); isErr {
				if err == nil || !strings.HasPrefix(err.Error(), want) {
					t.Fatalf("error %v, want %q", err, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

// TestConflicts checks that two fixes of one round combine where they
// agree and conflict where they do not.
func TestConflicts(t *testing.T) {
	src := "kind: Pod\nspec:\n  containers:\n  - name: a\n    image: x\n"
	d, _ := parseDoc([]byte(src), nil)
	v, _ := nodeValue(d.root)
	obs := newStyleObs()
	obs.observe(d)
	ds := &docState{text: []byte(src), value: v, st: obs.style(&style{indent: 2, itemGap: 2, eol: "\n"}, false)}
	touched := map[string]touch{}
	apply := func(fix int, ops ...rule.PatchOp) error {
		ap := newApplier(ds, nil, "Pod", fix, touched)
		if err := ap.apply(ops); err != nil {
			return err
		}
		ap.commit()
		return nil
	}
	sc := "/spec/containers/0/securityContext"
	if err := apply(1, set(sc, map[string]any{"allowPrivilegeEscalation": false})); err != nil {
		t.Fatal(err)
	}
	// A second fix that also creates securityContext adds to it.
	if err := apply(2, set(sc, map[string]any{"capabilities": map[string]any{"drop": []string{"ALL"}}})); err != nil {
		t.Fatal(err)
	}
	// One that agrees changes nothing.
	if err := apply(3, set(sc+"/allowPrivilegeEscalation", false)); err != nil {
		t.Fatal(err)
	}
	// One that disagrees conflicts.
	var c *conflict
	if err := apply(4, set(sc+"/allowPrivilegeEscalation", true)); !errors.As(err, &c) || c.with != 1 {
		t.Fatalf("got %v, want a conflict with fix 1", err)
	}
	if err := apply(5, del(sc)); !errors.As(err, &c) {
		t.Fatalf("got %v, want a conflict", err)
	}
	want := "kind: Pod\nspec:\n  containers:\n  - name: a\n    image: x\n    securityContext:\n      allowPrivilegeEscalation: false\n      capabilities:\n        drop:\n        - ALL\n"
	if string(ds.text) != want {
		t.Errorf("got:\n%s\nwant:\n%s", ds.text, want)
	}
}

func TestKeyOrder(t *testing.T) {
	tests := []struct {
		ctx      string
		existing []string
		key      string
		after    int
		before   int
	}{
		{ctxContainer, []string{"name", "image", "ports"}, "securityContext", 1, -1},
		{ctxContainer, []string{"name", "image", "imagePullPolicy", "ports"}, "securityContext", 2, -1},
		{ctxContainer, []string{"args", "name"}, "image", 1, -1},
		{ctxPodSpec, []string{"containers", "volumes"}, "securityContext", -1, 0},
		{ctxPodSpec, []string{"restartPolicy"}, "hostNetwork", -1, -1},
		{"", []string{"a"}, "b", -1, -1},
	}
	for _, tc := range tests {
		after, before := insertPosition(tc.ctx, tc.existing, tc.key)
		if after != tc.after || before != tc.before {
			t.Errorf("%s %v + %s: after %d before %d, want %d %d", tc.ctx, tc.existing, tc.key, after, before, tc.after, tc.before)
		}
	}
	if got := mappingContext([]string{"spec", "template", "spec", "containers", "0", "securityContext"}, "Deployment", nil); got != ctxContainerSC {
		t.Errorf("container securityContext: %q", got)
	}
	if got := mappingContext([]string{"spec", "template", "spec"}, "Deployment", []string{"containers"}); got != ctxPodSpec {
		t.Errorf("pod spec: %q", got)
	}
}
