package rbac_test

import (
	"slices"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rbac"
	"github.com/palisade-dev/palisade/internal/rule"
)

const policy = `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: view-ish
  labels: {aggregate-to-ops: "true"}
rules:
  - apiGroups: [""]
    resources: ["pods", "pods/log"]
    verbs: ["get", "list"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: scaler
  labels: {aggregate-to-edit-ish: "true"}
rules:
  - apiGroups: ["*"]
    resources: ["*/scale"]
    verbs: ["update"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: edit-ish
  labels: {aggregate-to-ops: "true"}
aggregationRule:
  clusterRoleSelectors:
    - matchLabels: {aggregate-to-edit-ish: "true"}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: ops
aggregationRule:
  clusterRoleSelectors:
    - matchLabels: {aggregate-to-ops: "true"}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: ops
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: ops}
subjects:
  - {kind: Group, name: ops, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: secrets
  namespace: prod
rules:
  - apiGroups: [""]
    resources: ["secrets"]
    resourceNames: ["db"]
    verbs: ["get"]
  - nonResourceURLs: ["/metrics"]
    verbs: ["get"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: app-secrets
  namespace: prod
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: secrets}
subjects:
  - {kind: ServiceAccount, name: app}
  - {kind: User, name: alice}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: metrics
rules:
  - nonResourceURLs: ["/metrics", "/debug/*"]
    verbs: ["get"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: everyone-metrics
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: metrics}
subjects:
  - {kind: Group, name: "system:authenticated", apiGroup: rbac.authorization.k8s.io}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: dangling
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: missing}
subjects:
  - {kind: User, name: bob, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: god
rules:
  - apiGroups: ["*"]
    resources: ["*"]
    verbs: ["*"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: ns-god
  namespace: dev
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: god}
subjects:
  - {kind: Group, name: "system:serviceaccounts:dev", apiGroup: rbac.authorization.k8s.io}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: carol-god
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: god}
subjects:
  - {kind: User, name: carol, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: app
  namespace: prod
`

func index(t *testing.T) *rbac.Index {
	t.Helper()
	res := object.Decode("policy.yaml", []byte(policy))
	if len(res.Errors) > 0 {
		t.Fatal(res.Errors[0])
	}
	return rbac.New(object.NewSet(res.Objects))
}

func TestAllowed(t *testing.T) {
	ix := index(t)
	req := func(verb, resource, name, ns string) rbac.Request {
		q, err := rbac.ParseResource(verb, resource)
		if err != nil {
			t.Fatal(err)
		}
		q.Name, q.Namespace = name, ns
		return q
	}
	ops := rbac.AuthenticatedUser("dave", "ops")
	app := rbac.ServiceAccountUser("prod", "app")
	alice := rbac.AuthenticatedUser("alice")
	for _, tc := range []struct {
		name string
		user rbac.User
		q    rbac.Request
		want bool
	}{
		{"aggregated rule", ops, req("list", "pods", "", "any"), true},
		{"aggregated subresource", ops, req("get", "pods/log", "", ""), true},
		{"aggregation chains", ops, req("update", "deployments.apps/scale", "x", "any"), true},
		{"*/scale does not cover the resource", ops, req("update", "deployments.apps", "x", "any"), false},
		{"pods does not cover pods/exec", ops, req("get", "pods/exec", "", "any"), false},
		{"verb not granted", ops, req("delete", "pods", "", "any"), false},
		{"resourceNames: named", app, req("get", "secrets", "db", "prod"), true},
		{"resourceNames: other name", app, req("get", "secrets", "other", "prod"), false},
		{"resourceNames: no name", app, req("get", "secrets", "", "prod"), false},
		{"RoleBinding elsewhere", app, req("get", "secrets", "db", "dev"), false},
		{"RoleBinding without namespace", app, req("get", "secrets", "db", ""), false},
		{"service account subject defaults to the binding namespace", rbac.ServiceAccountUser("dev", "app"), req("get", "secrets", "db", "prod"), false},
		{"user subject", alice, req("get", "secrets", "db", "prod"), true},
		{"non-resource URLs are only granted cluster-wide", alice, rbac.Request{Verb: "get", Path: "/metrics"}, true},
		{"non-resource prefix", rbac.AuthenticatedUser("eve"), rbac.Request{Verb: "get", Path: "/debug/pprof/heap"}, true},
		{"non-resource verb", rbac.AuthenticatedUser("eve"), rbac.Request{Verb: "post", Path: "/metrics"}, false},
		{"anonymous is not authenticated", rbac.AuthenticatedUser("system:anonymous"), rbac.Request{Verb: "get", Path: "/metrics"}, false},
		{"missing role grants nothing", rbac.AuthenticatedUser("bob"), req("get", "pods", "", "x"), false},
		{"system:masters", rbac.AuthenticatedUser("root", "system:masters"), req("delete", "nodes", "n", ""), true},
		{"group of a namespace's service accounts", rbac.ServiceAccountUser("dev", "builder"), req("create", "pods", "", "dev"), true},
		{"wildcard", rbac.AuthenticatedUser("carol"), req("escalate", "clusterroles.rbac.authorization.k8s.io", "x", ""), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, grants := ix.Allowed(tc.user, tc.q)
			if got != tc.want {
				t.Errorf("Allowed(%v, %s) = %v, want %v", tc.user, tc.q, got, tc.want)
			}
			if got != (len(grants) > 0) {
				t.Errorf("allowed %v with %d grants", got, len(grants))
			}
		})
	}
}

func TestWhoCan(t *testing.T) {
	ix := index(t)
	q, _ := rbac.ParseResource("get", "secrets")
	q.Namespace = "prod"
	var got []string
	for _, g := range ix.WhoCan(q, false) {
		s := rbac.SubjectString(g.Subject)
		if g.Names != nil {
			s += " (named)"
		}
		got = append(got, s)
	}
	want := []string{`User "alice" (named)`, `User "carol"`, `Group "system:masters"`, `ServiceAccount "prod/app" (named)`}
	if !slices.Equal(got, want) {
		t.Errorf("WhoCan(get secrets -n prod) = %q, want %q", got, want)
	}
	q.Namespace = ""
	n := 0
	for _, g := range ix.WhoCan(q, true) {
		if g.Subject.Name == "system:serviceaccounts:dev" && g.Namespace == "dev" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("WhoCan in any namespace should list the dev service accounts' grant in dev once, got %d", n)
	}
}

func TestAssess(t *testing.T) {
	ix := index(t)
	risks := func(u rbac.User) map[string]rule.Severity {
		m := map[string]rule.Severity{}
		for _, f := range rbac.Assess(ix.Grants(u)) {
			m[f.Risk.ID] = f.Severity
		}
		return m
	}
	if got := risks(rbac.AuthenticatedUser("carol")); len(got) != 1 || got["cluster-admin"] != rule.Critical {
		t.Errorf("carol: %v, want only cluster-admin (it includes every other risk)", got)
	}
	dev := risks(rbac.ServiceAccountUser("dev", "x"))
	if dev["cluster-admin"] != rule.High || dev["secrets-read"] != rule.High || dev["nodes-proxy"] != 0 {
		t.Errorf("dev service account (everything in one namespace): %v", dev)
	}
	app := rbac.Assess(ix.Grants(rbac.ServiceAccountUser("prod", "app")))
	if len(app) != 1 || app[0].Risk.ID != "secrets-read" || app[0].Scope() != `named "db" in namespace "prod"` {
		t.Errorf("one named secret: %+v", app)
	}
	for _, r := range ix.Subjects(false) {
		if r.Subject.Kind == rbacv1.GroupKind && r.Subject.Name == "system:serviceaccounts:dev" {
			if len(r.Risks) == 0 {
				t.Error("the group system:serviceaccounts:dev has no risks")
			}
			return
		}
	}
	t.Error("Subjects does not list the group system:serviceaccounts:dev")
}

func TestParseResource(t *testing.T) {
	for in, want := range map[string]rbac.Request{
		"pods":                   {Verb: "get", Resource: "pods"},
		"pods/exec":              {Verb: "get", Resource: "pods", Subresource: "exec"},
		"deployments.apps/scale": {Verb: "get", Group: "apps", Resource: "deployments", Subresource: "scale"},
		"/healthz":               {Verb: "get", Path: "/healthz"},
	} {
		got, err := rbac.ParseResource("get", in)
		if err != nil || got != want {
			t.Errorf("ParseResource(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	if _, err := rbac.ParseResource("get", "a/b/c"); err == nil {
		t.Error("a/b/c parsed")
	}
}
