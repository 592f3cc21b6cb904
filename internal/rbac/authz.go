package rbac

import (
	"fmt"
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
)

// MastersGroup is the group whose members the API server allows to do
// anything, before and regardless of RBAC.
const MastersGroup = "system:masters"

// User is who makes a request, as an authenticator reports it: a user name
// and groups.
type User struct {
	Name   string
	Groups []string
}

// ServiceAccountUser returns the user a service account's token
// authenticates as, with the groups the API server gives every service
// account.
func ServiceAccountUser(namespace, name string) User {
	return User{
		Name:   ServiceAccountUserName(namespace, name),
		Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + namespace, "system:authenticated"},
	}
}

// ServiceAccountUserName is the user name of a service account:
// system:serviceaccount:NAMESPACE:NAME.
func ServiceAccountUserName(namespace, name string) string {
	return "system:serviceaccount:" + namespace + ":" + name
}

// AuthenticatedUser returns a user with the given groups and
// system:authenticated, which the API server adds for every authenticated
// user. A service account user name gets the service account groups.
func AuthenticatedUser(name string, groups ...string) User {
	if rest, ok := strings.CutPrefix(name, "system:serviceaccount:"); ok {
		if ns, sa, ok := strings.Cut(rest, ":"); ok {
			u := ServiceAccountUser(ns, sa)
			for _, g := range groups {
				if !slices.Contains(u.Groups, g) {
					u.Groups = append(u.Groups, g)
				}
			}
			return u
		}
	}
	u := User{Name: name, Groups: slices.Clone(groups)}
	if name != "system:anonymous" && !slices.Contains(u.Groups, "system:authenticated") {
		u.Groups = append(u.Groups, "system:authenticated")
	}
	return u
}

// Request is one API request as the authorizer sees it.
type Request struct {
	Verb string
	// Group is the API group, "" for the core group.
	Group string
	// Resource is the plural resource name; empty for a non-resource
	// request.
	Resource    string
	Subresource string
	// Name is the object's name; empty for requests that name none
	// (list, create, or "any object").
	Name string
	// Namespace is the request's namespace; empty for cluster-scoped
	// resources, non-resource URLs and requests across all namespaces.
	Namespace string
	// Path is the URL of a non-resource request such as /healthz.
	Path string
}

// ResourceRequest reports whether q is about a resource rather than a
// non-resource URL.
func (q Request) ResourceRequest() bool { return q.Path == "" }

// String renders q in who-can syntax: `get pods/log` or `create
// deployments.apps in namespace "prod"`.
func (q Request) String() string {
	if !q.ResourceRequest() {
		return q.Verb + " " + q.Path
	}
	s := q.Verb + " " + q.Resource
	if q.Group != "" {
		s += "." + q.Group
	}
	if q.Subresource != "" {
		s += "/" + q.Subresource
	}
	if q.Name != "" {
		s += fmt.Sprintf(" %q", q.Name)
	}
	if q.Namespace != "" {
		s += fmt.Sprintf(" in namespace %q", q.Namespace)
	}
	return s
}

// ParseResource reads a resource as kubectl writes it: `pods`,
// `pods/exec`, `deployments.apps`, `deployments.apps/scale`, or a
// non-resource URL starting with a slash. Core resources may also be
// written with an empty group (`pods.`).
func ParseResource(verb, s string) (Request, error) {
	q := Request{Verb: verb}
	if strings.HasPrefix(s, "/") {
		q.Path = s
		return q, nil
	}
	res, sub, _ := strings.Cut(s, "/")
	res, group, _ := strings.Cut(res, ".")
	if res == "" || strings.Contains(sub, "/") {
		return q, fmt.Errorf("resource %q is not RESOURCE[.GROUP][/SUBRESOURCE] or a URL path", s)
	}
	q.Resource, q.Group, q.Subresource = strings.ToLower(res), group, sub
	return q, nil
}

// Grant is one rule of one role, bound to one subject by one binding.
type Grant struct {
	// Subject is as the binding names it, with a service account's
	// namespace filled in from a RoleBinding when the subject omits it.
	Subject rbacv1.Subject
	// Binding is nil only for the built-in grant to system:masters.
	Binding *Binding
	// Rule is the policy rule that matches; its From names the role that
	// wrote it. Zero for the system:masters grant.
	Rule Rule
	// Namespace is where the grant applies: the RoleBinding's namespace,
	// or "" for a ClusterRoleBinding (every namespace and the cluster
	// scope).
	Namespace string
	// Names, when not nil, limits the grant to objects with these names
	// (the rule's resourceNames): it does not allow a request that names
	// no object, such as list or create.
	Names []string
}

// Masters reports whether g is the API server's built-in grant to
// system:masters.
func (g Grant) Masters() bool { return g.Binding == nil }

func (g Grant) bindingName() string {
	if g.Binding == nil {
		return ""
	}
	return g.Binding.Name
}

// Via describes how the grant reaches its subject: `ClusterRoleBinding
// "ops" -> ClusterRole "admin"`, with the aggregated role the rule comes
// from when it differs.
func (g Grant) Via() string {
	if g.Masters() {
		return "group system:masters (the API server allows its members every request)"
	}
	s := g.Binding.String() + " -> "
	if g.Binding.Role == nil {
		return s + g.Binding.RoleRef.Kind + ` "` + g.Binding.RoleRef.Name + `" (missing)`
	}
	s += g.Binding.Role.String()
	if g.Rule.From != nil && g.Rule.From != g.Binding.Role {
		s += " (aggregated from " + g.Rule.From.String() + ")"
	}
	return s
}

// SubjectString renders g's subject: `User "alice"`, `Group
// "system:authenticated"` or `ServiceAccount "prod/web"`.
func SubjectString(s rbacv1.Subject) string {
	if s.Kind == rbacv1.ServiceAccountKind {
		return fmt.Sprintf("ServiceAccount %q", s.Namespace+"/"+s.Name)
	}
	return fmt.Sprintf("%s %q", s.Kind, s.Name)
}

// Allowed decides q for u exactly as the RBAC authorizer (preceded by the
// system:masters check) does, and returns the grants that allow it.
func (ix *Index) Allowed(u User, q Request) (bool, []Grant) {
	var out []Grant
	if slices.Contains(u.Groups, MastersGroup) {
		out = append(out, mastersGrant())
	}
	for _, b := range ix.bindingsFor(requestNamespace(q)) {
		i := appliesTo(u, b)
		if i < 0 || b.Role == nil {
			continue
		}
		for _, r := range b.Role.Rules {
			if ruleAllows(r.PolicyRule, q) {
				out = append(out, grant(b, b.Subjects[i], r))
			}
		}
	}
	return len(out) > 0, out
}

// requestNamespace is the namespace whose RoleBindings can allow q: none
// for non-resource requests, whatever the request says.
func requestNamespace(q Request) string {
	if !q.ResourceRequest() {
		return ""
	}
	return q.Namespace
}

func mastersGrant() Grant {
	return Grant{Subject: rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: MastersGroup}}
}

func grant(b *Binding, s rbacv1.Subject, r Rule) Grant {
	if s.Kind == rbacv1.ServiceAccountKind && s.Namespace == "" {
		s.Namespace = b.Namespace
	}
	g := Grant{Subject: s, Binding: b, Rule: r, Namespace: b.Namespace}
	if len(r.ResourceNames) > 0 {
		g.Names = r.ResourceNames
	}
	return g
}

// appliesTo returns the index of the first subject of b that u matches, or
// -1, with the authorizer's rules: users by name, groups by membership,
// service accounts by their user name (a RoleBinding's namespace is the
// default for a service account subject without one).
func appliesTo(u User, b *Binding) int {
	for i, s := range b.Subjects {
		switch s.Kind {
		case rbacv1.UserKind:
			if u.Name == s.Name {
				return i
			}
		case rbacv1.GroupKind:
			if slices.Contains(u.Groups, s.Name) {
				return i
			}
		case rbacv1.ServiceAccountKind:
			ns := cmpOr(s.Namespace, b.Namespace)
			if ns != "" && u.Name == ServiceAccountUserName(ns, s.Name) {
				return i
			}
		}
	}
	return -1
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// ruleAllows is the authorizer's RuleAllows.
func ruleAllows(r rbacv1.PolicyRule, q Request) bool {
	if !q.ResourceRequest() {
		return verbMatches(r, q.Verb) && urlMatches(r, q.Path)
	}
	return verbMatches(r, q.Verb) && groupMatches(r, q.Group) && resourceMatches(r, q.Resource, q.Subresource) &&
		(len(r.ResourceNames) == 0 || slices.Contains(r.ResourceNames, q.Name))
}

// ruleCovers is ruleAllows without the resource name check: whether r
// allows q for at least some objects.
func ruleCovers(r rbacv1.PolicyRule, q Request) bool {
	if !q.ResourceRequest() {
		return ruleAllows(r, q)
	}
	return verbMatches(r, q.Verb) && groupMatches(r, q.Group) && resourceMatches(r, q.Resource, q.Subresource) &&
		(q.Name == "" || len(r.ResourceNames) == 0 || slices.Contains(r.ResourceNames, q.Name))
}

func verbMatches(r rbacv1.PolicyRule, verb string) bool {
	return slices.Contains(r.Verbs, rbacv1.VerbAll) || slices.Contains(r.Verbs, verb)
}

func groupMatches(r rbacv1.PolicyRule, group string) bool {
	return slices.Contains(r.APIGroups, rbacv1.APIGroupAll) || slices.Contains(r.APIGroups, group)
}

func resourceMatches(r rbacv1.PolicyRule, resource, sub string) bool {
	combined := resource
	if sub != "" {
		combined += "/" + sub
	}
	for _, rr := range r.Resources {
		if rr == rbacv1.ResourceAll || rr == combined || (sub != "" && rr == "*/"+sub) {
			return true
		}
	}
	return false
}

func urlMatches(r rbacv1.PolicyRule, path string) bool {
	for _, u := range r.NonResourceURLs {
		if u == rbacv1.NonResourceAll || u == path || (strings.HasSuffix(u, "*") && strings.HasPrefix(path, strings.TrimRight(u, "*"))) {
			return true
		}
	}
	return false
}

// WhoCan returns every grant that allows q, for every subject, sorted by
// subject. With q.Namespace empty and anyNamespace set, the RoleBindings
// of every namespace count too (each grant says where it applies);
// otherwise only those of q.Namespace do. Grants limited by resourceNames
// are included when they cover some object of q (Names says which): they
// allow q only if q names one of them.
func (ix *Index) WhoCan(q Request, anyNamespace bool) []Grant {
	out := []Grant{mastersGrant()}
	bindings := ix.bindingsFor(requestNamespace(q))
	if anyNamespace && q.Namespace == "" && q.ResourceRequest() {
		bindings = ix.Bindings()
	}
	for _, b := range bindings {
		if b.Role == nil {
			continue
		}
		for _, r := range b.Role.Rules {
			if !ruleCovers(r.PolicyRule, q) {
				continue
			}
			for _, s := range b.Subjects {
				if s.Kind == rbacv1.ServiceAccountKind && s.Namespace == "" && b.Namespace == "" {
					continue // matches no one
				}
				out = append(out, grant(b, s, r))
			}
		}
	}
	sortGrants(out)
	return out
}

// Grants returns every grant that applies to u, in every namespace: the
// rules u may use, each with the binding that gives it.
func (ix *Index) Grants(u User) []Grant {
	var out []Grant
	if slices.Contains(u.Groups, MastersGroup) {
		out = append(out, mastersGrant())
	}
	for _, b := range ix.Bindings() {
		i := appliesTo(u, b)
		if i < 0 || b.Role == nil {
			continue
		}
		for _, r := range b.Role.Rules {
			out = append(out, grant(b, b.Subjects[i], r))
		}
	}
	return out
}

// Can returns the grants among gs that allow q in any namespace (those of
// a ClusterRoleBinding, and those of RoleBindings when q is namespaced),
// whatever q.Namespace says, ignoring resource names unless q has one.
// It answers "where may this subject do q?".
func Can(gs []Grant, q Request, namespaced bool) []Grant {
	var out []Grant
	for _, g := range gs {
		if g.Masters() {
			out = append(out, g)
			continue
		}
		if g.Namespace != "" && (!namespaced || !q.ResourceRequest()) {
			continue
		}
		if q.Namespace != "" && g.Namespace != "" && g.Namespace != q.Namespace {
			continue
		}
		if ruleCovers(g.Rule.PolicyRule, q) {
			out = append(out, g)
		}
	}
	return out
}
