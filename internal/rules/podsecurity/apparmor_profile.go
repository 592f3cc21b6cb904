package podsecurity

import (
	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
)

// AppArmorProfile runs the PSA baseline check "appArmorProfile".
var AppArmorProfile = &rule.Rule{
	Meta: rule.Meta{
		ID:       "pss-apparmor-profile",
		Title:    "PSS baseline: AppArmor profile overrides",
		Severity: rule.High,
		Category: rule.CategoryPodSecurity,
		Doc: "Where the node supports AppArmor, the container runtime confines every container with its default " +
			"profile; running unconfined removes that layer between a compromised process and the node. This rule " +
			"gives the verdict of the Pod Security Admission check appArmorProfile, which allows only the types " +
			"RuntimeDefault and Localhost in the pod's and containers' securityContext.appArmorProfile, and only " +
			"runtime/default and localhost/* in the deprecated container.apparmor.security.beta.kubernetes.io annotations.",
		Remediation: "Remove unconfined AppArmor profiles or set securityContext.appArmorProfile.type to RuntimeDefault or Localhost.",
		References: []framework.Ref{
			framework.PSSRef("baseline", "appArmorProfile"),
			framework.CISRef("5.7.3"),
			framework.MITRERef("T1611"),
		},
	},
	Fixable: true,
	Run: check{
		fix: fixAppArmor,
		id:  "appArmorProfile",
		podField: func(pod object.PodTemplate) object.Path {
			return podSC(pod).Field("appArmorProfile").Field("type")
		},
		containerField: func(_ object.PodTemplate, c object.Container) object.Path {
			return containerSC(c).Field("appArmorProfile").Field("type")
		},
	}.run,
}
