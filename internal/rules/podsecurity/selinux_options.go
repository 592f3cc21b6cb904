package podsecurity

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
)

// SELinuxOptions runs the PSA baseline check "seLinuxOptions".
var SELinuxOptions = &rule.Rule{
	Meta: rule.Meta{
		ID:       "pss-selinux-options",
		Title:    "PSS baseline: custom SELinux options",
		Severity: rule.High,
		Category: rule.CategoryPodSecurity,
		Doc: "SELinux labels decide what a container process may touch on the node; a custom user or role, or a " +
			"type such as spc_t, lifts the confinement the runtime's container types provide. This rule gives the " +
			"verdict of the Pod Security Admission check seLinuxOptions, which forbids seLinuxOptions.user and " +
			".role and allows only the container_t, container_init_t, container_kvm_t (and from policy v1.31 " +
			"container_engine_t) types in the pod's and containers' securityContext.",
		Remediation: "Remove the SELinux user and role and leave seLinuxOptions.type empty or set it to a container type.",
		References: []framework.Ref{
			framework.PSSRef("baseline", "seLinuxOptions"),
			framework.CISRef("5.7.3"),
			framework.MITRERef("T1611"),
		},
	},
	Fixable: true,
	Run: check{
		fixWith: fixSELinux,
		id:      "seLinuxOptions",
		podField: func(pod object.PodTemplate) object.Path {
			var opts *corev1.SELinuxOptions
			if sc := pod.Spec.SecurityContext; sc != nil {
				opts = sc.SELinuxOptions
			}
			return seLinuxField(opts, podSC(pod).Field("seLinuxOptions"))
		},
		containerField: func(_ object.PodTemplate, c object.Container) object.Path {
			var opts *corev1.SELinuxOptions
			if sc := c.SecurityContext; sc != nil {
				opts = sc.SELinuxOptions
			}
			return seLinuxField(opts, containerSC(c).Field("seLinuxOptions"))
		},
	}.run,
}
