package podsecurity

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
)

// SeccompProfileRestricted runs the PSA restricted check
// "seccompProfile_restricted".
var SeccompProfileRestricted = &rule.Rule{
	Meta: rule.Meta{
		ID:       "pss-seccomp-profile-restricted",
		Title:    "PSS restricted: seccomp profile not set",
		Severity: rule.Medium,
		Category: rule.CategoryPodSecurity,
		Doc: "Without a seccomp profile a container can make every system call, including the rarely used ones " +
			"behind most kernel container escapes. This rule gives the verdict of the Pod Security Admission check " +
			"seccompProfile_restricted (policy v1.19 and later), which requires securityContext.seccompProfile.type " +
			"RuntimeDefault or Localhost on the pod or on every container, except in Windows pods from v1.25; at " +
			"the restricted level it replaces the seccompProfile_baseline check.",
		Remediation: "Set spec.securityContext.seccompProfile.type to RuntimeDefault and remove Unconfined profiles from containers.",
		References: []framework.Ref{
			framework.PSSRef("restricted", "seccompProfile_restricted"),
			framework.CISRef("5.7.2"),
			framework.MITRERef("T1611"),
		},
	},
	Fixable: true,
	Run: check{
		id: "seccompProfile_restricted",
		podField: func(pod object.PodTemplate) object.Path {
			return podSC(pod).Field("seccompProfile").Field("type")
		},
		containerField: seccompContainerField,
		fix:            fixSeccompRestricted,
	}.run,
}

// seccompContainerField points at a container's own profile type if it sets
// one, else at the pod-level profile, where the remedy belongs.
func seccompContainerField(pod object.PodTemplate, c object.Container) object.Path {
	if c.SecurityContext != nil && c.SecurityContext.SeccompProfile != nil {
		return containerSC(c).Field("seccompProfile").Field("type")
	}
	return podSC(pod).Field("seccompProfile")
}

// confinedSeccomp reports whether p is a profile the restricted level
// accepts.
func confinedSeccomp(p *corev1.SeccompProfile) bool {
	return p != nil && (p.Type == corev1.SeccompProfileTypeRuntimeDefault || p.Type == corev1.SeccompProfileTypeLocalhost)
}

// fixSeccompRestricted sets the pod's profile to RuntimeDefault unless it
// already has an accepted one, and removes the containers' own profiles of
// other types so they inherit it. Adding RuntimeDefault where nothing was set
// is safe: it is the default of most runtimes and clusters already. Replacing
// an explicit Unconfined is not, since someone asked for it. It offers
// nothing for Windows pods, which cannot set seccomp profiles.
func fixSeccompRestricted(pod object.PodTemplate) *rule.Fix {
	if isWindows(pod) {
		return nil
	}
	fix := &rule.Fix{}
	runtimeDefault := map[string]any{"type": string(corev1.SeccompProfileTypeRuntimeDefault)}
	sc := pod.Spec.SecurityContext
	if sc == nil || !confinedSeccomp(sc.SeccompProfile) {
		fix.Patch = append(fix.Patch, setIn(podSC(pod), sc != nil, "seccompProfile", runtimeDefault))
		fix.Unsafe = sc != nil && sc.SeccompProfile != nil
	}
	for _, c := range pod.Containers() {
		if c.SecurityContext != nil && c.SecurityContext.SeccompProfile != nil && !confinedSeccomp(c.SecurityContext.SeccompProfile) {
			fix.Patch = append(fix.Patch, rule.Remove(containerSC(c).Field("seccompProfile")))
			fix.Unsafe = true
		}
	}
	if fix.Unsafe {
		fix.Note = "an Unconfined profile was set on purpose: check that the workload runs under RuntimeDefault, " +
			"or give it a Localhost profile that allows the system calls it needs"
	}
	return fix
}
