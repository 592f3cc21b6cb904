package workload

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
)

// SeccompProfileMissing reports pods in which some container gets no
// seccomp profile.
//
// Its fix, a pod-level RuntimeDefault profile, is safe: that is the profile
// Docker applied to every container for years, so images seldom need more,
// and containers that set their own profile keep it.
var SeccompProfileMissing = &rule.Rule{
	Meta: rule.Meta{
		ID:       "seccomp-profile-missing",
		Title:    "Seccomp profile not set",
		Severity: rule.Medium,
		Category: rule.CategoryHostAccess,
		Doc: "A container that gets no seccomp profile runs Unconfined on nodes where the kubelet's seccompDefault " +
			"setting is off, which is its default, and may make every system call the kernel offers. The rule " +
			"flags pods where some init, regular or ephemeral container sets no securityContext.seccompProfile and " +
			"the pod sets none either, counting the deprecated seccomp annotations as set. Explicit Unconfined " +
			"profiles are seccomp-unconfined's findings, and Windows pods are skipped.",
		Remediation: "Set the pod's securityContext.seccompProfile.type to RuntimeDefault.",
		References: []framework.Ref{
			framework.PSSRef("restricted", "seccompProfile_restricted"),
			framework.CISRef("5.7.2"),
			framework.NSARef("hardening-containers"),
		},
	},
	Fixable: true,
	Run: func(pass *rule.Pass) error {
		pod, ok := pass.Object.PodTemplate()
		if !ok || windowsPod(pod) || podSetsSeccomp(pod) {
			return nil
		}
		var bare []string
		for _, c := range pod.Containers() {
			if !containerSetsSeccomp(pod, c) {
				bare = append(bare, c.Name)
			}
		}
		if len(bare) == 0 {
			return nil
		}
		p := pod.SpecPath.Field("securityContext").Field("seccompProfile")
		pass.Reportf(p, func() *rule.Fix { return &rule.Fix{Patch: []rule.PatchOp{setPodSeccompDefault(pod)}} },
			"%s and the pod set no seccomp profile (securityContext.seccompProfile)", namedContainers(bare))
		return nil
	},
}

// podSetsSeccomp reports whether the pod sets a seccomp profile for its
// containers, in its securityContext or through the deprecated annotation,
// which the API server still copies into the field.
func podSetsSeccomp(pod object.PodTemplate) bool {
	if sc := pod.Spec.SecurityContext; sc != nil && sc.SeccompProfile != nil {
		return true
	}
	return pod.Meta.Annotations[corev1.SeccompPodAnnotationKey] != ""
}

// containerSetsSeccomp reports whether a container sets its own seccomp
// profile, in its securityContext or through the deprecated annotation.
func containerSetsSeccomp(pod object.PodTemplate, c object.Container) bool {
	if sc := c.SecurityContext; sc != nil && sc.SeccompProfile != nil {
		return true
	}
	return pod.Meta.Annotations[corev1.SeccompContainerAnnotationKeyPrefix+c.Name] != ""
}

// namedContainers lists container names for a message: `container "a"` or
// `containers "a", "b"`.
func namedContainers(names []string) string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = fmt.Sprintf("%q", n)
	}
	if len(names) == 1 {
		return "container " + quoted[0]
	}
	return "containers " + strings.Join(quoted, ", ")
}
