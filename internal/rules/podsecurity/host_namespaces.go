package podsecurity

import (
	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
)

// HostNamespaces runs the PSA baseline check "hostNamespaces".
var HostNamespaces = &rule.Rule{
	Meta: rule.Meta{
		ID:       "pss-host-namespaces",
		Title:    "PSS baseline: host namespaces",
		Severity: rule.High,
		Category: rule.CategoryPodSecurity,
		Doc: "A pod that shares the node's network, process or IPC namespace sees the node's interfaces, processes " +
			"and shared memory, and can sniff traffic, signal or inspect other workloads' processes, or reach " +
			"services bound to the node's loopback address. This rule gives the verdict of the Pod Security " +
			"Admission check hostNamespaces, which rejects spec.hostNetwork, spec.hostPID and spec.hostIPC set to true.",
		Remediation: "Remove hostNetwork, hostPID and hostIPC from the pod spec.",
		References: []framework.Ref{
			framework.PSSRef("baseline", "hostNamespaces"),
			framework.CISRef("5.2.3"),
			framework.CISRef("5.2.4"),
			framework.CISRef("5.2.5"),
			framework.MITRERef("T1611"),
		},
	},
	Fixable: true,
	Run: check{
		id:       "hostNamespaces",
		podField: hostNamespaceField,
		fix:      fixHostNamespaces,
	}.run,
}

// hostNamespaceField points at the first host namespace the pod shares.
func hostNamespaceField(pod object.PodTemplate) object.Path {
	switch s := pod.Spec; {
	case s.HostNetwork:
		return pod.SpecPath.Field("hostNetwork")
	case s.HostPID:
		return pod.SpecPath.Field("hostPID")
	case s.HostIPC:
		return pod.SpecPath.Field("hostIPC")
	}
	return pod.SpecPath
}

// fixHostNamespaces removes the host namespace fields. Leaving the host PID
// and IPC namespaces is safe for anything but node agents; leaving the host
// network is not, because the pod moves to its own address.
func fixHostNamespaces(pod object.PodTemplate) *rule.Fix {
	fix := &rule.Fix{}
	if pod.Spec.HostNetwork {
		fix.Patch = append(fix.Patch, rule.Remove(pod.SpecPath.Field("hostNetwork")))
		fix.Unsafe = true
		fix.Note = "the pod gets its own network address: clients that reach it on the node's address stop reaching it, " +
			"and a dnsPolicy of ClusterFirstWithHostNet no longer applies"
	}
	if pod.Spec.HostPID {
		fix.Patch = append(fix.Patch, rule.Remove(pod.SpecPath.Field("hostPID")))
	}
	if pod.Spec.HostIPC {
		fix.Patch = append(fix.Patch, rule.Remove(pod.SpecPath.Field("hostIPC")))
	}
	return fix
}
