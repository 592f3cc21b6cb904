package rbac

import (
	"cmp"
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
)

// Risk is a dangerous capability: one of its requests is enough to have
// it.
type Risk struct {
	// ID is kebab-case and stable: reports key on it.
	ID string
	// Title is a short noun phrase.
	Title string
	// Why says what an attacker gains.
	Why string
	// Cluster is the severity when the capability holds cluster-wide;
	// Namespace the severity when only RoleBindings grant it (zero: not
	// a risk when limited to namespaces).
	Cluster, Namespace rule.Severity
	// Requests are the requests that exercise the capability; any one is
	// enough.
	Requests []Request
}

func reqs(group string, verbs []string, resources ...string) []Request {
	var out []Request
	for _, v := range verbs {
		for _, r := range resources {
			res, sub, _ := strings.Cut(r, "/")
			out = append(out, Request{Verb: v, Group: group, Resource: res, Subresource: sub})
		}
	}
	return out
}

// Risks is the catalog of dangerous capabilities, most severe first.
var Risks = []*Risk{
	{
		ID: "cluster-admin", Title: "Full control of the cluster",
		Why:     "every verb on every resource: the subject can do anything, including read every secret and run privileged pods on every node",
		Cluster: rule.Critical, Namespace: rule.High,
		Requests: []Request{{Verb: "*", Group: "*", Resource: "*"}},
	},
	{
		ID: "impersonate", Title: "Impersonation",
		Why:     "impersonating users, groups or service accounts lets the subject act with their permissions, system:masters included",
		Cluster: rule.Critical, Namespace: rule.High,
		Requests: reqs("", []string{"impersonate"}, "users", "groups", "serviceaccounts"),
	},
	{
		ID: "escalate-bind", Title: "Role escalation or binding",
		Why:     "escalate and bind let the subject grant itself permissions it does not hold, up to cluster-admin",
		Cluster: rule.Critical, Namespace: rule.High,
		Requests: reqs(rbacv1.GroupName, []string{"escalate", "bind"}, "clusterroles", "roles"),
	},
	{
		ID: "nodes-proxy", Title: "Kubelet API through nodes/proxy",
		Why:      "nodes/proxy reaches the kubelet API of every node, which runs commands in any pod without audit",
		Cluster:  rule.Critical,
		Requests: reqs("", []string{"get", "create"}, "nodes/proxy"),
	},
	{
		ID: "webhook-write", Title: "Admission webhook configuration",
		Why:      "writing webhook configurations lets the subject intercept or rewrite every object sent to the API server, secrets included",
		Cluster:  rule.Critical,
		Requests: reqs("admissionregistration.k8s.io", []string{"create", "update", "patch"}, "mutatingwebhookconfigurations", "validatingwebhookconfigurations"),
	},
	{
		ID: "secrets-read", Title: "Secret reading",
		Why:     "reading secrets exposes credentials, including service-account tokens that carry other subjects' permissions",
		Cluster: rule.Critical, Namespace: rule.High,
		Requests: reqs("", []string{"get", "list", "watch"}, "secrets"),
	},
	{
		ID: "token-create", Title: "Service-account token creation",
		Why:     "creating tokens for service accounts lets the subject act as any of them",
		Cluster: rule.Critical, Namespace: rule.High,
		Requests: reqs("", []string{"create"}, "serviceaccounts/token"),
	},
	{
		ID: "csr-approve", Title: "Certificate signing request approval",
		Why:      "approving certificate requests lets the subject issue client certificates for any user or group, system:masters included",
		Cluster:  rule.High,
		Requests: reqs("certificates.k8s.io", []string{"update", "patch"}, "certificatesigningrequests/approval"),
	},
	{
		ID: "pod-exec", Title: "Command execution in pods",
		Why:     "exec, attach and ephemeral containers run commands inside other workloads with their service accounts and secrets",
		Cluster: rule.High, Namespace: rule.High,
		Requests: append(reqs("", []string{"create", "get"}, "pods/exec", "pods/attach"), reqs("", []string{"update", "patch"}, "pods/ephemeralcontainers")...),
	},
	{
		ID: "workload-create", Title: "Workload creation",
		Why:     "creating pods, directly or through a controller, runs code with any service account of the namespace and, unless Pod Security Admission forbids it, privileged on a node",
		Cluster: rule.High, Namespace: rule.High,
		Requests: append(reqs("", []string{"create"}, "pods", "replicationcontrollers"),
			append(reqs("apps", []string{"create", "update", "patch"}, "deployments", "daemonsets", "statefulsets", "replicasets"),
				reqs("batch", []string{"create", "update", "patch"}, "jobs", "cronjobs")...)...),
	},
	{
		ID: "persistentvolume-create", Title: "PersistentVolume creation",
		Why:      "a hostPath PersistentVolume mounts any directory of a node into a pod",
		Cluster:  rule.High,
		Requests: reqs("", []string{"create"}, "persistentvolumes"),
	},
}

// Finding is one risk one subject has.
type Finding struct {
	Risk     *Risk
	Severity rule.Severity
	// Grants are the grants that give the capability, cluster-wide first.
	Grants []Grant
	// Namespaces are where the capability holds; nil means cluster-wide.
	Namespaces []string
	// Names, when not nil, are the only objects the capability reaches:
	// every grant is limited by resourceNames.
	Names []string
}

// Scope renders where the finding holds: "cluster-wide" or `in namespaces
// "a", "b"`, preceded by the objects it is limited to, if any: `named "db"
// in namespace "prod"`.
func (f Finding) Scope() string {
	if f.Names != nil {
		q := make([]string, len(f.Names))
		for i, n := range f.Names {
			q[i] = `"` + n + `"`
		}
		return "named " + strings.Join(q, ", ") + " " + f.scope()
	}
	return f.scope()
}

func (f Finding) scope() string {
	if f.Namespaces == nil {
		return "cluster-wide"
	}
	q := make([]string, len(f.Namespaces))
	for i, n := range f.Namespaces {
		q[i] = `"` + n + `"`
	}
	if len(q) == 1 {
		return "in namespace " + q[0]
	}
	return "in namespaces " + strings.Join(q, ", ")
}

// Assess returns the risks among gs (the grants of one subject), most
// severe first. Cluster-wide full control stands alone: it includes every
// other risk.
func Assess(gs []Grant) []Finding {
	var out []Finding
	for _, r := range Risks {
		var hits []Grant
		for _, q := range r.Requests {
			for _, g := range Can(gs, q, Namespaced(q.Group, q.Resource)) {
				if !slices.ContainsFunc(hits, func(h Grant) bool { return sameGrant(h, g) }) {
					hits = append(hits, g)
				}
			}
		}
		if len(hits) == 0 {
			continue
		}
		f := Finding{Risk: r, Severity: r.Cluster}
		cluster := slices.ContainsFunc(hits, func(g Grant) bool { return g.Namespace == "" })
		if !cluster {
			if r.Namespace == 0 {
				continue
			}
			f.Severity = r.Namespace
			for _, g := range hits {
				if !slices.Contains(f.Namespaces, g.Namespace) {
					f.Namespaces = append(f.Namespaces, g.Namespace)
				}
			}
			slices.Sort(f.Namespaces)
		}
		slices.SortStableFunc(hits, func(a, b Grant) int { return cmp.Compare(a.Namespace, b.Namespace) })
		f.Grants = hits
		if !slices.ContainsFunc(hits, func(g Grant) bool { return g.Names == nil }) {
			for _, g := range hits {
				for _, n := range g.Names {
					if !slices.Contains(f.Names, n) {
						f.Names = append(f.Names, n)
					}
				}
			}
			slices.Sort(f.Names)
			// Named objects only: one step less severe, except for
			// impersonation, where one name (system:masters) is enough.
			if r.ID != "impersonate" && f.Severity > rule.Low {
				f.Severity--
			}
		}
		out = append(out, f)
	}
	slices.SortStableFunc(out, func(a, b Finding) int { return cmp.Compare(b.Severity, a.Severity) })
	// Full control of the cluster includes every other capability.
	for _, f := range out {
		if f.Risk.ID == "cluster-admin" && f.Namespaces == nil {
			return []Finding{f}
		}
	}
	return out
}

func sameGrant(a, b Grant) bool {
	return a.Binding == b.Binding && a.Rule.From == b.Rule.From && equalRule(a.Rule.PolicyRule, b.Rule.PolicyRule) && a.Subject == b.Subject
}

// SubjectReport is the effective access of one subject.
type SubjectReport struct {
	Subject rbacv1.Subject
	// User is how the subject authenticates; for a group, a user with only
	// that group (so that only the grants bound to the group count).
	User User
	// ServiceAccount is the ServiceAccount object, for service accounts
	// the scan holds.
	ServiceAccount *object.Object
	Grants         []Grant
	Risks          []Finding
}

// Subjects returns the access of every subject a binding names and of
// every ServiceAccount in the scan, sorted by kind and name. Built-in
// subjects (see Builtin) are left out unless withBuiltin is set.
func (ix *Index) Subjects(withBuiltin bool) []SubjectReport {
	seen := map[rbacv1.Subject]bool{}
	var subjects []rbacv1.Subject
	add := func(s rbacv1.Subject) {
		s.APIGroup = ""
		if !seen[s] && (withBuiltin || !Builtin(s)) {
			seen[s] = true
			subjects = append(subjects, s)
		}
	}
	for _, b := range ix.Bindings() {
		for _, s := range b.Subjects {
			if s.Kind == rbacv1.ServiceAccountKind && s.Namespace == "" {
				if b.Namespace == "" {
					continue
				}
				s.Namespace = b.Namespace
			}
			if s.Kind == rbacv1.UserKind || s.Kind == rbacv1.GroupKind || s.Kind == rbacv1.ServiceAccountKind {
				add(s)
			}
		}
	}
	sas := map[rbacv1.Subject]*object.Object{}
	for _, o := range ix.serviceAccounts {
		s := rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Name: o.Name, Namespace: o.Namespace()}
		sas[s] = o
		add(s)
	}
	slices.SortFunc(subjects, func(a, b rbacv1.Subject) int {
		return cmp.Or(cmp.Compare(subjectOrder(a.Kind), subjectOrder(b.Kind)), cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	out := make([]SubjectReport, 0, len(subjects))
	for _, s := range subjects {
		r := SubjectReport{Subject: s, User: UserFor(s), ServiceAccount: sas[s]}
		r.Grants = ix.Grants(r.User)
		r.Risks = Assess(r.Grants)
		out = append(out, r)
	}
	return out
}

// UserFor returns how a subject authenticates: a service account with its
// groups, a user with system:authenticated, and a group as a nameless
// member of only that group.
func UserFor(s rbacv1.Subject) User {
	switch s.Kind {
	case rbacv1.ServiceAccountKind:
		return ServiceAccountUser(s.Namespace, s.Name)
	case rbacv1.GroupKind:
		return User{Groups: []string{s.Name}}
	}
	return AuthenticatedUser(s.Name)
}

// Builtin reports whether a subject is one Kubernetes itself creates and
// binds: users and groups named system:* (other than the groups that
// stand for every user or every service account, whose bindings matter
// most) and the service accounts of kube-system.
func Builtin(s rbacv1.Subject) bool {
	switch s.Kind {
	case rbacv1.ServiceAccountKind:
		return s.Namespace == "kube-system"
	case rbacv1.GroupKind:
		switch {
		case s.Name == "system:authenticated", s.Name == "system:unauthenticated", s.Name == "system:serviceaccounts",
			strings.HasPrefix(s.Name, "system:serviceaccounts:"):
			return false
		}
		return strings.HasPrefix(s.Name, "system:")
	}
	return strings.HasPrefix(s.Name, "system:") && s.Name != "system:anonymous"
}
