package workload

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/rule"
)

// UnmaskedProcMount reports containers that ask for an unmasked /proc.
var UnmaskedProcMount = &rule.Rule{
	Meta: rule.Meta{
		ID:       "unmasked-proc-mount",
		Title:    "Unmasked /proc mount",
		Severity: rule.High,
		Category: rule.CategoryHostAccess,
		Doc: "The runtime normally masks and mounts read-only the parts of /proc that describe or control the " +
			"node (/proc/kcore, /proc/sys, /proc/sysrq-trigger and others); procMount: Unmasked removes that " +
			"protection, which only nested container runtimes need. The rule flags " +
			"securityContext.procMount=Unmasked on init, regular and ephemeral containers, except in pods with " +
			"hostUsers: false, whose user namespace keeps the node's settings out of reach.",
		Remediation: "Remove securityContext.procMount so that the runtime's default masks apply.",
		References: []framework.Ref{
			framework.PSSRef("baseline", "procMount"),
			framework.CISRef("5.7.3"),
			framework.NSARef("hardening-containers"),
			framework.MITRERef("T1611"),
		},
	},
	Fixable: true,
	Run: func(pass *rule.Pass) error {
		pod, ok := pass.Object.PodTemplate()
		if !ok || userNamespaced(pod) {
			return nil
		}
		for _, c := range pod.Containers() {
			sc := c.SecurityContext
			if sc == nil || sc.ProcMount == nil || *sc.ProcMount != corev1.UnmaskedProcMount {
				continue
			}
			p := securityContextPath(c).Field("procMount")
			fix := func() *rule.Fix {
				return &rule.Fix{
					Patch:  []rule.PatchOp{rule.Remove(p)},
					Unsafe: true,
					Note:   "container runtimes nested in the container may fail to start their own containers",
				}
			}
			pass.ReportContainer(c, p, fix, "%s mounts /proc unmasked (securityContext.procMount=Unmasked)", rule.ContainerMessage(c))
		}
		return nil
	},
}
