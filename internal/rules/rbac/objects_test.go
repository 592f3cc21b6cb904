package rbac

import (
	"slices"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/palisade-dev/palisade/internal/object"
)

func decodeOne(t *testing.T, doc string) *object.Object {
	t.Helper()
	res := object.Decode("test.yaml", []byte(doc))
	if len(res.Errors) > 0 || len(res.Objects) != 1 {
		t.Fatalf("decode: %v objects, errors %v", len(res.Objects), res.Errors)
	}
	return res.Objects[0]
}

func TestRoleOfVersions(t *testing.T) {
	want := []rbacv1.PolicyRule{{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"secrets"}, ResourceNames: []string{"tls"}}}
	for _, version := range []string{"v1", "v1beta1", "v1alpha1"} {
		t.Run(version, func(t *testing.T) {
			o := decodeOne(t, `
apiVersion: rbac.authorization.k8s.io/`+version+`
kind: ClusterRole
metadata: {name: reader}
rules:
  - {verbs: [get], apiGroups: [""], resources: [secrets], resourceNames: [tls]}
aggregationRule:
  clusterRoleSelectors: [{matchLabels: {team: a}}]
`)
			r, err := roleOf(o)
			if err != nil || r == nil {
				t.Fatalf("roleOf = %v, %v", r, err)
			}
			if !slices.EqualFunc(r.rules, want, func(a, b rbacv1.PolicyRule) bool { return a.String() == b.String() }) {
				t.Errorf("rules = %v, want %v", r.rules, want)
			}
			if r.aggregation == nil || r.aggregation.ClusterRoleSelectors[0].MatchLabels["team"] != "a" {
				t.Errorf("aggregation = %v", r.aggregation)
			}
		})
	}
}

func TestBindingOfVersions(t *testing.T) {
	want := []rbacv1.Subject{
		{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: "alice"},
		{Kind: "ServiceAccount", Name: "ci", Namespace: "build"},
	}
	subjects := map[string]string{
		"v1":       `[{kind: User, apiGroup: rbac.authorization.k8s.io, name: alice}, {kind: ServiceAccount, name: ci, namespace: build}]`,
		"v1beta1":  `[{kind: User, apiGroup: rbac.authorization.k8s.io, name: alice}, {kind: ServiceAccount, name: ci, namespace: build}]`,
		"v1alpha1": `[{kind: User, apiVersion: rbac.authorization.k8s.io/v1alpha1, name: alice}, {kind: ServiceAccount, name: ci, namespace: build}]`,
	}
	for version, subj := range subjects {
		t.Run(version, func(t *testing.T) {
			o := decodeOne(t, `
apiVersion: rbac.authorization.k8s.io/`+version+`
kind: RoleBinding
metadata: {name: b, namespace: build}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
subjects: `+subj+`
`)
			b, err := bindingOf(o)
			if err != nil || b == nil {
				t.Fatalf("bindingOf = %v, %v", b, err)
			}
			if !b.refersTo("edit") || !slices.Equal(b.subjects, want) {
				t.Errorf("roleRef %v, subjects %v, want edit and %v", b.roleRef, b.subjects, want)
			}
		})
	}
}

func TestUnknownVersion(t *testing.T) {
	o := decodeOne(t, `
apiVersion: rbac.authorization.k8s.io/v2
kind: Role
metadata: {name: r}
`)
	if r, err := roleOf(o); r != nil || err == nil {
		t.Errorf("roleOf(v2 Role) = %v, %v, want an error", r, err)
	}
	other := decodeOne(t, `
apiVersion: iam.example.com/v1
kind: Role
metadata: {name: r}
`)
	if r, err := roleOf(other); r != nil || err != nil {
		t.Errorf("roleOf(iam.example.com Role) = %v, %v, want nothing", r, err)
	}
}

func TestBuiltin(t *testing.T) {
	const defaults = "{kubernetes.io/bootstrapping: rbac-defaults}"
	tests := []struct {
		kind, name, labels string
		want               bool
	}{
		{"ClusterRole", "system:controller:job-controller", "{}", true},
		{"Role", "system:controller:bootstrap-signer", "{}", true},
		{"ClusterRole", "cluster-admin", defaults, true},
		{"ClusterRole", "view", defaults, true},
		{"ClusterRole", "cluster-admin", "{}", false},
		{"ClusterRole", "ops-admin", defaults, false},
		{"Role", "admin", defaults, false},
	}
	for _, tt := range tests {
		o := decodeOne(t, "apiVersion: rbac.authorization.k8s.io/v1\nkind: "+tt.kind+
			"\nmetadata: {name: \""+tt.name+"\", labels: "+tt.labels+"}\n")
		r, err := roleOf(o)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.builtin(); got != tt.want {
			t.Errorf("%s %s (labels %s): builtin = %v, want %v", tt.kind, tt.name, tt.labels, got, tt.want)
		}
	}
}
