package workload

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/rule"
)

// HostIPC reports pods that share the node's IPC namespace.
var HostIPC = &rule.Rule{
	Meta: rule.Meta{
		ID:       "host-ipc",
		Title:    "Pod in the host IPC namespace",
		Severity: rule.High,
		Category: rule.CategoryHostAccess,
		Doc: "A pod in the node's IPC namespace shares System V shared memory, semaphores and POSIX message " +
			"queues with every process on the node, so it can read or corrupt the data other workloads and node " +
			"daemons exchange through them. The rule flags spec.hostIPC=true in the pod template of every workload kind.",
		Remediation: "Remove hostIPC from the pod spec.",
		References: []framework.Ref{
			framework.PSSRef("baseline", "hostNamespaces"),
			framework.CISRef("5.2.4"),
			framework.NSARef("pod-security-enforcement"),
		},
	},
	Fixable: true,
	Run: func(pass *rule.Pass) error {
		return checkHostNamespace(pass, "hostIPC", "IPC",
			func(s *corev1.PodSpec) bool { return s.HostIPC },
			"processes that share memory segments or message queues with processes on the node lose access to them")
	},
}
