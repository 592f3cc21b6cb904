package workload

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/rule"
)

// HostNetwork reports pods that share the node's network namespace.
var HostNetwork = &rule.Rule{
	Meta: rule.Meta{
		ID:       "host-network",
		Title:    "Pod in the host network namespace",
		Severity: rule.High,
		Category: rule.CategoryHostAccess,
		Doc: "A pod in the node's network namespace listens on and connects from the node's own addresses: it " +
			"reaches services bound to the node's loopback interface, escapes most NetworkPolicy implementations, " +
			"and with NET_RAW or NET_ADMIN can sniff or redirect the traffic of every pod on the node. The rule " +
			"flags spec.hostNetwork=true in the pod template of every workload kind.",
		Remediation: "Remove hostNetwork from the pod spec and expose the pod through a Service.",
		References: []framework.Ref{
			framework.PSSRef("baseline", "hostNamespaces"),
			framework.CISRef("5.2.5"),
			framework.NSARef("pod-security-enforcement"),
			framework.MITRERef("T1040"),
			framework.MITRERef("T1557"),
		},
	},
	Fixable: true,
	Run: func(pass *rule.Pass) error {
		return checkHostNamespace(pass, "hostNetwork", "network",
			func(s *corev1.PodSpec) bool { return s.HostNetwork },
			"the pod gets its own address: clients that reach it on the node's address, and network plugins "+
				"or proxies that configure the node's interfaces, stop working")
	},
}
