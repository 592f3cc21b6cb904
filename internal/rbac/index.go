// Package rbac answers who may do what in a cluster from its RBAC objects:
// the effective permissions of each subject (user, group or service
// account), who can perform a given request, and which of those
// permissions are dangerous, each with the binding and role that grant it.
//
// It works on an object.Set, so the same answers come from manifests on
// disk and from a live cluster, and it evaluates requests exactly as the
// API server's RBAC authorizer does (see Allowed): bindings apply to a user
// by name, by group or as a service account; RoleBindings apply in their
// namespace and ClusterRoleBindings everywhere; a rule matches by verb, API
// group, resource or "*/subresource", resource name and non-resource URL.
// Two things go beyond what a manifest says, both as the API server
// behaves: members of system:masters may do anything (the API server
// allows them before RBAC is consulted), and an aggregated ClusterRole has
// the rules of every ClusterRole its aggregationRule selects as well as
// its own (the controller manager copies them in a live cluster; in
// manifests they are usually not written out).
//
// It never talks to a server: internal/source/cluster reads the objects.
package rbac

import (
	"cmp"
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	rbacv1alpha1 "k8s.io/api/rbac/v1alpha1"
	rbacv1beta1 "k8s.io/api/rbac/v1beta1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/palisade-dev/palisade/internal/object"
)

// Role is a Role or ClusterRole of any RBAC API version, seen in v1 terms.
type Role struct {
	// Object is the object the role was read from.
	Object *object.Object
	// Namespace is empty for a ClusterRole.
	Namespace, Name string
	// Rules are the role's effective rules: its own followed, for an
	// aggregated ClusterRole, by those of the ClusterRoles it aggregates.
	Rules []Rule
	// Aggregation is the ClusterRole's aggregationRule; nil otherwise.
	Aggregation *rbacv1.AggregationRule
}

// Rule is one policy rule of a role with the role that wrote it: the role
// itself, or a ClusterRole an aggregated role collects.
type Rule struct {
	rbacv1.PolicyRule
	// From is the role whose rules list holds this rule.
	From *Role
}

// Cluster reports whether r is a ClusterRole.
func (r *Role) Cluster() bool { return r.Namespace == "" }

// String names the role: `ClusterRole "view"` or `Role "app" in namespace
// "prod"`.
func (r *Role) String() string {
	if r.Cluster() {
		return `ClusterRole "` + r.Name + `"`
	}
	return `Role "` + r.Name + `" in namespace "` + r.Namespace + `"`
}

// Binding is a RoleBinding or ClusterRoleBinding of any RBAC API version,
// seen in v1 terms.
type Binding struct {
	Object *object.Object
	// Namespace is empty for a ClusterRoleBinding.
	Namespace, Name string
	RoleRef         rbacv1.RoleRef
	Subjects        []rbacv1.Subject
	// Role is the role RoleRef names, or nil when the scan does not hold
	// it (a binding to a missing role grants nothing).
	Role *Role
}

// Cluster reports whether b is a ClusterRoleBinding.
func (b *Binding) Cluster() bool { return b.Namespace == "" }

// String names the binding like Role.String.
func (b *Binding) String() string {
	if b.Cluster() {
		return `ClusterRoleBinding "` + b.Name + `"`
	}
	return `RoleBinding "` + b.Name + `" in namespace "` + b.Namespace + `"`
}

// Index holds the RBAC objects of one scan, resolved: every binding knows
// its role and every aggregated ClusterRole its rules. It is read-only
// after New and safe for concurrent use.
type Index struct {
	clusterRoles    map[string]*Role
	roles           map[nsName]*Role
	clusterBindings []*Binding
	bindings        map[string][]*Binding // RoleBindings by namespace
	namespaces      []string              // sorted namespaces with RoleBindings
	serviceAccounts []*object.Object
}

type nsName struct{ ns, name string }

type indexMemo struct{}

// For returns the index of set, built once per set and shared by every
// caller (rules, attack paths, the CLI).
func For(set *object.Set) *Index {
	return set.Memo(indexMemo{}, func() any { return New(set) }).(*Index)
}

// New indexes the Roles, ClusterRoles, RoleBindings, ClusterRoleBindings and
// ServiceAccounts of set. When several objects have the same kind,
// namespace and name (two versions of one role in a directory of
// manifests), the first one wins, as object.Set.Lookup does.
func New(set *object.Set) *Index {
	ix := &Index{clusterRoles: map[string]*Role{}, roles: map[nsName]*Role{}, bindings: map[string][]*Binding{}}
	for _, o := range set.Kind("ClusterRole") {
		if r := roleOf(o); r != nil && ix.clusterRoles[r.Name] == nil {
			ix.clusterRoles[r.Name] = r
		}
	}
	for _, o := range set.Kind("Role") {
		if r := roleOf(o); r != nil && ix.roles[nsName{r.Namespace, r.Name}] == nil {
			ix.roles[nsName{r.Namespace, r.Name}] = r
		}
	}
	ix.aggregate()
	seen := map[nsName]bool{}
	for _, kind := range []string{"ClusterRoleBinding", "RoleBinding"} {
		for _, o := range set.Kind(kind) {
			b := bindingOf(o)
			if b == nil {
				continue
			}
			key := nsName{b.Namespace, b.Name}
			if seen[key] {
				continue
			}
			seen[key] = true
			switch {
			case b.RoleRef.Kind == "ClusterRole":
				b.Role = ix.clusterRoles[b.RoleRef.Name]
			case b.RoleRef.Kind == "Role" && !b.Cluster():
				b.Role = ix.roles[nsName{b.Namespace, b.RoleRef.Name}]
			}
			if b.Cluster() {
				ix.clusterBindings = append(ix.clusterBindings, b)
			} else {
				if ix.bindings[b.Namespace] == nil {
					ix.namespaces = append(ix.namespaces, b.Namespace)
				}
				ix.bindings[b.Namespace] = append(ix.bindings[b.Namespace], b)
			}
		}
	}
	slices.Sort(ix.namespaces)
	for _, o := range set.Kind("ServiceAccount") {
		if o.Group() == "" {
			ix.serviceAccounts = append(ix.serviceAccounts, o)
		}
	}
	return ix
}

// aggregate appends to each aggregated ClusterRole the rules of the
// ClusterRoles its selectors match, as the clusterrole-aggregation
// controller does, until nothing changes, so that chains (view aggregated
// into edit, edit into admin) resolve in manifests where no controller has
// filled the rules in. A rule already present is not repeated, so a live
// cluster's filled-in roles come out unchanged.
func (ix *Index) aggregate() {
	names := make([]string, 0, len(ix.clusterRoles))
	for n, r := range ix.clusterRoles {
		if r.Aggregation != nil {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return
	}
	slices.Sort(names)
	all := make([]string, 0, len(ix.clusterRoles))
	for n := range ix.clusterRoles {
		all = append(all, n)
	}
	slices.Sort(all)
	for changed := true; changed; {
		changed = false
		for _, n := range names {
			r := ix.clusterRoles[n]
			for _, sel := range r.Aggregation.ClusterRoleSelectors {
				s, err := metav1.LabelSelectorAsSelector(&sel)
				if err != nil || s.Empty() {
					continue // the API server rejects such a selector
				}
				for _, m := range all {
					other := ix.clusterRoles[m]
					if other == r || !s.Matches(labels.Set(other.Object.Labels())) {
						continue
					}
					for _, rule := range other.Rules {
						if !slices.ContainsFunc(r.Rules, func(x Rule) bool { return equalRule(x.PolicyRule, rule.PolicyRule) }) {
							r.Rules = append(r.Rules, rule)
							changed = true
						}
					}
				}
			}
		}
	}
}

func equalRule(a, b rbacv1.PolicyRule) bool {
	return slices.Equal(a.Verbs, b.Verbs) && slices.Equal(a.APIGroups, b.APIGroups) &&
		slices.Equal(a.Resources, b.Resources) && slices.Equal(a.ResourceNames, b.ResourceNames) &&
		slices.Equal(a.NonResourceURLs, b.NonResourceURLs)
}

// ClusterRole returns the ClusterRole named name, or nil.
func (ix *Index) ClusterRole(name string) *Role { return ix.clusterRoles[name] }

// Bindings returns the ClusterRoleBindings and then the RoleBindings of
// every namespace, in a stable order.
func (ix *Index) Bindings() []*Binding {
	out := slices.Clone(ix.clusterBindings)
	for _, ns := range ix.namespaces {
		out = append(out, ix.bindings[ns]...)
	}
	return out
}

// bindingsFor returns the bindings that can apply to a request in
// namespace ns: every ClusterRoleBinding, and the RoleBindings of ns.
func (ix *Index) bindingsFor(ns string) []*Binding {
	if ns == "" {
		return ix.clusterBindings
	}
	return append(slices.Clip(ix.clusterBindings), ix.bindings[ns]...)
}

func roleOf(o *object.Object) *Role {
	r := &Role{Object: o, Name: o.Name}
	var rules []rbacv1.PolicyRule
	switch t := o.Typed.(type) {
	case *rbacv1.Role:
		rules, r.Namespace = t.Rules, o.Namespace()
	case *rbacv1.ClusterRole:
		rules, r.Aggregation = t.Rules, t.AggregationRule
	case *rbacv1beta1.Role:
		rules, r.Namespace = convertRules(t.Rules), o.Namespace()
	case *rbacv1beta1.ClusterRole:
		rules, r.Aggregation = convertRules(t.Rules), (*rbacv1.AggregationRule)(t.AggregationRule)
	case *rbacv1alpha1.Role:
		rules, r.Namespace = convertRules(t.Rules), o.Namespace()
	case *rbacv1alpha1.ClusterRole:
		rules, r.Aggregation = convertRules(t.Rules), (*rbacv1.AggregationRule)(t.AggregationRule)
	default:
		return nil
	}
	for _, pr := range rules {
		r.Rules = append(r.Rules, Rule{PolicyRule: pr, From: r})
	}
	return r
}

func convertRules[R rbacv1beta1.PolicyRule | rbacv1alpha1.PolicyRule](in []R) []rbacv1.PolicyRule {
	out := make([]rbacv1.PolicyRule, len(in))
	for i, r := range in {
		out[i] = rbacv1.PolicyRule(r)
	}
	return out
}

func bindingOf(o *object.Object) *Binding {
	b := &Binding{Object: o, Name: o.Name}
	switch t := o.Typed.(type) {
	case *rbacv1.RoleBinding:
		b.Namespace, b.RoleRef, b.Subjects = o.Namespace(), t.RoleRef, t.Subjects
	case *rbacv1.ClusterRoleBinding:
		b.RoleRef, b.Subjects = t.RoleRef, t.Subjects
	case *rbacv1beta1.RoleBinding:
		b.Namespace, b.RoleRef = o.Namespace(), rbacv1.RoleRef(t.RoleRef)
		for _, s := range t.Subjects {
			b.Subjects = append(b.Subjects, rbacv1.Subject(s))
		}
	case *rbacv1beta1.ClusterRoleBinding:
		b.RoleRef = rbacv1.RoleRef(t.RoleRef)
		for _, s := range t.Subjects {
			b.Subjects = append(b.Subjects, rbacv1.Subject(s))
		}
	case *rbacv1alpha1.RoleBinding:
		b.Namespace, b.RoleRef = o.Namespace(), rbacv1.RoleRef(t.RoleRef)
		for _, s := range t.Subjects {
			b.Subjects = append(b.Subjects, alphaSubject(s))
		}
	case *rbacv1alpha1.ClusterRoleBinding:
		b.RoleRef = rbacv1.RoleRef(t.RoleRef)
		for _, s := range t.Subjects {
			b.Subjects = append(b.Subjects, alphaSubject(s))
		}
	default:
		return nil
	}
	return b
}

// alphaSubject converts a v1alpha1 subject, which names its API group
// apiVersion ("rbac.authorization.k8s.io/v1alpha1").
func alphaSubject(s rbacv1alpha1.Subject) rbacv1.Subject {
	group, _, _ := strings.Cut(s.APIVersion, "/")
	return rbacv1.Subject{Kind: s.Kind, APIGroup: group, Name: s.Name, Namespace: s.Namespace}
}

// sortGrants orders grants by subject, then scope, then binding.
func sortGrants(gs []Grant) {
	slices.SortStableFunc(gs, func(a, b Grant) int {
		return cmp.Or(
			cmp.Compare(subjectOrder(a.Subject.Kind), subjectOrder(b.Subject.Kind)),
			cmp.Compare(a.Subject.Namespace, b.Subject.Namespace),
			cmp.Compare(a.Subject.Name, b.Subject.Name),
			cmp.Compare(a.Namespace, b.Namespace),
			cmp.Compare(a.bindingName(), b.bindingName()),
		)
	})
}

func subjectOrder(kind string) int {
	switch kind {
	case rbacv1.UserKind:
		return 0
	case rbacv1.GroupKind:
		return 1
	}
	return 2
}
