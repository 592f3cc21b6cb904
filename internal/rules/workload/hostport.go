package workload

import (
	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/rule"
)

// HostPort reports container ports bound to a port of the node.
var HostPort = &rule.Rule{
	Meta: rule.Meta{
		ID:       "host-port",
		Title:    "Container port bound to a host port",
		Severity: rule.Medium,
		Category: rule.CategoryHostAccess,
		Doc: "A hostPort publishes the container on that port of the node it runs on, to anything that can " +
			"reach the node rather than only through a Service, and limits the workload to one pod per node and " +
			"port. The rule flags every entry of ports with a non-zero hostPort in init, regular " +
			"and ephemeral containers.",
		Remediation: "Remove hostPort and expose the container through a Service.",
		References: []framework.Ref{
			framework.PSSRef("baseline", "hostPorts"),
			framework.CISRef("5.2.13"),
			framework.NSARef("pod-security-enforcement"),
		},
	},
	Fixable: true,
	Run: func(pass *rule.Pass) error {
		pod, ok := pass.Object.PodTemplate()
		if !ok {
			return nil
		}
		for _, c := range pod.Containers() {
			for j, port := range c.Ports {
				if port.HostPort == 0 {
					continue
				}
				p := c.Path.Field("ports").Index(j).Field("hostPort")
				fix := func() *rule.Fix {
					return &rule.Fix{
						Patch:  []rule.PatchOp{rule.Remove(p)},
						Unsafe: true,
						Note:   "clients that reach the container on the node's address lose it; route them through a Service",
					}
				}
				pass.ReportContainer(c, p, fix, "%s binds host port %d (ports[%d].hostPort)", rule.ContainerMessage(c), port.HostPort, j)
			}
		}
		return nil
	},
}
