package workload

import (
	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/rule"
)

// Privileged reports containers that run in privileged mode.
var Privileged = &rule.Rule{
	Meta: rule.Meta{
		ID:       "privileged-container",
		Title:    "Privileged container",
		Severity: rule.Critical,
		Category: rule.CategoryHostAccess,
		Doc: "A privileged container runs with every Linux capability, sees every device of the node and is not " +
			"confined by seccomp or AppArmor. Escaping to the node is a matter of mounting its disk or loading a " +
			"kernel module, so one compromised privileged container means a compromised node and every secret on it. " +
			"The rule flags securityContext.privileged=true on init, regular and ephemeral containers.",
		Remediation: "Remove securityContext.privileged and grant only the specific capabilities the container needs.",
		References: []framework.Ref{
			framework.PSSRef("baseline", "privileged"),
			framework.CISRef("5.2.2"),
			framework.NSARef("non-root-containers"),
			framework.MITRERef("T1611"),
		},
	},
	Fixable: true,
	Run: func(pass *rule.Pass) error {
		pod, ok := pass.Object.PodTemplate()
		if !ok {
			return nil
		}
		for _, c := range pod.Containers() {
			if sc := c.SecurityContext; sc != nil && sc.Privileged != nil && *sc.Privileged {
				p := c.Path.Field("securityContext").Field("privileged")
				pass.ReportContainer(c, p, func() *rule.Fix { return &rule.Fix{Patch: []rule.PatchOp{rule.Set(p, false)}} },
					"%s runs privileged (securityContext.privileged=true)", rule.ContainerMessage(c))
			}
		}
		return nil
	},
}
