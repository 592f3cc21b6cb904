package cluster_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/source/cluster"
	"github.com/palisade-dev/palisade/test/apiserver"
)

func TestMain(m *testing.M) { apiserver.Main(m) }

// TestScannerRole keeps deploy/rbac/palisade-scanner.yaml in step with
// Resources: list on exactly the kinds the scanner reads, nothing else.
func TestScannerRole(t *testing.T) {
	file := "../../../deploy/rbac/palisade-scanner.yaml"
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	res := object.Decode(file, data)
	if len(res.Errors) > 0 {
		t.Fatal(res.Errors[0])
	}
	var role *rbacv1.ClusterRole
	for _, o := range res.Objects {
		if r, ok := o.Typed.(*rbacv1.ClusterRole); ok && o.Name == "palisade-scanner" {
			role = r
		}
	}
	if role == nil {
		t.Fatal("no ClusterRole palisade-scanner")
	}
	granted := map[string]bool{}
	for _, r := range role.Rules {
		if !slices.Equal(r.Verbs, []string{"list"}) || len(r.ResourceNames) > 0 || len(r.NonResourceURLs) > 0 {
			t.Errorf("rule %v: want verbs [list] and nothing else", r)
		}
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				granted[res+"."+g] = true
			}
		}
	}
	for _, r := range cluster.Resources {
		key := r.Resource + "." + r.Group
		if !granted[key] {
			t.Errorf("the role does not grant list on %s", r)
		}
		delete(granted, key)
	}
	for k := range granted {
		t.Errorf("the role grants %s, which the scanner does not read", k)
	}
}

func byRef(objs []*object.Object) map[string]*object.Object {
	m := map[string]*object.Object{}
	for _, o := range objs {
		m[o.Kind+" "+o.RawNamespace+"/"+o.Name] = o
	}
	return m
}

func TestLoad(t *testing.T) {
	srv := apiserver.Shared(t)
	ns := srv.Namespace(t, "load")
	dep := srv.Create(t, ns, `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27
`)[0]
	rs := srv.Create(t, ns, fmt.Sprintf(`
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: web-5d4f
  labels: {app: web}
  ownerReferences:
    - {apiVersion: apps/v1, kind: Deployment, name: web, uid: %s, controller: true}
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27
`, dep.GetUID()))[0]
	srv.Create(t, ns, fmt.Sprintf(`
apiVersion: v1
kind: Pod
metadata:
  name: web-5d4f-x1
  labels: {app: web}
  ownerReferences:
    - {apiVersion: apps/v1, kind: ReplicaSet, name: web-5d4f, uid: %s, controller: true}
spec:
  containers:
    - name: web
      image: nginx:1.27
---
apiVersion: v1
kind: Pod
metadata:
  name: standalone
spec:
  containers:
    - name: c
      image: busybox:1.36
---
apiVersion: v1
kind: Pod
metadata:
  name: operated
  ownerReferences:
    - {apiVersion: example.com/v1, kind: Database, name: db, uid: 0b0e2c4a-0000-4000-8000-000000000001, controller: true}
spec:
  containers:
    - name: db
      image: postgres:17
---
apiVersion: v1
kind: Secret
metadata:
  name: db-password
type: Opaque
stringData:
  password: hunter2-do-not-leak
`, rs.GetUID()))
	for i := range 5 {
		srv.Create(t, ns, fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-%d\ndata:\n  k: v\n", i))
	}

	res, err := cluster.Load(context.Background(), srv.Config(apiserver.Admin), cluster.Options{Name: "test", Namespaces: []string{ns}, PageSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Notes) > 0 {
		t.Errorf("notes: %v", res.Notes)
	}
	got := byRef(res.Objects)
	for _, want := range []string{"Deployment " + ns + "/web", "Pod " + ns + "/standalone", "Pod " + ns + "/operated", "Namespace /" + ns, "ServiceAccount " + ns + "/default"} {
		if got[want] == nil {
			t.Errorf("missing %s", want)
		}
	}
	// Owned objects are reported on their controller.
	for _, unwanted := range []string{"ReplicaSet " + ns + "/web-5d4f", "Pod " + ns + "/web-5d4f-x1"} {
		if got[unwanted] != nil {
			t.Errorf("%s is owned by a listed controller and must be left out", unwanted)
		}
	}
	if res.Counts["pods"] != 3 || res.Counts["replicasets.apps"] != 1 {
		t.Errorf("counts: %v", res.Counts)
	}
	// Pagination: five ConfigMaps in pages of two.
	n := 0
	for _, o := range res.Objects {
		if o.Kind == "ConfigMap" {
			n++
		}
	}
	if n != 5 {
		t.Errorf("listed %d ConfigMaps, want 5", n)
	}
	// Secrets: type and metadata, never data.
	s := got["Secret "+ns+"/db-password"]
	if s == nil {
		t.Fatal("secret not listed")
	}
	sec := s.Typed.(*corev1.Secret)
	if sec.Type != corev1.SecretTypeOpaque || sec.Data != nil || sec.StringData != nil {
		t.Errorf("secret: type %q, data %v, stringData %v; want Opaque without data", sec.Type, sec.Data, sec.StringData)
	}
	for _, o := range res.Objects {
		if strings.Contains(fmt.Sprintf("%+v", o.Typed), "hunter2") {
			t.Errorf("%s carries the secret's value", o.Ref())
		}
	}
	d := got["Deployment "+ns+"/web"]
	if d.Source.File != "cluster://test/"+ns+"/Deployment/web" || d.Line != 0 || d.APIVersion != "apps/v1" {
		t.Errorf("deployment source %q line %d apiVersion %q", d.Source.File, d.Line, d.APIVersion)
	}
	if d.Meta().ManagedFields != nil {
		t.Error("managedFields kept")
	}
	for _, o := range res.Objects {
		if o.RawNamespace != "" && o.RawNamespace != ns {
			t.Errorf("%s is outside the requested namespace", o.Ref())
		}
	}
}

func TestSelector(t *testing.T) {
	srv := apiserver.Shared(t)
	ns := srv.Namespace(t, "selector")
	srv.Create(t, ns, `
apiVersion: v1
kind: Pod
metadata:
  name: a
  labels: {team: a}
spec:
  containers: [{name: c, image: busybox:1.36}]
---
apiVersion: v1
kind: Pod
metadata:
  name: b
  labels: {team: b}
spec:
  containers: [{name: c, image: busybox:1.36}]
---
apiVersion: v1
kind: Service
metadata:
  name: svc
spec:
  selector: {team: b}
  ports: [{port: 80}]
`)
	sel := labels.SelectorFromSet(labels.Set{"team": "a"})
	res, err := cluster.Load(context.Background(), srv.Config(apiserver.Admin), cluster.Options{Name: "test", Namespaces: []string{ns}, Selector: sel})
	if err != nil {
		t.Fatal(err)
	}
	got := byRef(res.Objects)
	if got["Pod "+ns+"/a"] == nil || got["Pod "+ns+"/b"] != nil {
		t.Errorf("the selector applies to pods on the server: got %v", keys(got))
	}
	svc := got["Service "+ns+"/svc"]
	if svc == nil {
		t.Fatal("Services are read in full as context")
	}
	if res.InScope(svc) || !res.InScope(got["Pod "+ns+"/a"]) {
		t.Error("only objects the selector matches are in scope")
	}
}

func keys(m map[string]*object.Object) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestForbidden reads as users RBAC limits: what they may not list is
// skipped with a note, and the rest is read.
func TestForbidden(t *testing.T) {
	srv := apiserver.Shared(t)
	ns := srv.Namespace(t, "forbidden")
	srv.Create(t, ns, fmt.Sprintf(`
apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers: [{name: c, image: busybox:1.36}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: pods-only
rules:
  - apiGroups: [""]
    resources: ["pods"]
    verbs: ["list"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: bob-pods
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pods-only}
subjects:
  - {kind: User, name: %s, apiGroup: rbac.authorization.k8s.io}
`, apiserver.Bob.Name))

	res, err := cluster.Load(context.Background(), srv.Config(apiserver.Carol), cluster.Options{Name: "test", Namespaces: []string{ns}})
	if err != nil {
		t.Fatalf("a user who may read nothing: %v", err)
	}
	if len(res.Objects) != 0 || !slices.ContainsFunc(res.Notes, func(n string) bool {
		return strings.HasPrefix(n, "skipped pods in namespace "+ns+": forbidden")
	}) {
		t.Errorf("objects %d, notes %q", len(res.Objects), res.Notes)
	}

	res, err = cluster.Load(context.Background(), srv.Config(apiserver.Bob), cluster.Options{Name: "test", Namespaces: []string{ns}})
	if err != nil {
		t.Fatal(err)
	}
	got := byRef(res.Objects)
	if len(got) != 1 || got["Pod "+ns+"/p"] == nil {
		t.Errorf("bob may list pods only: got %v", keys(got))
	}
	if slices.ContainsFunc(res.Notes, func(n string) bool { return strings.HasPrefix(n, "skipped pods") }) ||
		!slices.ContainsFunc(res.Notes, func(n string) bool { return strings.HasPrefix(n, "skipped secrets in namespace "+ns) }) {
		t.Errorf("notes: %q", res.Notes)
	}
}
