package rbac

import (
	"fmt"
	"slices"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/rule"
)

// escalationRequests are the requests that get around RBAC's escalation
// prevention. Binding a ClusterRole in a RoleBinding is authorized in the
// binding's namespace, so a Role can grant bind on clusterroles; escalating
// a ClusterRole or impersonating a user, group or UID is authorized cluster
// wide, and a Role cannot grant it.
var escalationRequests = slices.Concat(
	requests(rbacv1.GroupName, false, []string{"escalate"}, "roles"),
	requests(rbacv1.GroupName, true, []string{"escalate"}, "clusterroles"),
	requests(rbacv1.GroupName, false, []string{"bind"}, "roles", "clusterroles"),
	requests("", true, []string{"impersonate"}, "users", "groups"),
	requests("", false, []string{"impersonate"}, "serviceaccounts"),
	requests("authentication.k8s.io", true, []string{"impersonate"}, "uids"),
)

// EscalateBindImpersonate reports roles that hold the verbs which bypass
// RBAC's escalation prevention.
var EscalateBindImpersonate = &rule.Rule{
	Meta: rule.Meta{
		ID:       "rbac-escalate-bind-impersonate",
		Title:    "Role that escalates, binds or impersonates",
		Severity: rule.Critical,
		Category: rule.CategoryRBAC,
		Doc: "Kubernetes refuses to let users grant permissions they do not hold, except to those with escalate " +
			"(write a role with any permission), bind (bind any role, cluster-admin included) or impersonate (act " +
			"as another user, group, ServiceAccount or UID with all of its permissions). Each is a direct path to " +
			"cluster-admin. The rule flags escalate and bind on roles and clusterroles, and impersonate on users, " +
			"groups, serviceaccounts and uids, in Roles and ClusterRoles: critical, or high when resourceNames " +
			"limits the grant to named roles or identities other than cluster-admin and system:masters.",
		Remediation: "Remove escalate, bind and impersonate from the role, or limit them with resourceNames to the roles and identities that must be delegated.",
		References: []framework.Ref{
			framework.CISRef("5.1.8"),
			framework.NSARef("rbac"),
			framework.MITRERef("T1098"),
			framework.MITRERef("T1078"),
		},
	},
	Run: func(pass *rule.Pass) error {
		grants, err := roleGrants(pass.Object, escalationRequests)
		for _, g := range grants {
			sev := rule.Critical
			if g.names != nil && !slices.Contains(g.names, "cluster-admin") && !slices.Contains(g.names, systemMasters) {
				sev = rule.High
			}
			pass.Report(rule.Finding{Path: g.path, Severity: sev, Message: fmt.Sprintf("%s grants %s", g.role, g)})
		}
		return err
	},
}
