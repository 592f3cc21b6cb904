package rbac

import (
	"slices"

	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/rule"
)

var workloadCreates = slices.Concat(
	requests("", false, []string{"create"}, "pods"),
	requests("apps", false, []string{"create"}, "deployments", "daemonsets", "statefulsets", "replicasets"),
	requests("batch", false, []string{"create"}, "jobs", "cronjobs"),
	requests("", false, []string{"create"}, "replicationcontrollers"),
)

// WorkloadCreate reports roles that can create pods, directly or through a
// controller.
var WorkloadCreate = &rule.Rule{
	Meta: rule.Meta{
		ID:       "rbac-workload-create",
		Title:    "Role that creates workloads",
		Severity: rule.High,
		Category: rule.CategoryRBAC,
		Doc: "Whoever can create a pod, or an object whose controller creates pods, can run any image as any " +
			"ServiceAccount of the namespace and mount any of its secrets, and, unless Pod Security admission " +
			"stops them, run a privileged pod that takes over the node. The rule flags create on pods, " +
			"deployments, daemonsets, statefulsets, replicasets, jobs, cronjobs and replicationcontrollers in " +
			"Roles and ClusterRoles.",
		Remediation: "Grant workload creation only to deployment pipelines and controllers, in the namespaces they manage.",
		References: []framework.Ref{
			framework.CISRef("5.1.4"),
			framework.NSARef("rbac"),
			framework.MITRERef("T1610"),
			framework.MITRERef("T1611"),
		},
	},
	Run: func(pass *rule.Pass) error {
		grants, err := roleGrants(pass.Object, workloadCreates)
		for _, g := range grants {
			pass.Reportf(g.path, nil, "%s grants %s", g.role, g)
		}
		return err
	},
}
