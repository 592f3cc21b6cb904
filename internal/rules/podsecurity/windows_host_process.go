package podsecurity

import (
	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
)

// WindowsHostProcess runs the PSA baseline check "windowsHostProcess".
var WindowsHostProcess = &rule.Rule{
	Meta: rule.Meta{
		ID:       "pss-windows-host-process",
		Title:    "PSS baseline: Windows HostProcess containers",
		Severity: rule.High,
		Category: rule.CategoryPodSecurity,
		Doc: "A Windows HostProcess container runs directly on the Windows node, with the node's network and " +
			"filesystem and no container isolation, the Windows counterpart of a privileged container. This rule " +
			"gives the verdict of the Pod Security Admission check windowsHostProcess, which rejects " +
			"securityContext.windowsOptions.hostProcess=true on the pod and on its containers.",
		Remediation: "Remove securityContext.windowsOptions.hostProcess from the pod and its containers.",
		References: []framework.Ref{
			framework.PSSRef("baseline", "windowsHostProcess"),
			framework.CISRef("5.2.11"),
			framework.MITRERef("T1611"),
		},
	},
	Fixable: true,
	Run: check{
		fix: fixWindowsHostProcess,
		id:  "windowsHostProcess",
		podField: func(pod object.PodTemplate) object.Path {
			return podSC(pod).Field("windowsOptions").Field("hostProcess")
		},
		containerField: func(_ object.PodTemplate, c object.Container) object.Path {
			return containerSC(c).Field("windowsOptions").Field("hostProcess")
		},
	}.run,
}
