package podsecurity

import (
	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
)

// RunAsUser runs the PSA restricted check "runAsUser". No user ID is right
// for every image, so its fix only removes runAsUser: 0, handing the choice
// back to the image, and is unsafe.
var RunAsUser = &rule.Rule{
	Meta: rule.Meta{
		ID:       "pss-run-as-user",
		Title:    "PSS restricted: containers set to run as root",
		Severity: rule.Medium,
		Category: rule.CategoryPodSecurity,
		Doc: "runAsUser: 0 runs the container as root whatever the image says, so an escape lands as root on the " +
			"node. This rule gives the verdict of the Pod Security Admission check runAsUser (policy v1.23 and " +
			"later), which forbids securityContext.runAsUser=0 on the pod and on every container, except from " +
			"v1.35 in pods with their own user namespace (hostUsers: false).",
		Remediation: "Set runAsUser to a non-zero user ID that the image's files allow, or remove it.",
		References: []framework.Ref{
			framework.PSSRef("restricted", "runAsUser"),
			framework.CISRef("5.2.7"),
			framework.MITRERef("T1611"),
		},
	},
	Fixable: true,
	Run: check{
		fix: fixRunAsUser,
		id:  "runAsUser",
		podField: func(pod object.PodTemplate) object.Path {
			return podSC(pod).Field("runAsUser")
		},
		containerField: func(_ object.PodTemplate, c object.Container) object.Path {
			return containerSC(c).Field("runAsUser")
		},
	}.run,
}
