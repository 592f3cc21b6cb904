package attackpath_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/palisade-dev/palisade/internal/attackpath"
	"github.com/palisade-dev/palisade/internal/object"
)

const manifests = `
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{port: 80, nodePort: 30080}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "shop/web:1"}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: pods}
rules:
  - {apiGroups: [""], resources: ["pods"], verbs: ["create"]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: default-pods, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: pods}
subjects: [{kind: ServiceAccount, name: default}]
`

// build uses trivial inputs: every Service selects every workload of its
// namespace, and no workload gives anything away by itself.
func build(t *testing.T, extra string) *attackpath.Graph {
	t.Helper()
	res := object.Decode("m.yaml", []byte(manifests+extra))
	if len(res.Errors) > 0 {
		t.Fatal(res.Errors[0])
	}
	set := object.NewSet(res.Objects)
	return attackpath.Build(set, attackpath.Inputs{
		ServiceWorkloads: func(set *object.Set, svc *object.Object) []*object.Object { return set.WorkloadsIn(svc.Namespace()) },
	})
}

func TestWorkloadCreation(t *testing.T) {
	g := build(t, "")
	if len(g.Paths) != 1 {
		t.Fatalf("want 1 path, got %d", len(g.Paths))
	}
	p := g.Paths[0]
	want := "attack path from NodePort Service shop/web through Deployment shop/web and ServiceAccount shop/default to any node (by running a privileged pod)"
	if p.Summary() != want {
		t.Errorf("summary:\n got %s\nwant %s", p.Summary(), want)
	}
	if !strings.Contains(p.Steps[0].Why, "node port 30080") {
		t.Errorf("entry: %s", p.Steps[0].Why)
	}

	// Pod Security Admission enforcing baseline in the namespace closes the
	// path: the service account can create pods, but not privileged ones.
	g = build(t, `---
apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels: {pod-security.kubernetes.io/enforce: baseline}
`)
	if len(g.Paths) != 0 {
		t.Errorf("want no path with baseline enforced, got %s", g.Paths[0].Summary())
	}
}

func TestWriteGraph(t *testing.T) {
	g := build(t, "")
	var dot, mmd bytes.Buffer
	if err := attackpath.WriteGraph(&dot, g, "dot"); err != nil {
		t.Fatal(err)
	}
	if err := attackpath.WriteGraph(&mmd, g, "mermaid"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"digraph attack_paths {", `"Service/shop/web" -> "Deployment/shop/web"`, `label="NodePort Service shop/web"`} {
		if !strings.Contains(dot.String(), want) {
			t.Errorf("DOT lacks %q:\n%s", want, dot.String())
		}
	}
	for _, want := range []string{"flowchart LR", `n0(["NodePort Service shop/web"])`, "n0 -->|", "classDef target"} {
		if !strings.Contains(mmd.String(), want) {
			t.Errorf("Mermaid lacks %q:\n%s", want, mmd.String())
		}
	}
	if err := attackpath.WriteGraph(&dot, g, "svg"); err == nil {
		t.Error("unknown format accepted")
	}
}
