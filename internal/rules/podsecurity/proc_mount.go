package podsecurity

import (
	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
)

// ProcMount runs the PSA baseline check "procMount".
var ProcMount = &rule.Rule{
	Meta: rule.Meta{
		ID:       "pss-proc-mount",
		Title:    "PSS baseline: unmasked /proc",
		Severity: rule.High,
		Category: rule.CategoryPodSecurity,
		Doc: "The container runtime masks and makes read-only the parts of /proc that leak information about the " +
			"node or let a process change kernel settings; an Unmasked procMount exposes them. This rule gives the " +
			"verdict of the Pod Security Admission check procMount, which allows only Default for " +
			"securityContext.procMount, and from policy v1.35 any value in a pod with its own user namespace " +
			"(hostUsers: false); at the restricted level from v1.35 the check procMount_restricted takes its place.",
		Remediation: "Remove securityContext.procMount or set it to Default.",
		References: []framework.Ref{
			framework.PSSRef("baseline", "procMount"),
			framework.CISRef("5.7.3"),
			framework.MITRERef("T1611"),
		},
	},
	Fixable: true,
	Run:     check{id: "procMount", containerField: procMountField, fix: fixProcMount}.run,
}

// procMountField points at a container's securityContext.procMount.
func procMountField(_ object.PodTemplate, c object.Container) object.Path {
	return containerSC(c).Field("procMount")
}
