package rbac

import (
	"fmt"
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/palisade-dev/palisade/internal/object"
)

// request is one API request as the RBAC authorizer sees it. Rules describe
// a dangerous capability as the requests that exercise it and ask each
// policy rule of a role which of them it allows.
type request struct {
	verb string
	// group is the API group, "" for the core group.
	group string
	// resource is the plural resource name, followed by a slash and the
	// subresource when there is one: "pods/exec".
	resource string
	// clusterScoped marks requests authorized without a namespace (nodes,
	// persistent volumes, impersonating a user): a Role cannot grant them.
	clusterScoped bool
}

// requests returns every combination of verbs and resources in one group.
func requests(group string, clusterScoped bool, verbs []string, resources ...string) []request {
	out := make([]request, 0, len(verbs)*len(resources))
	for _, v := range verbs {
		for _, res := range resources {
			out = append(out, request{verb: v, group: group, resource: res, clusterScoped: clusterScoped})
		}
	}
	return out
}

// unnamed reports whether the request never carries an object name: creating
// a top-level object and deleting a collection are authorized before any
// name is known. Creating a subresource (pods/exec) names its parent object,
// and list and watch name one when they select it by metadata.name.
func (q request) unnamed() bool {
	return q.verb == "deletecollection" || (q.verb == "create" && !strings.Contains(q.resource, "/"))
}

// allows reports whether pr authorizes q for at least one object, with the
// matching of the API server's RBAC authorizer:
//   - "*" in verbs, apiGroups or resources matches anything, subresources
//     included;
//   - "*/exec" matches the exec subresource of any resource, but "pods" does
//     not cover "pods/exec" and "pods/*" is not a pattern;
//   - resourceNames limits the rule to the named objects, so it cannot allow
//     a request that carries no name (see unnamed).
func allows(pr rbacv1.PolicyRule, q request) bool {
	return matchesVerb(pr.Verbs, q.verb) &&
		matchesGroup(pr.APIGroups, q.group) &&
		resourceIndex(pr.Resources, q.resource) >= 0 &&
		(len(pr.ResourceNames) == 0 || !q.unnamed())
}

func matchesVerb(verbs []string, verb string) bool {
	return slices.Contains(verbs, rbacv1.VerbAll) || slices.Contains(verbs, verb)
}

func matchesGroup(groups []string, group string) bool {
	return slices.Contains(groups, rbacv1.APIGroupAll) || slices.Contains(groups, group)
}

// resourceIndex returns the index of the element of resources that covers
// resource ("pods" or "pods/exec"), or -1.
func resourceIndex(resources []string, resource string) int {
	_, sub, hasSub := strings.Cut(resource, "/")
	return slices.IndexFunc(resources, func(r string) bool {
		return r == rbacv1.ResourceAll || r == resource || (hasSub && r == "*/"+sub)
	})
}

// grant is what one policy rule of a role allows out of a list of requests.
type grant struct {
	role *role
	// allowed are the requests the policy rule allows, in the order asked.
	allowed []request
	// names are the resourceNames the policy rule is limited to; nil means
	// every object.
	names []string
	// path is the first element of the policy rule's resources that covers
	// an allowed request: where a finding about the grant points.
	path object.Path
}

// grants returns one grant for each policy rule of r that allows any of reqs.
// Cluster-scoped requests are not asked of a Role, which cannot grant them.
func (r *role) grants(reqs []request) []grant {
	var out []grant
	for i, pr := range r.rules {
		g := grant{role: r}
		if len(pr.ResourceNames) > 0 {
			g.names = pr.ResourceNames
		}
		first := len(pr.Resources)
		for _, q := range reqs {
			if (q.clusterScoped && !r.clusterWide()) || !allows(pr, q) {
				continue
			}
			g.allowed = append(g.allowed, q)
			first = min(first, resourceIndex(pr.Resources, q.resource))
		}
		if g.allowed != nil {
			g.path = rulePath(i).Field("resources").Index(first)
			out = append(out, g)
		}
	}
	return out
}

// allowsVerb reports whether the grant includes verb on any resource.
func (g grant) allowsVerb(verb string) bool {
	return slices.ContainsFunc(g.allowed, func(q request) bool { return q.verb == verb })
}

// String describes the grant for messages, grouping verbs that cover the same
// resources: `get, list on secrets` or
// `escalate on roles; bind on roles, clusterroles (resourceNames "view")`.
func (g grant) String() string {
	var verbs []string
	resources := map[string][]string{}
	for _, q := range g.allowed {
		if _, seen := resources[q.verb]; !seen {
			verbs = append(verbs, q.verb)
		}
		resources[q.verb] = append(resources[q.verb], q.resource)
	}
	var parts []string
	for i := 0; i < len(verbs); {
		j := i + 1
		for j < len(verbs) && slices.Equal(resources[verbs[j]], resources[verbs[i]]) {
			j++
		}
		parts = append(parts, strings.Join(verbs[i:j], ", ")+" on "+strings.Join(resources[verbs[i]], ", "))
		i = j
	}
	s := strings.Join(parts, "; ")
	if len(g.names) > 0 {
		s += fmt.Sprintf(" (resourceNames %s)", quoteAll(g.names))
	}
	return s
}

// quoteAll renders names as a comma-separated list of quoted strings.
func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

// roleGrants returns what each policy rule of o allows out of reqs when o is a
// Role or ClusterRole. Other objects and built-in roles yield nothing.
func roleGrants(o *object.Object, reqs []request) ([]grant, error) {
	r, err := checkedRole(o)
	if r == nil {
		return nil, err
	}
	return r.grants(reqs), nil
}
