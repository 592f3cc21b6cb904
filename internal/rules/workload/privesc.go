package workload

import (
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"

	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
)

// AllowPrivilegeEscalation reports containers that do not forbid privilege
// escalation.
var AllowPrivilegeEscalation = &rule.Rule{
	Meta: rule.Meta{
		ID:       "allow-privilege-escalation",
		Title:    "Privilege escalation allowed",
		Severity: rule.Medium,
		Category: rule.CategoryHostAccess,
		Doc: "Unless allowPrivilegeEscalation is false, the container's processes run without the no_new_privs " +
			"flag and can gain privileges through set-user-ID binaries or file capabilities, which turns a " +
			"compromised unprivileged process into root. The rule flags init, regular and ephemeral containers " +
			"that do not set securityContext.allowPrivilegeEscalation=false; privileged containers and containers " +
			"adding SYS_ADMIN escalate regardless, so their findings carry no fix, and Windows pods are skipped.",
		Remediation: "Set securityContext.allowPrivilegeEscalation to false.",
		References: []framework.Ref{
			framework.PSSRef("restricted", "allowPrivilegeEscalation"),
			framework.CISRef("5.2.6"),
			framework.NSARef("hardening-containers"),
			framework.MITRERef("T1068"),
		},
	},
	Fixable: true,
	Run: func(pass *rule.Pass) error {
		pod, ok := pass.Object.PodTemplate()
		if !ok || windowsPod(pod) {
			return nil
		}
		for _, c := range pod.Containers() {
			sc := c.SecurityContext
			if sc != nil && sc.AllowPrivilegeEscalation != nil && !*sc.AllowPrivilegeEscalation {
				continue
			}
			p := securityContextPath(c).Field("allowPrivilegeEscalation")
			if cause := escalationCause(c); cause != "" {
				pass.ReportContainer(c, p, nil, "%s can escalate privileges: %s implies allowPrivilegeEscalation=true",
					rule.ContainerMessage(c), cause)
				continue
			}
			field := "securityContext.allowPrivilegeEscalation is not set"
			if sc != nil && sc.AllowPrivilegeEscalation != nil {
				field = "securityContext.allowPrivilegeEscalation=true"
			}
			fix := func() *rule.Fix {
				return &rule.Fix{Patch: []rule.PatchOp{setContainerField(c, "allowPrivilegeEscalation", false)}}
			}
			pass.ReportContainer(c, p, fix, "%s allows privilege escalation (%s)", rule.ContainerMessage(c), field)
		}
		return nil
	},
}

// escalationCause names the setting that grants a container privilege
// escalation whatever allowPrivilegeEscalation says, or returns "".
func escalationCause(c object.Container) string {
	if privileged(c) {
		return "securityContext.privileged=true"
	}
	caps := capabilities(c)
	if caps == nil {
		return ""
	}
	i := slices.IndexFunc(caps.Add, func(a corev1.Capability) bool {
		name := capabilityName(a)
		return name == "SYS_ADMIN" || name == "ALL"
	})
	if i < 0 {
		return ""
	}
	return fmt.Sprintf("securityContext.capabilities.add[%d]=%s", i, caps.Add[i])
}
