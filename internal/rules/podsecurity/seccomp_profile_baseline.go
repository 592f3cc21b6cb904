package podsecurity

import (
	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
)

// SeccompProfileBaseline runs the PSA baseline check
// "seccompProfile_baseline".
var SeccompProfileBaseline = &rule.Rule{
	Meta: rule.Meta{
		ID:       "pss-seccomp-profile-baseline",
		Title:    "PSS baseline: unconfined seccomp profile",
		Severity: rule.High,
		Category: rule.CategoryPodSecurity,
		Doc: "Seccomp filters the system calls a container may make, which closes off much of the kernel's attack " +
			"surface; an Unconfined profile opts out. This rule gives the verdict of the Pod Security Admission check " +
			"seccompProfile_baseline, which allows only the RuntimeDefault and Localhost types in the pod's and " +
			"containers' securityContext.seccompProfile (before policy v1.19: only runtime/default, docker/default " +
			"and localhost/* in the seccomp.security.alpha.kubernetes.io annotations); at the restricted level " +
			"the check seccompProfile_restricted takes its place.",
		Remediation: "Set securityContext.seccompProfile.type to RuntimeDefault or Localhost instead of Unconfined.",
		References: []framework.Ref{
			framework.PSSRef("baseline", "seccompProfile_baseline"),
			framework.CISRef("5.7.2"),
			framework.MITRERef("T1611"),
		},
	},
	Fixable: true,
	Run: check{
		fix: fixSeccompBaseline,
		id:  "seccompProfile_baseline",
		podField: func(pod object.PodTemplate) object.Path {
			return podSC(pod).Field("seccompProfile").Field("type")
		},
		containerField: func(_ object.PodTemplate, c object.Container) object.Path {
			return containerSC(c).Field("seccompProfile").Field("type")
		},
	}.run,
}
