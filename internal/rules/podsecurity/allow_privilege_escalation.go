package podsecurity

import (
	"slices"

	corev1 "k8s.io/api/core/v1"

	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
)

// AllowPrivilegeEscalation runs the PSA restricted check
// "allowPrivilegeEscalation".
var AllowPrivilegeEscalation = &rule.Rule{
	Meta: rule.Meta{
		ID:       "pss-allow-privilege-escalation",
		Title:    "PSS restricted: privilege escalation",
		Severity: rule.Medium,
		Category: rule.CategoryPodSecurity,
		Doc: "Unless allowPrivilegeEscalation is false, a process in the container can gain more privileges than " +
			"its parent, through set-user-ID binaries or file capabilities, which turns a foothold into root. This " +
			"rule gives the verdict of the Pod Security Admission check allowPrivilegeEscalation, which requires " +
			"securityContext.allowPrivilegeEscalation=false on every init, regular and ephemeral container, except " +
			"in Windows pods from policy v1.25.",
		Remediation: "Set securityContext.allowPrivilegeEscalation to false on every container.",
		References: []framework.Ref{
			framework.PSSRef("restricted", "allowPrivilegeEscalation"),
			framework.CISRef("5.2.6"),
			framework.MITRERef("T1068"),
		},
	},
	Fixable: true,
	Run: check{
		id: "allowPrivilegeEscalation",
		containerField: func(_ object.PodTemplate, c object.Container) object.Path {
			return containerSC(c).Field("allowPrivilegeEscalation")
		},
		fix: fixAllowPrivilegeEscalation,
	}.run,
}

// fixAllowPrivilegeEscalation sets allowPrivilegeEscalation=false on every
// container that does not. It offers nothing for Windows pods, and nothing
// when an offending container is privileged or adds SYS_ADMIN, which the
// API server refuses to combine with allowPrivilegeEscalation=false.
func fixAllowPrivilegeEscalation(pod object.PodTemplate) *rule.Fix {
	if isWindows(pod) {
		return nil
	}
	var ops []rule.PatchOp
	for _, c := range pod.Containers() {
		sc := c.SecurityContext
		if sc != nil && sc.AllowPrivilegeEscalation != nil && !*sc.AllowPrivilegeEscalation {
			continue
		}
		if escalatesAnyway(sc) {
			return nil
		}
		ops = append(ops, setIn(containerSC(c), sc != nil, "allowPrivilegeEscalation", false))
	}
	return &rule.Fix{Patch: ops}
}

// escalatesAnyway reports whether a security context is privileged or adds
// SYS_ADMIN, either of which implies privilege escalation.
func escalatesAnyway(sc *corev1.SecurityContext) bool {
	if sc == nil {
		return false
	}
	if sc.Privileged != nil && *sc.Privileged {
		return true
	}
	return sc.Capabilities != nil && slices.ContainsFunc(sc.Capabilities.Add, func(c corev1.Capability) bool {
		return c == "SYS_ADMIN" || c == "CAP_SYS_ADMIN"
	})
}
