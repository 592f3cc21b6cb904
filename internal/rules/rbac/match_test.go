package rbac

import (
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/palisade-dev/palisade/internal/object"
)

func TestAllows(t *testing.T) {
	pr := func(verbs, groups, resources []string, names ...string) rbacv1.PolicyRule {
		return rbacv1.PolicyRule{Verbs: verbs, APIGroups: groups, Resources: resources, ResourceNames: names}
	}
	s := func(v ...string) []string { return v }
	getSecrets := request{verb: "get", resource: "secrets"}
	createPods := request{verb: "create", resource: "pods"}
	execPods := request{verb: "create", resource: "pods/exec"}
	tests := []struct {
		name string
		rule rbacv1.PolicyRule
		req  request
		want bool
	}{
		{"exact match", pr(s("get"), s(""), s("secrets")), getSecrets, true},
		{"other verb", pr(s("list"), s(""), s("secrets")), getSecrets, false},
		{"verb wildcard", pr(s("*"), s(""), s("secrets")), getSecrets, true},
		{"no verbs", pr(nil, s(""), s("secrets")), getSecrets, false},
		{"other group", pr(s("get"), s("apps"), s("secrets")), getSecrets, false},
		{"group wildcard", pr(s("get"), s("*"), s("secrets")), getSecrets, true},
		{"no groups", pr(s("get"), nil, s("secrets")), getSecrets, false},
		{"named group", pr(s("create"), s("extensions", "apps"), s("deployments")),
			request{verb: "create", group: "apps", resource: "deployments"}, true},
		{"other resource", pr(s("get"), s(""), s("configmaps")), getSecrets, false},
		{"resource wildcard", pr(s("get"), s(""), s("*")), getSecrets, true},
		{"resource wildcard covers subresources", pr(s("create"), s(""), s("*")), execPods, true},
		{"resource does not cover its subresources", pr(s("create"), s(""), s("pods")), execPods, false},
		{"resource/* is not a pattern", pr(s("create"), s(""), s("pods/*")), execPods, false},
		{"*/subresource covers every parent", pr(s("create"), s(""), s("*/exec")), execPods, true},
		{"*/subresource is not the parent", pr(s("create"), s(""), s("*/exec")), createPods, false},
		{"*/subresource needs the same subresource", pr(s("create"), s(""), s("*/attach")), execPods, false},
		{"non-resource rule", rbacv1.PolicyRule{Verbs: s("get"), NonResourceURLs: s("*")}, getSecrets, false},
		{"resourceNames allow get", pr(s("get"), s(""), s("secrets"), "tls"), getSecrets, true},
		{"resourceNames allow list by name", pr(s("list"), s(""), s("secrets"), "tls"),
			request{verb: "list", resource: "secrets"}, true},
		{"resourceNames cannot allow create", pr(s("create"), s(""), s("pods"), "web"), createPods, false},
		{"resourceNames allow creating a subresource", pr(s("create"), s(""), s("pods/exec"), "web"), execPods, true},
		{"resourceNames cannot allow deletecollection", pr(s("deletecollection"), s(""), s("secrets"), "tls"),
			request{verb: "deletecollection", resource: "secrets"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := allows(tt.rule, tt.req); got != tt.want {
				t.Errorf("allows(%+v, %+v) = %v, want %v", tt.rule, tt.req, got, tt.want)
			}
		})
	}
}

func TestGrants(t *testing.T) {
	escalation := []request{
		{verb: "escalate", group: "rbac.authorization.k8s.io", resource: "roles"},
		{verb: "escalate", group: "rbac.authorization.k8s.io", resource: "clusterroles", clusterScoped: true},
		{verb: "bind", group: "rbac.authorization.k8s.io", resource: "roles"},
		{verb: "bind", group: "rbac.authorization.k8s.io", resource: "clusterroles"},
	}
	tests := []struct {
		name  string
		kind  string
		rules []rbacv1.PolicyRule
		reqs  []request
		want  []string // grant strings
		paths []object.Path
	}{
		{
			name: "one rule, verbs grouped",
			kind: "ClusterRole",
			rules: []rbacv1.PolicyRule{
				{Verbs: []string{"get", "list", "watch"}, APIGroups: []string{""}, Resources: []string{"configmaps", "secrets"}},
			},
			reqs:  secretReads,
			want:  []string{"get, list, watch on secrets"},
			paths: []object.Path{"rules[0].resources[1]"},
		},
		{
			name: "one grant per matching rule",
			kind: "ClusterRole",
			rules: []rbacv1.PolicyRule{
				{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods"}},
				{Verbs: []string{"list"}, APIGroups: []string{""}, Resources: []string{"secrets"}},
				{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"secrets"}, ResourceNames: []string{"a", "b"}},
			},
			reqs:  secretReads,
			want:  []string{"list on secrets", `get on secrets (resourceNames "a", "b")`},
			paths: []object.Path{"rules[1].resources[0]", "rules[2].resources[0]"},
		},
		{
			name: "empty resourceNames is no limit",
			kind: "Role",
			rules: []rbacv1.PolicyRule{
				{Verbs: []string{"list"}, APIGroups: []string{""}, Resources: []string{"secrets"}, ResourceNames: []string{}},
			},
			reqs:  secretReads,
			want:  []string{"list on secrets"},
			paths: []object.Path{"rules[0].resources[0]"},
		},
		{
			name: "cluster role gets cluster-scoped requests",
			kind: "ClusterRole",
			rules: []rbacv1.PolicyRule{
				{Verbs: []string{"escalate", "bind"}, APIGroups: []string{"rbac.authorization.k8s.io"}, Resources: []string{"*"}},
			},
			reqs:  escalation,
			want:  []string{"escalate, bind on roles, clusterroles"},
			paths: []object.Path{"rules[0].resources[0]"},
		},
		{
			name: "role skips cluster-scoped requests",
			kind: "Role",
			rules: []rbacv1.PolicyRule{
				{Verbs: []string{"escalate", "bind"}, APIGroups: []string{"rbac.authorization.k8s.io"}, Resources: []string{"roles", "clusterroles"}},
			},
			reqs:  escalation,
			want:  []string{"escalate on roles; bind on roles, clusterroles"},
			paths: []object.Path{"rules[0].resources[0]"},
		},
		{
			name: "path points at the covering element",
			kind: "ClusterRole",
			rules: []rbacv1.PolicyRule{
				{Verbs: []string{"create"}, APIGroups: []string{""}, Resources: []string{"pods", "pods/log", "*/exec"}},
			},
			reqs:  execRequests,
			want:  []string{"create on pods/exec"},
			paths: []object.Path{"rules[0].resources[2]"},
		},
		{
			name: "path points at the first covering element as written",
			kind: "Role",
			rules: []rbacv1.PolicyRule{
				{Verbs: []string{"create"}, APIGroups: []string{"batch"}, Resources: []string{"cronjobs", "jobs"}},
			},
			reqs:  workloadCreates,
			want:  []string{"create on jobs, cronjobs"},
			paths: []object.Path{"rules[0].resources[0]"},
		},
		{
			name: "nothing granted",
			kind: "Role",
			rules: []rbacv1.PolicyRule{
				{Verbs: []string{"create"}, APIGroups: []string{""}, Resources: []string{"pods"}, ResourceNames: []string{"web"}},
			},
			reqs: workloadCreates,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &role{obj: &object.Object{Kind: tt.kind, Name: "r"}, rules: tt.rules}
			got := r.grants(tt.reqs)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d grants %v, want %d %q", len(got), got, len(tt.want), tt.want)
			}
			for i, g := range got {
				if g.String() != tt.want[i] {
					t.Errorf("grant %d = %q, want %q", i, g, tt.want[i])
				}
				if g.names != nil && len(g.names) == 0 {
					t.Errorf("grant %d has empty non-nil names", i)
				}
				if g.path != tt.paths[i] {
					t.Errorf("grant %d path = %s, want %s", i, g.path, tt.paths[i])
				}
			}
		})
	}
}

func TestRequestUnnamed(t *testing.T) {
	tests := []struct {
		req  request
		want bool
	}{
		{request{verb: "create", resource: "pods"}, true},
		{request{verb: "deletecollection", resource: "pods"}, true},
		{request{verb: "create", resource: "serviceaccounts/token"}, false},
		{request{verb: "get", resource: "pods"}, false},
		{request{verb: "list", resource: "pods"}, false},
		{request{verb: "impersonate", resource: "users"}, false},
	}
	for _, tt := range tests {
		if got := tt.req.unnamed(); got != tt.want {
			t.Errorf("%+v.unnamed() = %v, want %v", tt.req, got, tt.want)
		}
	}
}
