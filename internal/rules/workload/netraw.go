package workload

import (
	"slices"

	corev1 "k8s.io/api/core/v1"

	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
)

// NetRawNotDropped reports containers that keep the NET_RAW capability.
//
// Its fixes are unsafe. Few applications open raw sockets, but the ones that
// do (ping, traceroute, packet capture, iptables in init containers of
// service meshes) fail at run time rather than at admission, so dropping
// NET_RAW is applied only on request, like every other capability removal.
var NetRawNotDropped = &rule.Rule{
	Meta: rule.Meta{
		ID:       "net-raw-not-dropped",
		Title:    "NET_RAW capability not dropped",
		Severity: rule.Medium,
		Category: rule.CategoryHostAccess,
		Doc: "NET_RAW lets a process forge any packet, enough to spoof ARP or DNS answers to the other pods on the " +
			"node's network, and raw sockets have carried several kernel privilege escalations. Containerd and " +
			"Docker grant it by default, so a container keeps it unless securityContext.capabilities.drop lists " +
			"NET_RAW or ALL. The rule flags init, regular and ephemeral containers that drop neither or that add " +
			"NET_RAW or ALL back; Windows pods, which have no capabilities, are skipped.",
		Remediation: "Add NET_RAW, or ALL, to securityContext.capabilities.drop and do not add it back.",
		References: []framework.Ref{
			framework.PSSRef("restricted", "capabilities_restricted"),
			framework.CISRef("5.2.8"),
			framework.NSARef("hardening-containers"),
			framework.MITRERef("T1557"),
			framework.MITRERef("T1040"),
		},
	},
	Fixable: true,
	Run: func(pass *rule.Pass) error {
		pod, ok := pass.Object.PodTemplate()
		if !ok || windowsPod(pod) {
			return nil
		}
		for _, c := range pod.Containers() {
			if reportNetRawAdded(pass, c) || dropsNetRaw(c) {
				continue
			}
			p := securityContextPath(c).Field("capabilities").Field("drop")
			fix := func() *rule.Fix {
				return &rule.Fix{Patch: []rule.PatchOp{dropNetRaw(c)}, Unsafe: true, Note: netRawNote}
			}
			pass.ReportContainer(c, p, fix,
				"%s does not drop NET_RAW (securityContext.capabilities.drop lists neither NET_RAW nor ALL)", rule.ContainerMessage(c))
		}
		return nil
	},
}

const netRawNote = "ping, traceroute, packet capture and iptables need NET_RAW; make sure the container does not run them"

// reportNetRawAdded reports the capabilities.add entries that give a
// container NET_RAW, which runtimes apply after the drops, and says whether
// there were any.
func reportNetRawAdded(pass *rule.Pass, c object.Container) bool {
	caps := capabilities(c)
	if caps == nil {
		return false
	}
	found := false
	for i, added := range caps.Add {
		name := capabilityName(added)
		if name != "NET_RAW" && name != "ALL" {
			continue
		}
		found = true
		p := securityContextPath(c).Field("capabilities").Field("add").Index(i)
		what := "NET_RAW"
		if name == "ALL" {
			what = "ALL capabilities, NET_RAW included"
		}
		fix := func() *rule.Fix {
			return &rule.Fix{Patch: removeElement(p, p, string(added)), Unsafe: true, Note: netRawNote}
		}
		pass.ReportContainer(c, p, fix,
			"%s adds %s (securityContext.capabilities.add[%d])", rule.ContainerMessage(c), what, i)
	}
	return found
}

// dropsNetRaw reports whether a container drops NET_RAW, by name or through ALL.
func dropsNetRaw(c object.Container) bool {
	caps := capabilities(c)
	if caps == nil {
		return false
	}
	return slices.ContainsFunc(caps.Drop, func(d corev1.Capability) bool {
		name := capabilityName(d)
		return name == "NET_RAW" || name == "ALL"
	})
}

// dropNetRaw returns the patch that adds NET_RAW to a container's
// capabilities.drop, creating the securityContext, capabilities and drop
// fields as needed.
func dropNetRaw(c object.Container) rule.PatchOp {
	value := []string{"NET_RAW"}
	keys := []string{"securityContext", "capabilities", "drop"}
	switch caps := capabilities(c); {
	case c.SecurityContext == nil:
		return setField(c.Path, 0, value, keys...)
	case caps == nil:
		return setField(c.Path, 1, value, keys...)
	case len(caps.Drop) == 0:
		return setField(c.Path, 2, value, keys...)
	default:
		return rule.Set(securityContextPath(c).Field("capabilities").Field("drop").Field("-"), "NET_RAW")
	}
}
