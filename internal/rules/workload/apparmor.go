package workload

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
)

// AppArmorUnconfined reports pods and containers that opt out of AppArmor.
var AppArmorUnconfined = &rule.Rule{
	Meta: rule.Meta{
		ID:       "apparmor-unconfined",
		Title:    "Unconfined AppArmor profile",
		Severity: rule.High,
		Category: rule.CategoryHostAccess,
		Doc: "On nodes with AppArmor, the runtime's default profile stops a container from mounting filesystems " +
			"and from writing to the sensitive parts of /proc and /sys, which blocks many escape techniques even " +
			"for root. The rule flags securityContext.appArmorProfile.type=Unconfined on the pod and on init, " +
			"regular and ephemeral containers, and the value unconfined in the deprecated annotation " +
			"container.apparmor.security.beta.kubernetes.io/<container>.",
		Remediation: "Set securityContext.appArmorProfile.type to RuntimeDefault or Localhost instead of Unconfined.",
		References: []framework.Ref{
			framework.PSSRef("baseline", "appArmorProfile"),
			framework.CISRef("5.7.3"),
			framework.NSARef("hardening-containers"),
			framework.MITRERef("T1611"),
		},
	},
	Fixable: true,
	Run: func(pass *rule.Pass) error {
		pod, ok := pass.Object.PodTemplate()
		if !ok {
			return nil
		}
		if psc := pod.Spec.SecurityContext; psc != nil && unconfinedAppArmor(psc.AppArmorProfile) {
			p := pod.SpecPath.Field("securityContext").Field("appArmorProfile").Field("type")
			pass.Reportf(p, appArmorDefault(p),
				"pod runs without AppArmor (securityContext.appArmorProfile.type=Unconfined)")
		}
		for _, c := range pod.Containers() {
			if sc := c.SecurityContext; sc != nil && unconfinedAppArmor(sc.AppArmorProfile) {
				p := securityContextPath(c).Field("appArmorProfile").Field("type")
				pass.ReportContainer(c, p, appArmorDefault(p),
					"%s runs without AppArmor (securityContext.appArmorProfile.type=Unconfined)", rule.ContainerMessage(c))
			}
			key := corev1.DeprecatedAppArmorBetaContainerAnnotationKeyPrefix + c.Name
			if pod.Meta.Annotations[key] == corev1.DeprecatedAppArmorBetaProfileNameUnconfined {
				p := annotationPath(pod, key)
				pass.ReportContainer(c, p, func() *rule.Fix { return appArmorFix(rule.Remove(p)) },
					"%s runs without AppArmor (annotation %s=unconfined)", rule.ContainerMessage(c), key)
			}
		}
		return nil
	},
}

func unconfinedAppArmor(p *corev1.AppArmorProfile) bool {
	return p != nil && p.Type == corev1.AppArmorProfileTypeUnconfined
}

// appArmorDefault returns the builder of the fix that sets the profile type at p to
// RuntimeDefault.
func appArmorDefault(p object.Path) func() *rule.Fix {
	return func() *rule.Fix { return appArmorFix(rule.Set(p, corev1.AppArmorProfileTypeRuntimeDefault)) }
}

// appArmorFix wraps the patch that returns a workload which asked for
// Unconfined to the runtime's default profile. Someone chose Unconfined,
// perhaps for a reason, so the fix is unsafe.
func appArmorFix(op rule.PatchOp) *rule.Fix {
	return &rule.Fix{
		Patch:  []rule.PatchOp{op},
		Unsafe: true,
		Note:   "the runtime's default AppArmor profile refuses mounts and writes to parts of /proc and /sys; make sure the workload does not need them",
	}
}
