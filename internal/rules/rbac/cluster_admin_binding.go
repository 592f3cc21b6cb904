package rbac

import (
	"fmt"
	"slices"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
)

// ClusterAdminBinding reports bindings that grant the cluster-admin
// ClusterRole.
var ClusterAdminBinding = &rule.Rule{
	Meta: rule.Meta{
		ID:       "rbac-cluster-admin-binding",
		Title:    "Binding to cluster-admin",
		Severity: rule.High,
		Category: rule.CategoryRBAC,
		Doc: "The cluster-admin ClusterRole allows every verb on every resource: its holders can read every secret, " +
			"run any pod on any node and grant themselves anything else. Bound to a ServiceAccount, it turns the " +
			"compromise of any pod that mounts the account's token into the compromise of the cluster. The rule " +
			"flags RoleBindings and ClusterRoleBindings whose roleRef is the ClusterRole cluster-admin, as critical " +
			"when a subject is a ServiceAccount, except the default ClusterRoleBinding cluster-admin of group " +
			"system:masters.",
		Remediation: "Bind a role that grants only the permissions the subjects need instead of cluster-admin.",
		References: []framework.Ref{
			framework.CISRef("5.1.1"),
			framework.NSARef("rbac"),
			framework.MITRERef("T1078"),
			framework.MITRERef("T1098"),
		},
	},
	Run: func(pass *rule.Pass) error {
		b, err := bindingOf(pass.Object)
		if b == nil || !b.refersTo("cluster-admin") || len(b.subjects) == 0 || b.isDefaultClusterAdmin() {
			return err
		}
		sev := rule.High
		if slices.ContainsFunc(b.subjects, func(s rbacv1.Subject) bool { return s.Kind == serviceAccountKind }) {
			sev = rule.Critical
		}
		pass.Report(rule.Finding{
			Path:     object.Path("roleRef").Field("name"),
			Severity: sev,
			Message:  fmt.Sprintf("%s grants cluster-admin to %s", b, describeSubjects(b.subjects)),
		})
		return nil
	},
}
