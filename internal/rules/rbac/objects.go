package rbac

import (
	"fmt"
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	rbacv1alpha1 "k8s.io/api/rbac/v1alpha1"
	rbacv1beta1 "k8s.io/api/rbac/v1beta1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/palisade-dev/palisade/internal/object"
)

// role is a Role or ClusterRole of any RBAC API version, seen in v1 terms.
// The older versions have the same fields, so one view serves every rule.
type role struct {
	obj   *object.Object
	rules []rbacv1.PolicyRule
	// aggregation is the ClusterRole's aggregationRule; nil for Roles and
	// for ClusterRoles without one.
	aggregation *rbacv1.AggregationRule
}

// roleOf returns the Role or ClusterRole that o holds, or nil when o is
// neither. It returns an error for an RBAC API version Palisade cannot read,
// so such a role is reported as unchecked rather than passing silently.
func roleOf(o *object.Object) (*role, error) {
	// Rules ask this of every object they see; a role is allocated only
	// for the objects that are roles.
	var rules []rbacv1.PolicyRule
	var aggregation *rbacv1.AggregationRule
	switch t := o.Typed.(type) {
	case *rbacv1.Role:
		rules = t.Rules
	case *rbacv1.ClusterRole:
		rules, aggregation = t.Rules, t.AggregationRule
	case *rbacv1beta1.Role:
		rules = v1Rules(t.Rules)
	case *rbacv1beta1.ClusterRole:
		rules, aggregation = v1Rules(t.Rules), (*rbacv1.AggregationRule)(t.AggregationRule)
	case *rbacv1alpha1.Role:
		rules = v1Rules(t.Rules)
	case *rbacv1alpha1.ClusterRole:
		rules, aggregation = v1Rules(t.Rules), (*rbacv1.AggregationRule)(t.AggregationRule)
	default:
		return nil, checkKnownVersion(o, "Role", "ClusterRole")
	}
	return &role{obj: o, rules: rules, aggregation: aggregation}, nil
}

// checkedRole is roleOf without the built-in roles the rules skip (see the
// package documentation).
func checkedRole(o *object.Object) (*role, error) {
	r, err := roleOf(o)
	if r == nil || r.builtin() {
		return nil, err
	}
	return r, nil
}

// defaultClusterRoles are the bootstrap ClusterRoles whose names lack the
// "system:" prefix.
var defaultClusterRoles = []string{"cluster-admin", "admin", "edit", "view"}

// builtin reports whether r is one of the roles the API server creates and
// reconciles.
func (r *role) builtin() bool {
	if strings.HasPrefix(r.obj.Name, "system:") {
		return true
	}
	return r.clusterWide() &&
		r.obj.Labels()["kubernetes.io/bootstrapping"] == "rbac-defaults" &&
		slices.Contains(defaultClusterRoles, r.obj.Name)
}

// clusterWide reports whether r is a ClusterRole.
func (r *role) clusterWide() bool { return r.obj.Kind == "ClusterRole" }

// String names the role in messages: `ClusterRole "ops"` or
// `Role "deployer" in namespace "ci"`.
func (r *role) String() string {
	if r.clusterWide() {
		return fmt.Sprintf("ClusterRole %q", r.obj.Name)
	}
	return fmt.Sprintf("Role %q in namespace %q", r.obj.Name, r.obj.Namespace())
}

// rulePath is the path of the role's i-th policy rule.
func rulePath(i int) object.Path { return object.Path("rules").Index(i) }

// v1Rules converts policy rules of an older RBAC version, whose fields are
// identical to v1's.
func v1Rules[R rbacv1beta1.PolicyRule | rbacv1alpha1.PolicyRule](in []R) []rbacv1.PolicyRule {
	out := make([]rbacv1.PolicyRule, len(in))
	for i, r := range in {
		out[i] = rbacv1.PolicyRule(r)
	}
	return out
}

// binding is a RoleBinding or ClusterRoleBinding of any RBAC API version,
// seen in v1 terms.
type binding struct {
	obj      *object.Object
	roleRef  rbacv1.RoleRef
	subjects []rbacv1.Subject
}

// bindingOf returns the RoleBinding or ClusterRoleBinding that o holds, or nil
// when o is neither. Like roleOf, it returns an error for an RBAC API version
// it cannot read.
func bindingOf(o *object.Object) (*binding, error) {
	switch t := o.Typed.(type) {
	case *rbacv1.RoleBinding:
		return &binding{obj: o, roleRef: t.RoleRef, subjects: t.Subjects}, nil
	case *rbacv1.ClusterRoleBinding:
		return &binding{obj: o, roleRef: t.RoleRef, subjects: t.Subjects}, nil
	case *rbacv1beta1.RoleBinding:
		return &binding{obj: o, roleRef: rbacv1.RoleRef(t.RoleRef), subjects: v1beta1Subjects(t.Subjects)}, nil
	case *rbacv1beta1.ClusterRoleBinding:
		return &binding{obj: o, roleRef: rbacv1.RoleRef(t.RoleRef), subjects: v1beta1Subjects(t.Subjects)}, nil
	case *rbacv1alpha1.RoleBinding:
		return &binding{obj: o, roleRef: rbacv1.RoleRef(t.RoleRef), subjects: v1alpha1Subjects(t.Subjects)}, nil
	case *rbacv1alpha1.ClusterRoleBinding:
		return &binding{obj: o, roleRef: rbacv1.RoleRef(t.RoleRef), subjects: v1alpha1Subjects(t.Subjects)}, nil
	}
	return nil, checkKnownVersion(o, "RoleBinding", "ClusterRoleBinding")
}

// String names the binding in messages: `ClusterRoleBinding "ops"` or
// `RoleBinding "deployer" in namespace "ci"`.
func (b *binding) String() string {
	if b.obj.Kind == "ClusterRoleBinding" {
		return fmt.Sprintf("ClusterRoleBinding %q", b.obj.Name)
	}
	return fmt.Sprintf("RoleBinding %q in namespace %q", b.obj.Name, b.obj.Namespace())
}

// refersTo reports whether the binding grants the ClusterRole named name.
func (b *binding) refersTo(name string) bool {
	return b.roleRef.Kind == "ClusterRole" && b.roleRef.Name == name
}

// isDefaultClusterAdmin reports whether b is the ClusterRoleBinding every
// cluster ships: cluster-admin granted to group system:masters and nobody
// else.
func (b *binding) isDefaultClusterAdmin() bool {
	return b.obj.Kind == "ClusterRoleBinding" && b.obj.Name == "cluster-admin" && b.refersTo("cluster-admin") &&
		len(b.subjects) > 0 &&
		!slices.ContainsFunc(b.subjects, func(s rbacv1.Subject) bool { return !isSubject(s, groupKind, systemMasters) })
}

// describeRoleRef names the granted role in messages: `ClusterRole "view"`.
func (b *binding) describeRoleRef() string {
	return fmt.Sprintf("%s %q", b.roleRef.Kind, b.roleRef.Name)
}

// subjectPath is the path of the binding's i-th subject.
func subjectPath(i int) object.Path { return object.Path("subjects").Index(i) }

// Subject kinds and the API server's built-in identities.
const (
	userKind           = rbacv1.UserKind
	groupKind          = rbacv1.GroupKind
	serviceAccountKind = rbacv1.ServiceAccountKind

	systemMasters      = "system:masters"
	anonymousUser      = "system:anonymous"
	unauthenticated    = "system:unauthenticated"
	authenticatedGroup = "system:authenticated"
)

// isSubject reports whether s is the subject of the given kind and name.
func isSubject(s rbacv1.Subject, kind, name string) bool {
	return s.Kind == kind && s.Name == name
}

// describeSubject names a subject in messages: `User "alice"`,
// `Group "devs"` or `ServiceAccount "ci/deployer"`.
func describeSubject(s rbacv1.Subject) string {
	if s.Kind == serviceAccountKind && s.Namespace != "" {
		return fmt.Sprintf("%s %q", s.Kind, s.Namespace+"/"+s.Name)
	}
	return fmt.Sprintf("%s %q", s.Kind, s.Name)
}

// describeSubjects names every subject of a binding in messages.
func describeSubjects(subjects []rbacv1.Subject) string {
	names := make([]string, len(subjects))
	for i, s := range subjects {
		names[i] = describeSubject(s)
	}
	return strings.Join(names, ", ")
}

func v1beta1Subjects(in []rbacv1beta1.Subject) []rbacv1.Subject {
	out := make([]rbacv1.Subject, len(in))
	for i, s := range in {
		out[i] = rbacv1.Subject(s)
	}
	return out
}

// v1alpha1Subjects converts v1alpha1 subjects, which carry an apiVersion
// where later versions carry only the group.
func v1alpha1Subjects(in []rbacv1alpha1.Subject) []rbacv1.Subject {
	out := make([]rbacv1.Subject, len(in))
	for i, s := range in {
		group := schema.FromAPIVersionAndKind(s.APIVersion, s.Kind).Group
		out[i] = rbacv1.Subject{Kind: s.Kind, APIGroup: group, Name: s.Name, Namespace: s.Namespace}
	}
	return out
}

// checkKnownVersion returns an error when o is one of the RBAC kinds but was
// not decoded into a type this package reads (a future API version), and nil
// for every other object.
func checkKnownVersion(o *object.Object, kinds ...string) error {
	if o.Group() != rbacv1.GroupName || !slices.Contains(kinds, o.Kind) {
		return nil
	}
	return fmt.Errorf("%s: RBAC API version %q is not supported", o.Ref(), o.APIVersion)
}
