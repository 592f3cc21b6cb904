package podsecurity

import (
	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/rule"
)

// Sysctls runs the PSA baseline check "sysctls".
var Sysctls = &rule.Rule{
	Meta: rule.Meta{
		ID:       "pss-sysctls",
		Title:    "PSS baseline: unsafe sysctls",
		Severity: rule.High,
		Category: rule.CategoryPodSecurity,
		Doc: "Most kernel parameters are not namespaced, or not isolated between pods, so setting them from a pod " +
			"changes the node or its neighbours and can disable security mechanisms. This rule gives the verdict of " +
			"the Pod Security Admission check sysctls, which allows in spec.securityContext.sysctls only the safe " +
			"set of its policy version (such as kernel.shm_rmid_forced and net.ipv4.ip_local_port_range; the set " +
			"grows in v1.27, v1.29, v1.32 and v1.37).",
		Remediation: "Remove the sysctls outside the safe set and tune the node itself where the workload needs them.",
		References: []framework.Ref{
			framework.PSSRef("baseline", "sysctls"),
			framework.CISRef("5.7.3"),
			framework.MITRERef("T1611"),
		},
	},
	Fixable: true,
	Run:     check{id: "sysctls", fixWith: fixSysctls}.run,
}
