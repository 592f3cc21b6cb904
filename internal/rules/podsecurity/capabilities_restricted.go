package podsecurity

import (
	"slices"

	corev1 "k8s.io/api/core/v1"

	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
)

// CapabilitiesRestricted runs the PSA restricted check
// "capabilities_restricted".
var CapabilitiesRestricted = &rule.Rule{
	Meta: rule.Meta{
		ID:       "pss-capabilities-restricted",
		Title:    "PSS restricted: capabilities not dropped",
		Severity: rule.Medium,
		Category: rule.CategoryPodSecurity,
		Doc: "The runtime's default capabilities, such as NET_RAW, CHOWN or SETUID, are more than most applications " +
			"use and each one widens what a compromised process can do. This rule gives the verdict of the Pod " +
			"Security Admission check capabilities_restricted (policy v1.22 and later), which requires every init, " +
			"regular and ephemeral container to list ALL in securityContext.capabilities.drop and to add nothing but " +
			"NET_BIND_SERVICE, except in Windows pods from v1.25; at the restricted level it replaces the " +
			"capabilities_baseline check.",
		Remediation: "Drop ALL capabilities in every container and add back at most NET_BIND_SERVICE.",
		References: []framework.Ref{
			framework.PSSRef("restricted", "capabilities_restricted"),
			framework.CISRef("5.2.8"),
			framework.CISRef("5.2.9"),
			framework.CISRef("5.2.10"),
			framework.MITRERef("T1611"),
		},
	},
	Fixable: true,
	Run: check{
		id:             "capabilities_restricted",
		containerField: capabilitiesField,
		fix:            fixCapabilitiesRestricted,
	}.run,
}

const (
	capAll            corev1.Capability = "ALL"
	capNetBindService corev1.Capability = "NET_BIND_SERVICE"
)

// capabilitiesField points at the drop list of a container that does not
// drop ALL (or where it belongs), else at its add list.
func capabilitiesField(_ object.PodTemplate, c object.Container) object.Path {
	caps := containerSC(c).Field("capabilities")
	if c.SecurityContext == nil || c.SecurityContext.Capabilities == nil {
		return caps
	}
	if !slices.Contains(c.SecurityContext.Capabilities.Drop, capAll) {
		return caps.Field("drop")
	}
	return caps.Field("add")
}

// fixCapabilitiesRestricted makes every container drop ALL and keeps only
// NET_BIND_SERVICE of its added capabilities. It is unsafe: an application
// that relies on a default capability (changing file ownership, switching
// users, opening raw sockets) stops working. It offers nothing for Windows
// pods, which cannot set capabilities.
func fixCapabilitiesRestricted(pod object.PodTemplate) *rule.Fix {
	if isWindows(pod) {
		return nil
	}
	fix := &rule.Fix{
		Unsafe: true,
		Note: "processes that need a capability the container had by default (chown, setuid, raw sockets, ports " +
			"below 1024 without NET_BIND_SERVICE) fail; test the workload and add back only NET_BIND_SERVICE",
	}
	for _, c := range pod.Containers() {
		fix.Patch = append(fix.Patch, restrictCapabilities(c)...)
	}
	return fix
}

// restrictCapabilities returns the operations that make one container drop
// ALL and add nothing but NET_BIND_SERVICE, or none if it already does.
func restrictCapabilities(c object.Container) []rule.PatchOp {
	var caps *corev1.Capabilities
	if c.SecurityContext != nil {
		caps = c.SecurityContext.Capabilities
	}
	if caps == nil {
		return []rule.PatchOp{setIn(containerSC(c), c.SecurityContext != nil, "capabilities", map[string]any{"drop": []string{string(capAll)}})}
	}
	at := containerSC(c).Field("capabilities")
	var ops []rule.PatchOp
	if !slices.Contains(caps.Drop, capAll) {
		ops = append(ops, rule.Set(at.Field("drop"), []string{string(capAll)}))
	}
	if slices.ContainsFunc(caps.Add, func(a corev1.Capability) bool { return a != capNetBindService }) {
		if slices.Contains(caps.Add, capNetBindService) {
			ops = append(ops, rule.Set(at.Field("add"), []string{string(capNetBindService)}))
		} else {
			ops = append(ops, rule.Remove(at.Field("add")))
		}
	}
	return ops
}
