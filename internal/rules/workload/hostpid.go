package workload

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/rule"
)

// HostPID reports pods that share the node's process ID namespace.
var HostPID = &rule.Rule{
	Meta: rule.Meta{
		ID:       "host-pid",
		Title:    "Pod in the host PID namespace",
		Severity: rule.High,
		Category: rule.CategoryHostAccess,
		Doc: "A pod in the node's PID namespace sees every process on the node, including the kubelet and the " +
			"container runtime, and reads their command lines and environments through /proc, where credentials " +
			"often sit. Running as root or with CAP_SYS_PTRACE, it can also signal those processes or inject code " +
			"into them. The rule flags spec.hostPID=true in the pod template of every workload kind.",
		Remediation: "Remove hostPID from the pod spec.",
		References: []framework.Ref{
			framework.PSSRef("baseline", "hostNamespaces"),
			framework.CISRef("5.2.3"),
			framework.NSARef("pod-security-enforcement"),
			framework.MITRERef("T1611"),
		},
	},
	Fixable: true,
	Run: func(pass *rule.Pass) error {
		return checkHostNamespace(pass, "hostPID", "PID",
			func(s *corev1.PodSpec) bool { return s.HostPID },
			"tools that inspect or signal the node's processes (monitoring, profiling and security agents) no longer see them")
	},
}
