package podsecurity

import (
	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/rule"
)

// ProcMountRestricted runs the PSA restricted check "procMount_restricted".
var ProcMountRestricted = &rule.Rule{
	Meta: rule.Meta{
		ID:       "pss-proc-mount-restricted",
		Title:    "PSS restricted: unmasked /proc",
		Severity: rule.Medium,
		Category: rule.CategoryPodSecurity,
		Doc: "An Unmasked procMount exposes the parts of /proc that the runtime hides because they leak information " +
			"about the node or change kernel settings. From policy v1.35 the baseline level allows it in pods with " +
			"their own user namespace; this rule gives the verdict of the Pod Security Admission check " +
			"procMount_restricted, which at the restricted level keeps allowing only Default for " +
			"securityContext.procMount, whatever the pod's user namespace.",
		Remediation: "Remove securityContext.procMount or set it to Default.",
		References: []framework.Ref{
			framework.PSSRef("restricted", "procMount_restricted"),
			framework.CISRef("5.7.3"),
			framework.MITRERef("T1611"),
		},
	},
	Fixable: true,
	Run:     check{id: "procMount_restricted", containerField: procMountField, fix: fixProcMount}.run,
}
