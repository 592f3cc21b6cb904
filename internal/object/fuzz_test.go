package object

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// maxFuzzInput bounds the inputs FuzzDecode tries, so that each runs in
// well under a second.
const maxFuzzInput = 64 << 10

// FuzzDecode decodes arbitrary input: Decode must not panic or hang, every
// object must have an apiVersion, a kind and a line inside the input, and
// every error a file and a line inside the input.
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.*"))
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		"",
		"---\n---\n...\n",
		"%YAML 1.2\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\n",
		"--- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n...\n# c\n",
		"apiVersion: v1\rkind: ConfigMap\r---\rapiVersion: v1\rkind: Secret\r",
		"apiVersion: v1\nkind: ConfigMap\ndata: {a: \"\u2028\"}\u2028b: c\n",
		"\xef\xbb\xbfapiVersion: v1\nkind: ConfigMap\n",
		"\xff\xfea\x00:\x00 \x00b\x00\n\x00",
		"\xfe\xff\x00a\x00:\x00 \x00b\x00\n",
		"apiVersion: v1\nkind: List\nitems:\n- &i {apiVersion: v1, kind: Pod, metadata: {name: a}}\n- *i\n- <<: *i\n  metadata: {name: b}\n",
		"apiVersion: apps/v1\nkind: DeploymentList\nitems:\n- metadata: {name: d}\n  spec: {replicas: x}\n",
		"apiVersion: v1\nkind: ConfigMap\na: &a [x, x]\nb: &b [*a, *a]\nc: &c [*b, *b]\ndata: *c\n",
		"apiVersion: v1\nkind: ConfigMap\nm: &m {<<: *m}\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: &m {name: a, labels: *m}\n",
		"apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: c\n    resources: {limits: {cpu: lots}}\n    ports: [{containerPort: http}]\n",
		"apiVersion: v1\nkind: Pod\nspec: {hostPID: yes, hostNetwork: !!bool on, activeDeadlineSeconds: .inf}\n",
		"apiVersion: v1\nkind: ConfigMap\nkind: Secret\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n\tname: tab\n",
		"apiVersion: v1\nkind: ConfigMap\ndata:\n  ? [complex]\n  : key\n",
		"apiVersion: x/v1\nkind: X\nspec: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
		"apiVersion: x/v1\nkind: X\nn: [0o17, 0x1f, 1_000, 1e3, .5, 123456789012345678901234567890, !!int x, !!float y]\n",
		"a: b\n--- \ufeff\nc: d\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxFuzzInput {
			t.Skip()
		}
		start := time.Now()
		res := Decode("fuzz.yaml", data)
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("Decode took %v for %d bytes", d, len(data))
		}
		checkResult(t, "fuzz.yaml", data, res)
		n := lineCount(data)
		for _, o := range res.Objects {
			checkPositionsInRange(t, o, n)
			if pt, ok := o.PodTemplate(); ok {
				if pt.Spec == nil || pt.Meta == nil {
					t.Fatalf("%s: incomplete pod template", o.Ref())
				}
				for _, c := range pt.Containers() {
					if _, err := c.Path.Elems(); err != nil {
						t.Fatalf("%s: container path: %v", o.Ref(), err)
					}
				}
			}
			_, _ = o.Labels(), o.Annotations()
		}
		NewSet(res.Objects).Namespaces()
	})
}

// checkPositionsInRange looks up the position of every field of o (as
// decoded) and checks it lies inside the input's n lines.
func checkPositionsInRange(t *testing.T, o *Object, n int) {
	t.Helper()
	var walk func(p Path, v any, depth int)
	walk = func(p Path, v any, depth int) {
		if depth > 64 {
			return
		}
		if pos, _ := o.Position(p); pos.Line < 1 || pos.Line > n || pos.Column < 1 {
			t.Fatalf("%s: %s at %v, outside the %d lines", o.Ref(), p, pos, n)
		}
		switch v := v.(type) {
		case map[string]any:
			for k, c := range v {
				walk(p.Field(k), c, depth+1)
			}
		case []any:
			for i, c := range v {
				walk(p.Index(i), c, depth+1)
			}
		}
	}
	walk("", o.Generic, 0)
	if o.Typed != nil {
		for _, p := range []Path{"metadata.name", "spec", "spec.template.spec.containers[0].image", "spec.containers[3]", `metadata.labels["a.b"]`} {
			if pos, _ := o.Position(p); pos.Line < 1 || pos.Line > n {
				t.Fatalf("%s: %s at %v, outside the %d lines", o.Ref(), p, pos, n)
			}
		}
	}
}
