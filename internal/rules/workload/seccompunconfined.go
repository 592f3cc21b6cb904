package workload

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
)

// SeccompUnconfined reports pods and containers that opt out of seccomp.
var SeccompUnconfined = &rule.Rule{
	Meta: rule.Meta{
		ID:       "seccomp-unconfined",
		Title:    "Unconfined seccomp profile",
		Severity: rule.High,
		Category: rule.CategoryHostAccess,
		Doc: "An Unconfined seccomp profile lets the container make every system call, including the rarely " +
			"needed ones (unshare, keyctl, bpf, kernel module loading) that most kernel privilege escalations " +
			"start from. The rule flags securityContext.seccompProfile.type=Unconfined on the pod and on init, " +
			"regular and ephemeral containers, and the value unconfined in the deprecated annotations " +
			"seccomp.security.alpha.kubernetes.io/pod and container.seccomp.security.alpha.kubernetes.io/<container>.",
		Remediation: "Set securityContext.seccompProfile.type to RuntimeDefault or Localhost instead of Unconfined.",
		References: []framework.Ref{
			framework.PSSRef("baseline", "seccompProfile_baseline"),
			framework.CISRef("5.7.2"),
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
		if psc := pod.Spec.SecurityContext; psc != nil && unconfinedSeccomp(psc.SeccompProfile) {
			p := pod.SpecPath.Field("securityContext").Field("seccompProfile").Field("type")
			pass.Reportf(p, seccompDefault(p),
				"pod runs without seccomp (securityContext.seccompProfile.type=Unconfined)")
		}
		if pod.Meta.Annotations[corev1.SeccompPodAnnotationKey] == corev1.SeccompProfileNameUnconfined {
			p := annotationPath(pod, corev1.SeccompPodAnnotationKey)
			fix := func() *rule.Fix { return seccompFix(rule.Remove(p), setPodSeccompDefault(pod)) }
			pass.Reportf(p, fix,
				"pod runs without seccomp (annotation %s=unconfined)", corev1.SeccompPodAnnotationKey)
		}
		for _, c := range pod.Containers() {
			if sc := c.SecurityContext; sc != nil && unconfinedSeccomp(sc.SeccompProfile) {
				p := securityContextPath(c).Field("seccompProfile").Field("type")
				pass.ReportContainer(c, p, seccompDefault(p),
					"%s runs without seccomp (securityContext.seccompProfile.type=Unconfined)", rule.ContainerMessage(c))
			}
			key := corev1.SeccompContainerAnnotationKeyPrefix + c.Name
			if pod.Meta.Annotations[key] == corev1.SeccompProfileNameUnconfined {
				p := annotationPath(pod, key)
				fix := func() *rule.Fix {
					return seccompFix(rule.Remove(p), setContainerField(c, "seccompProfile", runtimeDefaultSeccomp))
				}
				pass.ReportContainer(c, p, fix,
					"%s runs without seccomp (annotation %s=unconfined)", rule.ContainerMessage(c), key)
			}
		}
		return nil
	},
}

// runtimeDefaultSeccomp is the seccompProfile value that applies the
// container runtime's default profile.
var runtimeDefaultSeccomp = map[string]any{"type": string(corev1.SeccompProfileTypeRuntimeDefault)}

func unconfinedSeccomp(p *corev1.SeccompProfile) bool {
	return p != nil && p.Type == corev1.SeccompProfileTypeUnconfined
}

// seccompDefault returns the builder of the fix that sets the profile type at p to
// RuntimeDefault.
func seccompDefault(p object.Path) func() *rule.Fix {
	return func() *rule.Fix { return seccompFix(rule.Set(p, corev1.SeccompProfileTypeRuntimeDefault)) }
}

// seccompFix wraps the patch that confines a workload which asked for
// Unconfined. Someone chose Unconfined, perhaps for a reason, so the fix is
// unsafe.
func seccompFix(ops ...rule.PatchOp) *rule.Fix {
	return &rule.Fix{
		Patch:  ops,
		Unsafe: true,
		Note:   "the runtime's default profile refuses system calls such as mount, unshare, keyctl and bpf; make sure the workload does not need them",
	}
}

// setPodSeccompDefault returns the patch that sets the pod's
// securityContext.seccompProfile to RuntimeDefault, creating the
// securityContext if it is missing.
func setPodSeccompDefault(pod object.PodTemplate) rule.PatchOp {
	have := 0
	if pod.Spec.SecurityContext != nil {
		have = 1
	}
	return setField(pod.SpecPath, have, runtimeDefaultSeccomp, "securityContext", "seccompProfile")
}

// annotationPath locates an annotation of the pod template.
func annotationPath(pod object.PodTemplate, key string) object.Path {
	return pod.MetaPath.Field("annotations").Field(key)
}
