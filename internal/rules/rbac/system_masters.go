package rbac

import (
	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/rule"
)

// SystemMasters reports bindings that name the group system:masters.
var SystemMasters = &rule.Rule{
	Meta: rule.Meta{
		ID:       "rbac-system-masters",
		Title:    "Binding to group system:masters",
		Severity: rule.Medium,
		Category: rule.CategoryRBAC,
		Doc: "Members of system:masters are allowed every request by an authorizer that runs before RBAC, so no " +
			"role or binding can limit them, and Kubernetes cannot revoke the client certificates that usually " +
			"carry the group. A binding that names the group grants it nothing more, but shows that credentials in " +
			"it are in use or expected. The rule flags subjects of kind Group named system:masters in RoleBindings " +
			"and ClusterRoleBindings, except in the default cluster-admin ClusterRoleBinding.",
		Remediation: "Give administrators credentials in an ordinary group bound to the roles they need and remove system:masters from the binding.",
		References: []framework.Ref{
			framework.CISRef("5.1.7"),
			framework.NSARef("authentication"),
			framework.NSARef("rbac"),
			framework.MITRERef("T1078"),
		},
	},
	Fixable: true,
	Run: func(pass *rule.Pass) error {
		b, err := bindingOf(pass.Object)
		if b == nil || b.isDefaultClusterAdmin() {
			return err
		}
		for i, s := range b.subjects {
			if isSubject(s, groupKind, systemMasters) {
				fix := func() *rule.Fix {
					fix := removeSubject(i, s, "")
					fix.Unsafe = false // the group is allowed everything before RBAC is asked: the binding grants it nothing
					return fix
				}
				pass.Reportf(subjectPath(i), fix, "%s grants %s to %s, whose members bypass RBAC and cannot be revoked",
					b, b.describeRoleRef(), describeSubject(s))
			}
		}
		return nil
	},
}
