package object

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
)

// decodeOK decodes src and fails the test on any input error.
func decodeOK(t *testing.T, file string, src []byte) *Result {
	t.Helper()
	res := Decode(file, src)
	checkResult(t, file, src, res)
	for _, e := range res.Errors {
		t.Errorf("unexpected error: %v", e)
	}
	return res
}

func findObject(t *testing.T, res *Result, kind, name string) *Object {
	t.Helper()
	for _, o := range res.Objects {
		if o.Kind == kind && o.Name == name {
			return o
		}
	}
	t.Fatalf("no %s %s among %d objects", kind, name, len(res.Objects))
	return nil
}

type posCase struct {
	path          Path
	context, part string // where the field is written; see loc
	found         bool   // whether the path itself is written
}

func checkPosCases(t *testing.T, src []byte, o *Object, cases []posCase) {
	t.Helper()
	for _, c := range cases {
		want := loc(t, src, c.context, c.part)
		got, found := o.Position(c.path)
		if got != want || found != c.found {
			t.Errorf("%s: Position(%s) = %v, %v; want %v, %v (%q)", o.Ref(), c.path, got, found, want, c.found, textAt(src, got))
		}
	}
}

func TestDecodeMultiDocument(t *testing.T) {
	src := readTestdata(t, "multi.yaml")
	res := decodeOK(t, "multi.yaml", src)
	if len(res.Objects) != 4 || len(res.Skipped) != 0 {
		t.Fatalf("got %d objects and %d skipped, want 4 and 0", len(res.Objects), len(res.Skipped))
	}
	// Documents are numbered as a YAML parser numbers them: the
	// comment-only document between the Deployment and the Service counts.
	wantDocs := map[string]int{"Namespace": 0, "Deployment": 1, "Service": 3, "ConfigMap": 4}
	for _, o := range res.Objects {
		if o.Source.Doc != wantDocs[o.Kind] {
			t.Errorf("%s: document %d, want %d", o.Ref(), o.Source.Doc, wantDocs[o.Kind])
		}
	}

	dep := findObject(t, res, "Deployment", "web")
	checkPosCases(t, src, dep, []posCase{
		{"", "apiVersion: apps/v1", "apiVersion", true},
		{"metadata.name", "  name: web\n  namespace: shop\n  labels", "name", true},
		{"metadata.labels.app", `{app: web, "tier"`, "app", true},
		{"metadata.labels.tier", `"tier": 'frontend'`, `"tier"`, true},
		{`metadata.annotations["palisade.dev/ignore"]`, "palisade.dev/ignore: run", "palisade", true},
		{"metadata.annotations.description", "description: |", "description", true},
		{"spec.replicas", "replicas: 3", "replicas", true},
		// Through an alias: where the anchored value is written.
		{"spec.selector.matchLabels.app", `{app: web, "tier"`, "app", true},
		{"spec.template.metadata.labels.tier", `"tier": 'frontend'`, `"tier"`, true},
		{"spec.template.spec.initContainers[0]", "- name: init", "name", true},
		{"spec.template.spec.initContainers[0].command[2]", `"echo hi"`, `"echo hi"`, true},
		{"spec.template.spec.containers[0]", "- &web", "&web", true},
		{"spec.template.spec.containers[0].image", "image: nginx:1.25", "image", true},
		{"spec.template.spec.containers[0].ports[0].containerPort", "{containerPort: 8080", "containerPort", true},
		{"spec.template.spec.containers[0].ports[0].name", "name: http}", "name", true},
		{"spec.template.spec.containers[1]", "- <<: *web", "<<", true},
		{"spec.template.spec.containers[1].name", "name: sidecar", "name", true},
		// Through a merge key: where the merged key is written.
		{"spec.template.spec.containers[1].image", "image: nginx:1.25", "image", true},
		{"spec.template.spec.containers[1].securityContext.runAsNonRoot", "runAsNonRoot: true", "runAsNonRoot", true},
		{"spec.template.spec.containers[1].securityContext.readOnlyRootFilesystem", "readOnlyRootFilesystem", "readOnlyRootFilesystem", true},
		// Missing fields: the nearest written ancestor.
		{"spec.template.spec.containers[0].securityContext.privileged", "securityContext: &sc", "securityContext", false},
		{"spec.template.spec.containers[7].image", "      containers:", "containers", false},
		{"spec.template.spec.hostPID", "    spec:\n      initContainers", "spec", false},
		{"status", "apiVersion: apps/v1", "apiVersion", false},
	})

	d := dep.Typed.(*appsv1.Deployment)
	if *d.Spec.Replicas != 3 || d.Annotations["description"] != "Serves the shop.\nTwo lines.\n" {
		t.Errorf("replicas %d, description %q", *d.Spec.Replicas, d.Annotations["description"])
	}
	if d.Labels["tier"] != "frontend" || d.Spec.Selector.MatchLabels["app"] != "web" || d.Spec.Template.Labels["tier"] != "frontend" {
		t.Errorf("labels through aliases: %v %v %v", d.Labels, d.Spec.Selector.MatchLabels, d.Spec.Template.Labels)
	}
	cs := d.Spec.Template.Spec.Containers
	if len(cs) != 2 {
		t.Fatalf("got %d containers", len(cs))
	}
	side := cs[1]
	if side.Name != "sidecar" || side.Image != "nginx:1.25" || len(side.Ports) != 1 || side.Ports[0].ContainerPort != 8080 {
		t.Errorf("merged container: %+v", side)
	}
	if sc := side.SecurityContext; sc == nil || !*sc.RunAsNonRoot || *sc.AllowPrivilegeEscalation || !*sc.ReadOnlyRootFilesystem {
		t.Errorf("merged securityContext: %+v", side.SecurityContext)
	}
	if cs[0].SecurityContext.ReadOnlyRootFilesystem != nil {
		t.Error("the merge changed the anchored securityContext")
	}

	svc := findObject(t, res, "Service", "web")
	checkPosCases(t, src, svc, []posCase{
		{"", "--- {apiVersion: v1, kind: Service", "{", true},
		{"kind", "--- {apiVersion: v1, kind: Service", "kind", true},
		{"metadata.name", "metadata: {name: web, namespace: shop}", "name", true},
		{"spec.ports[0]", "[{port: 80", "{", true},
		{"spec.ports[0].targetPort", "targetPort: http", "targetPort", true},
	})
	if svc.Typed.(*corev1.Service).Spec.Ports[0].TargetPort.StrVal != "http" {
		t.Error("targetPort not decoded")
	}

	cm := findObject(t, res, "ConfigMap", "settings")
	checkPosCases(t, src, cm, []posCase{
		{`data["config.yaml"]`, "config.yaml: >-", "config", true},
		{`data["key.with.dots"]`, "key.with.dots", "key", true},
		{`data["quoted[key]"]`, `"quoted[key]"`, `"quoted`, true},
	})
	data := cm.Typed.(*corev1.ConfigMap).Data
	if data["config.yaml"] != "folded text continues here" || data["key.with.dots"] != "1" || data["quoted[key]"] != "x" {
		t.Errorf("data = %q", data)
	}

	for _, o := range res.Objects {
		if n := checkAllPositions(t, src, o); n < 3 {
			t.Errorf("%s: only %d positions checked", o.Ref(), n)
		}
	}
}

// TestDecodeLineEndings decodes the same manifest with CRLF line endings,
// with a UTF-8 byte order mark, and transcoded to UTF-16: the objects and
// every position must be what the plain file gives.
func TestDecodeLineEndings(t *testing.T) {
	src := readTestdata(t, "multi.yaml")
	want := decodeOK(t, "multi.yaml", src)
	crlf := bytes.ReplaceAll(src, []byte("\n"), []byte("\r\n"))
	variants := map[string][]byte{
		"crlf":         crlf,
		"bom":          append([]byte("\xef\xbb\xbf"), src...),
		"utf16le":      utf16Bytes(string(src), binary.LittleEndian),
		"utf16be":      utf16Bytes(string(src), binary.BigEndian),
		"utf16le-crlf": utf16Bytes(string(crlf), binary.LittleEndian),
	}
	for name, data := range variants {
		t.Run(name, func(t *testing.T) {
			got := decodeOK(t, "multi.yaml", data)
			if len(got.Objects) != len(want.Objects) {
				t.Fatalf("got %d objects, want %d", len(got.Objects), len(want.Objects))
			}
			for i, o := range got.Objects {
				w := want.Objects[i]
				if o.Line != w.Line || o.Source != w.Source || !reflect.DeepEqual(o.Typed, w.Typed) {
					t.Errorf("object %d: %s line %d differs from %s line %d", i, o.Ref(), o.Line, w.Ref(), w.Line)
				}
				if !reflect.DeepEqual(o.pos, w.pos) {
					t.Errorf("%s: positions differ", o.Ref())
				}
			}
		})
	}
}

func utf16Bytes(s string, order binary.ByteOrder) []byte {
	units := utf16.Encode([]rune("\ufeff" + s))
	out := make([]byte, 2*len(units))
	for i, u := range units {
		order.PutUint16(out[2*i:], u)
	}
	return out
}

func TestDecodeUTF16NonASCII(t *testing.T) {
	src := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: café\ndata:\n  emoji: \"🐳 whale\"\n  après: x\n"
	for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		data := utf16Bytes(src, order)
		res := decodeOK(t, "u16.yaml", data)
		if len(res.Objects) != 1 {
			t.Fatalf("got %d objects", len(res.Objects))
		}
		o := res.Objects[0]
		cm := o.Typed.(*corev1.ConfigMap)
		if o.Name != "café" || cm.Data["emoji"] != "🐳 whale" || cm.Data["après"] != "x" {
			t.Errorf("transcoding garbled the text: %q %q", o.Name, cm.Data)
		}
		if pos, _ := o.Position(`data.après`); pos != (Position{7, 3}) {
			t.Errorf("data.après at %v, want 7:3", pos)
		}
	}
}

func TestDecodeBadEncodings(t *testing.T) {
	good := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"
	for _, tc := range []struct {
		name string
		data []byte
		line int
		msg  string
	}{
		{"utf16 odd length", append(utf16Bytes(good, binary.LittleEndian), 'x'), 4, "odd number of bytes"},
		{"utf16 unpaired surrogate", append(utf16Bytes(good, binary.BigEndian), 0xd8, 0x00, 0x00, 'a'), 4, "unpaired surrogate"},
		{"utf32", append([]byte{0xff, 0xfe, 0, 0}, 'a', 0, 0, 0), 1, "UTF-32"},
		{"latin1", []byte(good + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: caf\xe9}\n"), 7, "invalid UTF-8"},
		{"nul", []byte(good + "---\na: \x00\n"), 5, "U+0000"},
		{"control", []byte(good + "---\n\n\na: \"\x1b[31m\"\n"), 7, "U+001B"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := Decode("bad.yaml", tc.data)
			checkResult(t, "bad.yaml", tc.data, res)
			if len(res.Errors) != 1 || res.Errors[0].Line != tc.line || !strings.Contains(res.Errors[0].Msg, tc.msg) {
				t.Fatalf("errors = %v; want one at line %d containing %q", res.Errors, tc.line, tc.msg)
			}
			if strings.HasPrefix(tc.name, "latin1") || tc.name == "nul" || tc.name == "control" {
				if len(res.Objects) != 1 || res.Objects[0].Name != "a" {
					t.Errorf("the good document was not decoded: %v", res.Objects)
				}
			}
		})
	}
}

func TestDecodeLists(t *testing.T) {
	src := readTestdata(t, "list.yaml")
	res := decodeOK(t, "list.yaml", src)
	if len(res.Objects) != 4 {
		t.Fatalf("got %d objects, want 4", len(res.Objects))
	}
	sa := findObject(t, res, "ServiceAccount", "builder")
	job := findObject(t, res, "Job", "build")
	api := findObject(t, res, "Deployment", "api")
	worker := findObject(t, res, "Deployment", "worker")
	if sa.Source.Doc != 0 || job.Source.Doc != 0 || api.Source.Doc != 1 || worker.Source.Doc != 1 {
		t.Error("wrong document indexes")
	}
	// Positions are relative to each item.
	checkPosCases(t, src, sa, []posCase{
		{"", "- apiVersion: v1\n  kind: ServiceAccount", "apiVersion", true},
		{"metadata.name", "name: builder", "name", true},
	})
	checkPosCases(t, src, job, []posCase{
		{"", "- apiVersion: batch/v1", "apiVersion", true},
		{"metadata.name", "name: build\n    namespace", "name", true},
		{"spec.template.spec.containers[0].image", "image: golang", "image", true},
	})
	// Items of a typed list take the list's apiVersion and kind.
	if api.APIVersion != "apps/v1" || api.Kind != "Deployment" || api.Typed == nil {
		t.Errorf("implied item: %s %s typed=%v", api.APIVersion, api.Kind, api.Typed != nil)
	}
	checkPosCases(t, src, api, []posCase{
		{"", "  - metadata:\n      name: api", "metadata", true},
		{"metadata.name", "name: api\n      namespace", "name", true},
		{"spec.template.spec.containers[0].securityContext.privileged", "privileged: true", "privileged", true},
		{"kind", "  - metadata:\n      name: api", "metadata", false},
	})
	if d := api.Typed.(*appsv1.Deployment); !*d.Spec.Template.Spec.Containers[0].SecurityContext.Privileged || d.Kind != "Deployment" {
		t.Errorf("implied item decoded wrongly: %+v", d)
	}
	checkPosCases(t, src, worker, []posCase{
		{"", "  - apiVersion: apps/v1\n    kind: Deployment", "apiVersion", true},
		{"spec.template.spec.containers[0].image", "image: example.com/worker:2", "image", true},
	})
	for _, o := range res.Objects {
		checkAllPositions(t, src, o)
	}
}

func TestDecodeListErrors(t *testing.T) {
	src := []byte(`apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: ok}
- metadata: {name: no-kind}
- just a string
- apiVersion: v1
  metadata: {name: half}
---
apiVersion: apps/v1
kind: DeploymentList
items:
- kind: Deployment
  metadata: {name: half}
- metadata: {name: d}
  spec:
    replicas: many
`)
	res := Decode("list.yaml", src)
	checkResult(t, "list.yaml", src, res)
	var got []string
	for _, e := range res.Errors {
		got = append(got, fmt.Sprintf("%d %s", e.Line, e.Msg))
	}
	want := []string{
		"7 List item has no apiVersion or kind",
		"8 List item is not a mapping",
		"9 List item has no apiVersion or kind",
		"15 DeploymentList item has no apiVersion or kind",
		"19 cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(res.Objects) != 1 || res.Objects[0].Name != "ok" {
		t.Errorf("objects: %v", res.Objects)
	}
}

func TestDecodeJSON(t *testing.T) {
	src := readTestdata(t, "pod.json")
	res := decodeOK(t, "pod.json", src)
	if len(res.Objects) != 1 {
		t.Fatalf("got %d objects", len(res.Objects))
	}
	o := res.Objects[0]
	checkPosCases(t, src, o, []posCase{
		{"", "{\n\t\"apiVersion\"", "{", true},
		{"metadata.name", `"name": "json-pod"`, `"name"`, true},
		{`metadata.labels["app.kubernetes.io/name"]`, `"app.kubernetes.io/name"`, `"app`, true},
		{"spec.containers[0]", "\t\t\t{\n\t\t\t\t\"name\": \"c\"", "{", true},
		{"spec.containers[0].securityContext.privileged", `"privileged"`, `"privileged"`, true},
	})
	if !*o.Typed.(*corev1.Pod).Spec.Containers[0].SecurityContext.Privileged {
		t.Error("privileged not decoded")
	}
	checkAllPositions(t, src, o)
}

func TestDecodeDirectives(t *testing.T) {
	src := readTestdata(t, "directive.yaml")
	res := decodeOK(t, "directive.yaml", src)
	if len(res.Objects) != 2 {
		t.Fatalf("got %d objects", len(res.Objects))
	}
	sec, sa := res.Objects[0], res.Objects[1]
	if sec.Kind != "Secret" || sec.Line != 4 || sec.Source.Doc != 0 || sa.Kind != "ServiceAccount" || sa.Line != 13 || sa.Source.Doc != 1 {
		t.Errorf("got %s line %d doc %d, %s line %d doc %d", sec.Kind, sec.Line, sec.Source.Doc, sa.Kind, sa.Line, sa.Source.Doc)
	}
	checkPosCases(t, src, sec, []posCase{{"stringData.token", "token: not-a", "token", true}})
}

// TestDecodeDocumentMarkers covers the ways documents start and end.
func TestDecodeDocumentMarkers(t *testing.T) {
	cm := func(name string) string { return "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: " + name + "}\n" }
	for _, tc := range []struct {
		name  string
		src   string
		names []string
		lines []int
		docs  []int
	}{
		{"empty", "", nil, nil, nil},
		{"comments only", "# nothing\n# here\n", nil, nil, nil},
		{"only markers", "---\n---\n...\n", nil, nil, nil},
		{"leading comment", "# c\n---\n" + cm("a"), []string{"a"}, []int{3}, []int{0}},
		{"no markers", cm("a"), []string{"a"}, []int{1}, []int{0}},
		{"trailing marker", cm("a") + "---\n", []string{"a"}, []int{1}, []int{0}},
		{"empty document counts", cm("a") + "---\n---\n" + cm("b"), []string{"a", "b"}, []int{1, 6}, []int{0, 2}},
		{"content on marker line", "--- " + strings.TrimSuffix(strings.ReplaceAll(cm("a"), "\n", ", "), ", ") + "\n", nil, nil, nil},
		{"flow on marker line", "--- {apiVersion: v1, kind: ConfigMap,\n  metadata: {name: a}}\n--- {apiVersion: v1, kind: ConfigMap, metadata: {name: b}}", []string{"a", "b"}, []int{1, 3}, []int{0, 1}},
		{"comment on marker line", "--- # first\n" + cm("a") + "---\t# second\n" + cm("b"), []string{"a", "b"}, []int{2, 6}, []int{0, 1}},
		{"document end markers", cm("a") + "...\n" + cm("b") + "... # end\n---\n" + cm("c"), []string{"a", "b", "c"}, []int{1, 5, 10}, []int{0, 1, 2}},
		{"directive after end", cm("a") + "...\n%YAML 1.2\n---\n" + cm("b"), []string{"a", "b"}, []int{1, 7}, []int{0, 1}},
		{"YAML 1.1 directive", "%YAML 1.1\n---\n" + cm("a"), []string{"a"}, []int{3}, []int{0}},
		{"marker-like text", cm("a") + "data:\n  x: |\n    ---not a marker\n    ----\n", []string{"a"}, []int{1}, []int{0}},
		{"no final newline", strings.TrimSuffix(cm("a"), "\n"), []string{"a"}, []int{1}, []int{0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := Decode("m.yaml", []byte(tc.src))
			checkResult(t, "m.yaml", []byte(tc.src), res)
			var names []string
			var lines, docs []int
			for _, o := range res.Objects {
				names = append(names, o.Name)
				lines = append(lines, o.Line)
				docs = append(docs, o.Source.Doc)
			}
			if tc.name == "content on marker line" {
				// "--- apiVersion: v1, kind: ..." is a plain scalar, not a
				// mapping: the document is no object.
				if len(res.Objects) != 0 || len(res.Skipped)+len(res.Errors) != 1 {
					t.Errorf("got %v, %v, %v", res.Objects, res.Skipped, res.Errors)
				}
				return
			}
			if len(res.Errors) > 0 || !reflect.DeepEqual(names, tc.names) || !reflect.DeepEqual(lines, tc.lines) || !reflect.DeepEqual(docs, tc.docs) {
				t.Errorf("got names %v lines %v docs %v errors %v; want %v %v %v", names, lines, docs, res.Errors, tc.names, tc.lines, tc.docs)
			}
		})
	}
}

// TestDecodeOtherLineBreaks covers line breaks that YAML obeys but
// editors and grep do not: lines are still counted at line feeds, and
// documents after such a break are not lost.
func TestDecodeOtherLineBreaks(t *testing.T) {
	src := []byte("apiVersion: v1\rkind: ConfigMap\rmetadata:\r  name: a\r---\rapiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n  labels: {x: \"\u2028\"}\u2028  annotations: {y: z}\n")
	res := decodeOK(t, "cr.yaml", src)
	if len(res.Objects) != 2 {
		t.Fatalf("got %d objects", len(res.Objects))
	}
	a, b := res.Objects[0], res.Objects[1]
	if a.Name != "a" || a.Line != 1 || b.Name != "b" || b.Line != 1 || b.Source.Doc != 1 {
		t.Errorf("got %s line %d, %s line %d doc %d", a.Name, a.Line, b.Name, b.Line, b.Source.Doc)
	}
	if pos, _ := a.Position("metadata.name"); pos != (Position{1, 44}) {
		t.Errorf("metadata.name of a at %v, want 1:44", pos)
	}
	if pos, _ := b.Position("metadata.annotations.y"); pos.Line != 5 || textAt(src, pos)[:1] != "y" {
		t.Errorf("metadata.annotations.y of b at %v (%q)", pos, textAt(src, pos))
	}
}

func TestDecodeSyntaxErrorInMiddleDocument(t *testing.T) {
	for _, tc := range []struct {
		name, bad string
		line      int
	}{
		{"tab indentation", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n\tname: b\n", 9},
		{"bad indentation", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n labels: {}\n", 10},
		{"unclosed flow", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b\ndata:\n  x: y\n", 8},
		{"unknown alias", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: *nope\n", 9},
		{"bad sequence", "apiVersion: v1\nkind: ConfigMap\ndata:\n  - a\n  b: c\n", 10},
		{"mapping in scalar", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a: b\n", 9},
		{"bad escape", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \"\\q\"\n", 9},
		{"second marker content", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n]\n", 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := []byte("# three documents\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n" + tc.bad + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")
			res := Decode("s.yaml", src)
			checkResult(t, "s.yaml", src, res)
			if len(res.Objects) != 2 || res.Objects[0].Name != "a" || res.Objects[1].Name != "c" {
				t.Errorf("objects %v, want a and c", res.Objects)
			}
			if len(res.Errors) != 1 || res.Errors[0].Line != tc.line {
				t.Fatalf("errors %v, want one at line %d", res.Errors, tc.line)
			}
			if c := res.Objects[1]; c.Source.Doc != 2 || c.Line != lineCount(src)-3 {
				t.Errorf("c: document %d line %d", c.Source.Doc, c.Line)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	pod := func(spec string) string {
		return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n" + spec
	}
	for _, tc := range []struct {
		name, src string
		line      int
		msg       string
	}{
		{"duplicate key", pod("  hostPID: true\n  containers: []\n  hostPID: false\n"), 8, `duplicate key "hostPID" (first at line 6)`},
		{"duplicate key in flow", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, name: b}\n", 3, `duplicate key "name"`},
		{"duplicate key in JSON", "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\",\n \"data\": {\"a\": \"1\",\n \"a\": \"2\"}}\n", 3, `duplicate key "a"`},
		{"duplicate top-level key", "apiVersion: v1\nkind: ConfigMap\nkind: Secret\n", 3, `duplicate key "kind"`},
		{"many keys, duplicate", "apiVersion: v1\nkind: ConfigMap\ndata:\n" + manyKeys(40) + "  k7: again\n", 44, `duplicate key "k7" (first at line 11)`},
		{"string for int32", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  replicas: \"three\"\n  selector: {}\n", 5, "spec.replicas of type int32"},
		{"containerPort name", pod("  containers:\n  - name: c\n    image: x\n    ports:\n    - name: web\n      containerPort: http\n"), 11, "containerPort of type int32"},
		{"int32 overflow", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  selector: {}\n  replicas: 99999999999\n", 6, "cannot unmarshal number 99999999999"},
		{"big integer", pod("  activeDeadlineSeconds: 123456789012345678901234567890\n"), 6, "activeDeadlineSeconds of type int64"},
		{"string for list", pod("  containers:\n    - a\n"), 7, "of type v1.Container"},
		{"mapping for list", pod("  containers: {name: c}\n"), 6, "of type []v1.Container"},
		{"list for struct", pod("  securityContext:\n    - runAsUser: 1\n"), 7, "of type v1.PodSecurityContext"},
		{"invalid quantity", pod("  containers:\n  - name: c\n    resources:\n      limits:\n        cpu: 100m\n        memory: 1 GB\n"), 11, "spec.containers[0].resources.limits.memory: quantities must match"},
		{"invalid quantity in list", pod("  overhead: {cpu: 1}\n  containers:\n  - name: a\n  - name: b\n    resources: {requests: {cpu: lots}}\n"), 10, "spec.containers[1].resources.requests.cpu:"},
		{"invalid time", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  creationTimestamp: yesterday\n", 5, "metadata.creationTimestamp: "},
		{"yes for bool", pod("  hostNetwork: yes\n"), 6, "hostNetwork of type bool (yes is a string in YAML 1.2: write true or false)"},
		{"invalid explicit bool", pod("  hostNetwork: !!bool maybe\n"), 6, `invalid boolean "maybe"`},
		{"invalid explicit int", pod("  activeDeadlineSeconds: !!int ten\n"), 6, `invalid integer "ten"`},
		{"explicit int out of range", pod("  activeDeadlineSeconds: !!int 99999999999999999999999\n"), 6, `integer "99999999999999999999999" out of range`},
		{"infinity", pod("  containers:\n  - name: c\n    resources: {limits: {cpu: .inf}}\n"), 8, ".inf cannot be represented in JSON"},
		{"not a number", "apiVersion: x.io/v1\nkind: Thing\nspec:\n  ratio: .NaN\n", 4, ".NaN cannot be represented in JSON"},
		{"negative infinity", "apiVersion: x.io/v1\nkind: Thing\nspec:\n  ratio: -.Inf\n", 4, "-.Inf cannot be represented in JSON"},
		{"explicit float out of range", "apiVersion: x.io/v1\nkind: Thing\nspec:\n  ratio: !!float 1e999\n", 4, `number "1e999" cannot be represented`},
		{"complex key", "apiVersion: v1\nkind: ConfigMap\ndata:\n  ? [a, b]\n  : c\n", 4, "mapping key must be a scalar"},
		{"self alias", "apiVersion: v1\nkind: ConfigMap\nmetadata: &m\n  name: a\n  labels: *m\n", 5, "alias *m refers to a node that contains it"},
		{"self merge", "apiVersion: v1\nkind: ConfigMap\nmetadata: &m\n  name: a\n  <<: *m\n", 5, "alias *m refers to a node that contains it"},
		{"merge of scalar", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  <<: [{name: a}, oops]\n", 4, "merge key value must be a mapping"},
		{"deep nesting", "apiVersion: x.io/v1\nkind: Thing\nspec:\n  x: " + strings.Repeat("[", 600) + strings.Repeat("]", 600) + "\n", 4, "nesting deeper than 512 levels"},
		{"deeper nesting", "apiVersion: x.io/v1\nkind: Thing\nspec:\n  x: " + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + "\n", 4, "exceeded max depth"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := []byte(tc.src)
			res := Decode("e.yaml", src)
			checkResult(t, "e.yaml", src, res)
			if len(res.Errors) != 1 || res.Errors[0].Line != tc.line || !strings.Contains(res.Errors[0].Msg, tc.msg) {
				t.Fatalf("errors %v; want one at line %d containing %q", res.Errors, tc.line, tc.msg)
			}
			if len(res.Objects) != 0 {
				t.Errorf("a broken document gave objects: %v", res.Objects)
			}
		})
	}
}

func manyKeys(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "  k%d: v\n", i)
	}
	return b.String()
}

// TestDecodeAliasBombs checks that exponential alias and merge-key
// expansion is stopped quickly with a clear error.
func TestDecodeAliasBombs(t *testing.T) {
	laughs := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\nx:\n  a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
	for i, c := range "bcdefghi" {
		prev := string("abcdefghi"[i])
		laughs += fmt.Sprintf("  %c: &%c [*%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s]\n", c, c, prev, prev, prev, prev, prev, prev, prev, prev, prev)
	}
	laughs += "data: *i\n"

	merges := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: merge}\nx:\n  m0: &m0 {k: v}\n"
	for i := 1; i <= 30; i++ {
		merges += fmt.Sprintf("  m%d: &m%d {x: {<<: *m%d}, y: {<<: *m%d}}\n", i, i, i-1, i-1)
	}
	merges += "y: *m30\n"

	mergeFanout := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fan}\nx:\n  m0: &m0 {k: v}\n"
	for i := 1; i <= 40; i++ {
		mergeFanout += fmt.Sprintf("  m%d: &m%d {<<: [*m%d, *m%d, *m%d]}\n", i, i, i-1, i-1, i-1)
	}

	list := "apiVersion: v1\nkind: List\nx: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
	for _, c := range "bcdef" {
		list += fmt.Sprintf("y%c: &%c [*%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c]\n", c, c, c-1, c-1, c-1, c-1, c-1, c-1, c-1, c-1, c-1, c-1)
	}
	list += "items:\n- &item {apiVersion: v1, kind: ConfigMap, metadata: {name: a}, data: {x: *f}}\n"
	list += strings.Repeat("- *item\n", 20)

	// Many documents, each well under the limit, still share one budget.
	var docs strings.Builder
	for i := range 30 {
		fmt.Fprintf(&docs, "---\napiVersion: x.io/v1\nkind: Thing\nmetadata: {name: d%d}\nx: &a [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\nyb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nyc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nyd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\nye: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\ndata: {x: *e}\n", i)
	}

	for _, tc := range []struct{ name, src string }{
		{"billion laughs", laughs},
		{"merge keys", merges},
		{"merge fan-out", mergeFanout},
		{"list items", list},
		{"many documents", docs.String()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			src := []byte(tc.src)
			res := Decode("bomb.yaml", src)
			elapsed := time.Since(start)
			checkResult(t, "bomb.yaml", src, res)
			if len(res.Errors) == 0 || !strings.Contains(res.Errors[0].Msg, "expand to more than") {
				t.Fatalf("errors %v, want an expansion error", res.Errors)
			}
			// About a second on a busy machine; the race detector makes it
			// ten times slower.
			if limit := map[bool]time.Duration{false: 5 * time.Second, true: 60 * time.Second}[raceEnabled]; elapsed > limit {
				t.Errorf("took %v, more than %v", elapsed, limit)
			}
			t.Logf("%d objects, %d errors in %v", len(res.Objects), len(res.Errors), elapsed)
		})
	}
}

func TestDecodeScalars(t *testing.T) {
	src := []byte(`apiVersion: example.com/v1
kind: Widget
metadata:
  name: w
  labels:
    enabled: yes
    legacy: "no"
spec:
  yes: yes
  on: off
  explicitYes: !!bool yes
  explicitOff: !!bool Off
  bool: True
  octal: 0o17
  legacyOctal: 0755
  hex: 0xff
  binary: 0b101
  underscores: 1_000_000
  big: 18446744073709551615
  huger: 123456789012345678901234567890
  float: 1.5e3
  leadingDot: .5
  negative: -.5e1
  nulls: [~, null]
  date: 2024-01-02
  time: 2024-01-02T03:04:05Z
  str: !!str 123
  custom: !Ref name
  binaryData: !!binary aGVsbG8=
  multi: "line1\nline2\ttab \u00e9 \x01"
`)
	res := decodeOK(t, "s.yaml", src)
	o := res.Objects[0]
	if o.Typed != nil {
		t.Fatal("a custom resource must be generic")
	}
	want := map[string]any{
		"yes": "yes", "on": "off", "explicitYes": true, "explicitOff": false, "bool": true,
		"octal": int64(15), "legacyOctal": int64(493), "hex": int64(255), "binary": int64(5),
		"underscores": int64(1000000),
		// Beyond int64 the JSON decoder gives floats: precision is lost.
		"big": float64(18446744073709551615), "huger": 1.2345678901234568e29,
		// Numbers are written to JSON as kubectl writes them, so a float
		// with an integral value decodes as an integer.
		"float": int64(1500), "leadingDot": 0.5, "negative": int64(-5),
		"nulls": []any{nil, nil},
		"date":  "2024-01-02", "time": "2024-01-02T03:04:05Z",
		"str": "123", "custom": "name", "binaryData": "aGVsbG8=",
		"multi": "line1\nline2\ttab é \x01",
	}
	spec := o.GenericField("spec").(map[string]any)
	for k, w := range want {
		if !reflect.DeepEqual(spec[k], w) {
			t.Errorf("spec.%s = %#v (%T), want %#v (%T)", k, spec[k], spec[k], w, w)
		}
	}
	if len(spec) != len(want) {
		t.Errorf("spec has %d keys, want %d", len(spec), len(want))
	}
	// yes and no are strings in YAML 1.2: as label values they are kept.
	if l := o.Labels(); l["enabled"] != "yes" || l["legacy"] != "no" {
		t.Errorf("labels = %v", l)
	}
}

func TestDecodeKinds(t *testing.T) {
	src := readTestdata(t, "crd.yaml")
	res := decodeOK(t, "crd.yaml", src)
	if len(res.Objects) != 2 {
		t.Fatalf("got %d objects", len(res.Objects))
	}
	cert, future := res.Objects[0], res.Objects[1]
	if cert.Typed != nil || cert.GenericField("spec", "dnsNames").([]any)[0] != "shop.example.com" {
		t.Errorf("custom resource: typed=%v generic=%v", cert.Typed != nil, cert.Generic)
	}
	if cert.Labels()["app"] != "web" || cert.Namespace() != "shop" || cert.Group() != "cert-manager.io" {
		t.Errorf("labels %v namespace %s group %s", cert.Labels(), cert.Namespace(), cert.Group())
	}
	checkPosCases(t, src, cert, []posCase{{"spec.dnsNames[0]", "[shop.example.com]", "shop", true}})
	// An unknown version of a known group is not guessed at.
	if future.Typed != nil || future.Generic == nil {
		t.Error("apps/v2 Deployment must be generic")
	}
	if _, ok := future.PodTemplate(); ok {
		t.Error("apps/v2 Deployment must have no pod template")
	}
	if future.Namespace() != DefaultNamespace || future.Meta() != nil {
		t.Errorf("namespace %q, meta %v", future.Namespace(), future.Meta())
	}

	values := readTestdata(t, "helm-values.yaml")
	vres := decodeOK(t, "values.yaml", values)
	if len(vres.Objects) != 0 || len(vres.Skipped) != 1 || vres.Skipped[0] != (Skipped{File: "values.yaml", Doc: 0, Line: 2}) {
		t.Errorf("values file: %v objects, skipped %v", vres.Objects, vres.Skipped)
	}

	mixed := []byte("apiVersion: v1\n---\nkind: Pod\n---\n- a\n- b\n---\njust text\n---\napiVersion: v1\nkind: ConfigMap\n")
	mres := decodeOK(t, "mixed.yaml", mixed)
	var skipped []Skipped
	for _, s := range mres.Skipped {
		skipped = append(skipped, Skipped{Doc: s.Doc, Line: s.Line})
	}
	wantSkipped := []Skipped{{Doc: 0, Line: 1}, {Doc: 1, Line: 3}, {Doc: 2, Line: 5}, {Doc: 3, Line: 8}}
	if !reflect.DeepEqual(skipped, wantSkipped) || len(mres.Objects) != 1 || mres.Objects[0].Source.Doc != 4 {
		t.Errorf("skipped %v (want %v), objects %v", skipped, wantSkipped, mres.Objects)
	}
}

func TestDecodeDoesNotModifyInput(t *testing.T) {
	src := readTestdata(t, "multi.yaml")
	src = append([]byte("%YAML 1.2\n---\n"), src...)
	orig := bytes.Clone(src)
	decodeOK(t, "multi.yaml", src)
	if !bytes.Equal(src, orig) {
		t.Error("Decode modified its input")
	}
}

// TestDecodeKeepsNoScratch decodes objects and then many others: the
// buffers the decoder recycles between objects (scratchPool) must not be
// shared with any decoded object, whose fields, raw extensions, secret data
// and positions would otherwise change under it.
func TestDecodeKeepsNoScratch(t *testing.T) {
	first := decodeOK(t, "first.yaml", []byte(`apiVersion: apps/v1
kind: ControllerRevision
metadata: {name: rev, namespace: prod}
revision: 3
data: {spec: {template: {spec: {containers: [{name: app, image: "registry.example/app:1"}]}}}}
---
apiVersion: v1
kind: Secret
metadata: {name: creds}
data: {token: c2VjcmV0LXRva2Vu}
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: w}
spec: {size: large, tags: [a, b]}
`))
	if len(first.Objects) != 3 {
		t.Fatalf("decoded %d objects, want 3", len(first.Objects))
	}
	type snapshot struct {
		typed   any
		generic string
		pos     []posEntry
	}
	snap := make([]snapshot, len(first.Objects))
	for i, o := range first.Objects {
		snap[i].pos = slices.Clone(o.pos.entries)
		if o.Typed != nil {
			snap[i].typed = o.Typed.DeepCopyObject()
			continue
		}
		b, err := json.Marshal(o.Generic)
		if err != nil {
			t.Fatal(err)
		}
		snap[i].generic = string(b)
	}
	for i := range 200 {
		src := fmt.Sprintf(`apiVersion: apps/v1
kind: ControllerRevision
metadata: {name: other-%[1]d, namespace: other}
revision: %[1]d
data: {zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz: %[1]d, padding: "%[2]s"}
---
apiVersion: v1
kind: Secret
metadata: {name: other-%[1]d}
data: {token: QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB}
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: other-%[1]d}
spec: {size: small, tags: [x, y, z], padding: "%[2]s"}
`, i, strings.Repeat("p", i))
		decodeOK(t, "other.yaml", []byte(src))
	}
	for i, o := range first.Objects {
		if !slices.Equal(o.pos.entries, snap[i].pos) {
			t.Errorf("%s: positions changed after later decoding", o.Ref())
		}
		if o.Typed != nil {
			if !equality.Semantic.DeepEqual(o.Typed, snap[i].typed) {
				t.Errorf("%s changed after later decoding:\n%+v\nwas\n%+v", o.Ref(), o.Typed, snap[i].typed)
			}
			continue
		}
		if b, _ := json.Marshal(o.Generic); string(b) != snap[i].generic {
			t.Errorf("%s changed after later decoding: %s, was %s", o.Ref(), b, snap[i].generic)
		}
	}
}
