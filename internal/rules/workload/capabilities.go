package workload

import (
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"

	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/rule"
)

// dangerousCapabilities are the capabilities that each open a known path to
// the node: mounts and namespaces (SYS_ADMIN), kernel modules, raw devices
// and kexec (SYS_MODULE, SYS_RAWIO, SYS_BOOT), other processes' memory and
// files (SYS_PTRACE, DAC_READ_SEARCH), the network stack (NET_ADMIN), and
// kernel tracing (BPF, PERFMON). ALL grants every one of them.
var dangerousCapabilities = []string{
	"ALL", "SYS_ADMIN", "NET_ADMIN", "SYS_PTRACE", "SYS_MODULE", "BPF",
	"PERFMON", "SYS_RAWIO", "DAC_READ_SEARCH", "SYS_BOOT",
}

// nearlyPrivileged are the capabilities that amount to privileged mode;
// adding them is reported as critical.
var nearlyPrivileged = []string{"ALL", "SYS_ADMIN"}

// DangerousCapabilities reports containers that add capabilities which lead
// out of the container.
var DangerousCapabilities = &rule.Rule{
	Meta: rule.Meta{
		ID:       "dangerous-capabilities",
		Title:    "Dangerous capability added",
		Severity: rule.High,
		Category: rule.CategoryHostAccess,
		Doc: "Some Linux capabilities are most of root's power on the node: SYS_ADMIN mounts filesystems and " +
			"enters namespaces, SYS_MODULE and SYS_RAWIO reach the kernel and devices directly, SYS_PTRACE and " +
			"DAC_READ_SEARCH read other processes and files, NET_ADMIN rewires the network and BPF and PERFMON " +
			"drive kernel tracing. The rule flags securityContext.capabilities.add entries naming a configured " +
			"capability, case-insensitively and with or without the CAP_ prefix, and reports ALL and SYS_ADMIN as critical.",
		Remediation: "Remove the capability from securityContext.capabilities.add.",
		References: []framework.Ref{
			framework.PSSRef("baseline", "capabilities_baseline"),
			framework.CISRef("5.2.9"),
			framework.NSARef("hardening-containers"),
			framework.MITRERef("T1611"),
			framework.MITRERef("T1068"),
		},
		Params: []rule.Param{{
			Name:    "capabilities",
			Doc:     "Capabilities that containers must not add, in any case and with or without the CAP_ prefix.",
			Default: dangerousCapabilities,
		}},
	},
	Fixable: true,
	Run: func(pass *rule.Pass) error {
		pod, ok := pass.Object.PodTemplate()
		if !ok {
			return nil
		}
		var denied []string
		for _, name := range pass.StringsParam("capabilities") {
			denied = append(denied, capabilityName(corev1.Capability(name)))
		}
		for _, c := range pod.Containers() {
			caps := capabilities(c)
			if caps == nil {
				continue
			}
			for i, added := range caps.Add {
				name := capabilityName(added)
				if !slices.Contains(denied, name) {
					continue
				}
				p := securityContextPath(c).Field("capabilities").Field("add").Index(i)
				var severity rule.Severity // zero: the rule's own
				if slices.Contains(nearlyPrivileged, name) {
					severity = rule.Critical
				}
				pass.Report(rule.Finding{
					Path:      p,
					Container: c.Name,
					Severity:  severity,
					Message: fmt.Sprintf("%s adds capability %s (securityContext.capabilities.add[%d])",
						rule.ContainerMessage(c), name, i),
					Fix: func() *rule.Fix {
						return &rule.Fix{
							Patch:  removeElement(p, p, string(added)),
							Unsafe: true,
							Note:   "the container loses " + name + "; make sure it does not need it",
						}
					},
				})
			}
		}
		return nil
	},
}
