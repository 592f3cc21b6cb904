package attackpath

import (
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/palisade-dev/palisade/internal/object"
)

// copyManifests is one copy of the set TestBuildWorkers repeats: objects
// of every kind Build follows. Copies share names, so the same entry point
// and workload IDs recur in every run of objects that build gives a
// goroutine; %[1]d (the copy number) varies what some copies lead to, so
// which copy is kept matters.
const copyManifests = `
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {type: LoadBalancer, selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: api-%[1]d, namespace: shop}
spec: {type: NodePort, selector: {app: api}, ports: [{port: 80, nodePort: 3%03[1]d}]}
---
apiVersion: v1
kind: Service
metadata: {name: internal, namespace: shop}
spec: {selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      serviceAccountName: web-%[2]d
      containers: [{name: web, image: "shop/web:1"}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api, privileged: "%[3]v"}}
    spec:
      automountServiceAccountToken: %[4]v
      containers: [{name: api, image: "shop/api:1"}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: front, namespace: shop}
spec:
  defaultBackend: {service: {name: web, port: {number: 80}}}
  rules: [{http: {paths: [{path: /api, pathType: Prefix, backend: {service: {name: api-%[1]d, port: {number: 80}}}}]}}]
---
apiVersion: v1
kind: Pod
metadata: {name: agent, namespace: ops, labels: {privileged: "true", dashboard: "%[3]v"}}
spec:
  hostNetwork: true
  serviceAccountName: agent
  containers: [{name: agent, image: "ops/agent:1", ports: [{containerPort: 9100}]}]
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: exporter-%[5]d, namespace: ops}
spec:
  selector: {matchLabels: {app: exporter}}
  template:
    metadata: {labels: {app: exporter, metadata: "true"}}
    spec:
      containers: [{name: e, image: "ops/e:1", ports: [{containerPort: 9100, hostPort: 9100}]}]
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: web-1, namespace: shop}
automountServiceAccountToken: false
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: secrets}
rules: [{apiGroups: [""], resources: [secrets], verbs: [get, list]}, {apiGroups: [""], resources: [pods], verbs: [create]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: web-secrets, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: secrets}
subjects: [{kind: ServiceAccount, name: web-0}, {kind: ServiceAccount, name: web-2}, {kind: ServiceAccount, name: default}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: agent-admin}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: ServiceAccount, name: agent, namespace: ops}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: cluster-admin}
rules: [{apiGroups: ["*"], resources: ["*"], verbs: ["*"]}]
`

// testInputs stand in for the rule catalog: Services select by labels,
// Ingresses route to the Services they name, and pod template labels say
// what a workload gives away.
var testInputs = Inputs{
	ServiceWorkloads: func(set *object.Set, svc *object.Object) []*object.Object {
		sel := svc.Typed.(*corev1.Service).Spec.Selector
		var out []*object.Object
	next:
		for _, w := range set.WorkloadsIn(svc.Namespace()) {
			pod, _ := w.PodTemplate()
			for k, v := range sel {
				if pod.Meta.Labels[k] != v {
					continue next
				}
			}
			out = append(out, w)
		}
		return out
	},
	IngressServices: func(set *object.Set, ing *object.Object) []Route {
		spec := ing.Typed.(*networkingv1.Ingress).Spec
		var out []Route
		if b := spec.DefaultBackend; b != nil && b.Service != nil {
			if svc := set.Lookup("Service", ing.Namespace(), b.Service.Name); svc != nil {
				out = append(out, Route{Service: svc, Why: "its default backend"})
			}
		}
		for _, r := range spec.Rules {
			for _, p := range r.HTTP.Paths {
				if svc := set.Lookup("Service", ing.Namespace(), p.Backend.Service.Name); svc != nil {
					out = append(out, Route{Service: svc, Why: "path " + p.Path})
				}
			}
		}
		return out
	},
	Facts: func(_ *object.Set, w *object.Object) []Fact {
		pod, _ := w.PodTemplate()
		var out []Fact
		if pod.Meta.Labels["privileged"] == "true" {
			out = append(out, Fact{Kind: NodeTakeover, Why: "it is privileged"}, Fact{Kind: NodeTakeover, Why: "it is privileged again"})
		}
		if pod.Meta.Labels["metadata"] == "true" {
			out = append(out, Fact{Kind: CloudMetadata, Why: "it reaches the metadata service"})
		}
		if pod.Meta.Labels["dashboard"] == "true" {
			out = append(out, Fact{Kind: LoginBypass, Why: "it skips login"})
		}
		return out
	},
}

// dump writes everything a graph holds, objects by their index in set, so
// that two graphs of one set compare equal exactly when they are the same.
func dump(g *Graph, set *object.Set) string {
	var b strings.Builder
	objs := map[*object.Object]int{nil: -1}
	for i, o := range set.All() {
		objs[o] = i
	}
	node := func(n *Node) { fmt.Fprintf(&b, "%q %v %q object %d", n.ID, n.Kind, n.Label, objs[n.Object]) }
	for _, p := range g.Paths {
		fmt.Fprintf(&b, "path %v\n", p.Severity)
		for _, s := range p.Steps {
			b.WriteString("  ")
			node(s.Node)
			fmt.Fprintf(&b, " why %q\n", s.Why)
		}
	}
	for _, n := range g.Nodes {
		b.WriteString("node ")
		node(n)
		fmt.Fprintf(&b, " indexed %v\n", g.nodes[n.ID] == n)
	}
	for _, e := range g.Edges {
		fmt.Fprintf(&b, "edge %q %q %q canonical %v\n", e.From.ID, e.To.ID, e.Why, g.nodes[e.From.ID] == e.From && g.nodes[e.To.ID] == e.To && g.edges[[2]string{e.From.ID, e.To.ID}] == e)
	}
	index := map[*Path]int{}
	for i, p := range g.Paths {
		index[p] = i
	}
	for _, o := range set.All() {
		if ps := g.PathsFrom(o); len(ps) > 0 {
			fmt.Fprintf(&b, "from %d:", objs[o])
			for _, p := range ps {
				fmt.Fprintf(&b, " %d", index[p])
			}
			b.WriteString("\n")
		}
	}
	fmt.Fprintf(&b, "%d nodes %d edges %d objects with paths\n", len(g.nodes), len(g.edges), len(g.byObj))
	return b.String()
}

// TestBuildWorkers checks that splitting the entry points among goroutines
// changes nothing, on a set whose runs of objects find the same paths.
func TestBuildWorkers(t *testing.T) {
	var docs []string
	for k := range 60 {
		docs = append(docs, fmt.Sprintf(copyManifests, k%7, k%3, k%2 == 0, k%4 != 1, k%5))
	}
	res := object.Decode("copies.yaml", []byte(strings.Join(docs, "---\n")))
	if len(res.Errors) > 0 {
		t.Fatal(res.Errors[0])
	}
	set := object.NewSet(res.Objects)
	if len(set.All()) <= minParallel {
		t.Fatalf("%d objects take the serial path", len(set.All()))
	}
	want := dump(build(set, testInputs, 1), set)
	if n := strings.Count(want, "path "); n < 20 {
		t.Fatalf("only %d paths:\n%s", n, want)
	}
	for _, workers := range []int{2, 3, 4, 7, 16, 1000} {
		if got := dump(build(set, testInputs, workers), set); got != want {
			t.Errorf("%d workers: graph differs\n got:\n%s\nwant:\n%s", workers, got, want)
		}
	}
	// The serial path on a small set is the same as well.
	small := object.NewSet(set.All()[:minParallel])
	if got, want := dump(build(small, testInputs, 4), small), dump(build(small, testInputs, 1), small); got != want {
		t.Errorf("small set: graph differs\n got:\n%s\nwant:\n%s", got, want)
	}
}

// TestBuildPanic checks that a panic of an input in one of build's
// goroutines reaches the caller, where the engine turns it into an error.
func TestBuildPanic(t *testing.T) {
	var docs []string
	for k := range 30 {
		docs = append(docs, fmt.Sprintf(copyManifests, k, k%3, true, true, k))
	}
	set := object.NewSet(object.Decode("copies.yaml", []byte(strings.Join(docs, "---\n"))).Objects)
	in := testInputs
	in.Facts = func(*object.Set, *object.Object) []Fact { panic("facts failed") }
	defer func() {
		if p := recover(); p == nil || !strings.Contains(fmt.Sprint(p), "facts failed") {
			t.Errorf("recovered %v, want the inputs' panic", p)
		}
	}()
	build(set, in, 2)
	t.Error("build returned")
}
