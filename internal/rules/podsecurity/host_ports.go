package podsecurity

import (
	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
)

// HostPorts runs the PSA baseline check "hostPorts".
var HostPorts = &rule.Rule{
	Meta: rule.Meta{
		ID:       "pss-host-ports",
		Title:    "PSS baseline: host ports",
		Severity: rule.High,
		Category: rule.CategoryPodSecurity,
		Doc: "A host port binds a port of the node's own addresses to the container, bypassing Services and " +
			"most NetworkPolicy enforcement and limiting how pods can be scheduled. This rule gives the verdict of " +
			"the Pod Security Admission check hostPorts, which rejects a non-zero ports[*].hostPort on init, regular " +
			"and ephemeral containers.",
		Remediation: "Remove hostPort from the container ports and expose the pod through a Service.",
		References: []framework.Ref{
			framework.PSSRef("baseline", "hostPorts"),
			framework.CISRef("5.2.13"),
		},
	},
	Fixable: true,
	Run: check{
		id:             "hostPorts",
		containerField: hostPortField,
		fix:            fixHostPorts,
	}.run,
}

// hostPortField points at the container's first non-zero hostPort.
func hostPortField(_ object.PodTemplate, c object.Container) object.Path {
	for j, p := range c.Ports {
		if p.HostPort != 0 {
			return c.Path.Field("ports").Index(j).Field("hostPort")
		}
	}
	return c.Path
}

// fixHostPorts removes every host port. It is unsafe: whatever reached the
// pod on the node's address loses it.
func fixHostPorts(pod object.PodTemplate) *rule.Fix {
	fix := &rule.Fix{
		Unsafe: true,
		Note:   "clients that reach the pod on the node's address and host port lose access; expose the port through a Service",
	}
	for _, c := range pod.Containers() {
		for j, p := range c.Ports {
			if p.HostPort != 0 {
				fix.Patch = append(fix.Patch, rule.Remove(c.Path.Field("ports").Index(j).Field("hostPort")))
			}
		}
	}
	return fix
}
