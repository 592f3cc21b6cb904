package rbac

import (
	"fmt"

	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/rule"
)

var execRequests = requests("", false, []string{"create", "get"}, "pods/exec", "pods/attach")

// PodExec reports roles that can run commands in, or attach to, running
// containers.
var PodExec = &rule.Rule{
	Meta: rule.Meta{
		ID:       "rbac-pod-exec",
		Title:    "Role that execs into pods",
		Severity: rule.High,
		Category: rule.CategoryRBAC,
		Doc: "Exec and attach run commands in a running container, which hands over everything the container " +
			"holds: its ServiceAccount token, mounted secrets and network position. The API server authorizes them " +
			"as create on pods/exec and pods/attach, but before Kubernetes v1.35 (feature gate " +
			"AuthorizePodWebsocketUpgradeCreatePermission) get was enough for clients that connect over WebSocket. " +
			"The rule flags create (high) and get (medium) on these subresources in Roles and ClusterRoles.",
		Remediation: "Remove pods/exec and pods/attach from the role and debug through logs or an audited break-glass role instead.",
		References: []framework.Ref{
			framework.NSARef("rbac"),
			framework.MITRERef("T1609"),
		},
	},
	Fixable: true,
	Run: func(pass *rule.Pass) error {
		grants, err := roleGrants(pass.Object, execRequests)
		for _, g := range grants {
			sev, consequence := rule.High, ""
			if !g.allowsVerb("create") {
				sev, consequence = rule.Medium, ", enough to exec over WebSocket before Kubernetes v1.35"
			}
			fix := func() *rule.Fix {
				return removeResourcesFix(g, execRequests, "holders of the role can no longer exec into or attach to containers; debug through logs or an audited break-glass role")
			}
			pass.Report(rule.Finding{Path: g.path, Severity: sev, Fix: fix, Message: fmt.Sprintf("%s grants %s%s", g.role, g, consequence)})
		}
		return err
	},
}
