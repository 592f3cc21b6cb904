package podsecurity

import (
	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
)

// CapabilitiesBaseline runs the PSA baseline check "capabilities_baseline".
var CapabilitiesBaseline = &rule.Rule{
	Meta: rule.Meta{
		ID:       "pss-capabilities-baseline",
		Title:    "PSS baseline: non-default capabilities",
		Severity: rule.High,
		Category: rule.CategoryPodSecurity,
		Doc: "Capabilities beyond the container runtime's default set, such as SYS_ADMIN, NET_ADMIN or SYS_PTRACE, " +
			"hand a container powers that lead to the node. This rule gives the verdict of the Pod Security " +
			"Admission check capabilities_baseline, which allows in securityContext.capabilities.add only AUDIT_WRITE, " +
			"CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID " +
			"and SYS_CHROOT; at the restricted level from policy v1.22 the check capabilities_restricted takes its place.",
		Remediation: "Remove the capabilities outside the runtime's default set from securityContext.capabilities.add.",
		References: []framework.Ref{
			framework.PSSRef("baseline", "capabilities_baseline"),
			framework.CISRef("5.2.9"),
			framework.MITRERef("T1611"),
		},
	},
	Fixable: true,
	Run:     check{id: "capabilities_baseline", containerField: capabilitiesAddField, fixWith: fixCapabilitiesBaseline}.run,
}

// capabilitiesAddField points at a container's added capabilities.
func capabilitiesAddField(_ object.PodTemplate, c object.Container) object.Path {
	return containerSC(c).Field("capabilities").Field("add")
}
