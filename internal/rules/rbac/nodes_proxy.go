package rbac

import (
	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/rule"
)

// nodeProxyRequests are the verbs the API server and the kubelet map HTTP
// methods to on nodes/proxy.
var nodeProxyRequests = requests("", true, []string{"get", "create", "update", "patch", "delete"}, "nodes/proxy")

// NodesProxy reports ClusterRoles that reach the kubelet API through
// nodes/proxy.
var NodesProxy = &rule.Rule{
	Meta: rule.Meta{
		ID:       "rbac-nodes-proxy",
		Title:    "Role that proxies to the kubelet",
		Severity: rule.Critical,
		Category: rule.CategoryRBAC,
		Doc: "The nodes/proxy subresource opens the kubelet API of a node, which lists its pods, reads their logs " +
			"and runs commands in any of its containers; requests sent straight to the kubelet pass no admission " +
			"control and leave no API server audit record. The kubelet maps HTTP methods to verbs, so get alone " +
			"opens an exec session over WebSocket. The rule flags any verb on nodes/proxy in ClusterRoles (a Role " +
			"cannot grant it: nodes are not namespaced).",
		Remediation: "Remove nodes/proxy from the role and give monitoring agents the nodes/metrics and nodes/stats subresources instead.",
		References: []framework.Ref{
			framework.CISRef("5.1.10"),
			framework.NSARef("rbac"),
			framework.MITRERef("T1609"),
			framework.MITRERef("T1611"),
		},
	},
	Fixable: true,
	Run: func(pass *rule.Pass) error {
		grants, err := roleGrants(pass.Object, nodeProxyRequests)
		for _, g := range grants {
			fix := func() *rule.Fix {
				return removeResourcesFix(g, nodeProxyRequests, "holders of the role lose nodes/proxy; give monitoring agents nodes/metrics and nodes/stats instead")
			}
			pass.Reportf(g.path, fix, "%s grants %s, which reaches the kubelet API and every container of the node", g.role, g)
		}
		return err
	},
}
