package rbac

import (
	"fmt"
	"slices"

	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/rule"
)

// publicSubject is a built-in identity that stands for everyone, or for
// everyone with credentials.
type publicSubject struct {
	kind, name string
	// who says whom the subject stands for, in messages.
	who      string
	severity rule.Severity
	// defaults are the ClusterRoles Kubernetes itself binds to the subject
	// (or to the group that contains it), which grant only discovery and
	// health information.
	defaults []string
}

var publicSubjects = []publicSubject{
	{
		kind: userKind, name: anonymousUser, who: "every request without credentials",
		severity: rule.Critical, defaults: []string{"system:public-info-viewer"},
	},
	{
		kind: groupKind, name: unauthenticated, who: "every request without credentials",
		severity: rule.Critical, defaults: []string{"system:public-info-viewer"},
	},
	{
		kind: groupKind, name: authenticatedGroup, who: "every user and service account with valid credentials",
		severity: rule.High, defaults: []string{"system:basic-user", "system:discovery", "system:public-info-viewer"},
	},
}

// AnonymousBinding reports bindings that grant a role to anonymous or to all
// authenticated users.
var AnonymousBinding = &rule.Rule{
	Meta: rule.Meta{
		ID:       "rbac-anonymous-binding",
		Title:    "Role granted to anonymous or all authenticated users",
		Severity: rule.Critical,
		Category: rule.CategoryRBAC,
		Doc: "The user system:anonymous and the group system:unauthenticated stand for every request that carries " +
			"no credentials, and the group system:authenticated for every user and every ServiceAccount of every " +
			"namespace (on some managed clusters, any account of the cloud provider). A role bound to them is " +
			"granted to anyone who can reach the API server. The rule flags these subjects in RoleBindings and " +
			"ClusterRoleBindings, critical for anonymous and high for all authenticated users, except bindings of " +
			"the discovery ClusterRoles Kubernetes grants them by default (system:basic-user, system:discovery and " +
			"system:public-info-viewer).",
		Remediation: "Bind the role to the specific users, groups or ServiceAccounts that need it.",
		References: []framework.Ref{
			framework.NSARef("authentication"),
			framework.NSARef("rbac"),
			framework.MITRERef("T1078"),
		},
	},
	Fixable: true,
	Run: func(pass *rule.Pass) error {
		b, err := bindingOf(pass.Object)
		if b == nil {
			return err
		}
		for i, s := range b.subjects {
			for _, p := range publicSubjects {
				if !isSubject(s, p.kind, p.name) || (b.roleRef.Kind == "ClusterRole" && slices.Contains(p.defaults, b.roleRef.Name)) {
					continue
				}
				fix := func() *rule.Fix {
					return removeSubject(i, s, "whoever relied on the binding as "+describeSubject(s)+" loses the role; bind it to the users, groups or ServiceAccounts that need it")
				}
				pass.Report(rule.Finding{Path: subjectPath(i), Severity: p.severity, Fix: fix, Message: fmt.Sprintf(
					"%s grants %s to %s, that is to %s", b, b.describeRoleRef(), describeSubject(s), p.who)})
			}
		}
		return nil
	},
}
