package podsecurity

import (
	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
)

// Privileged runs the PSA baseline check "privileged".
var Privileged = &rule.Rule{
	Meta: rule.Meta{
		ID:       "pss-privileged",
		Title:    "PSS baseline: privileged containers",
		Severity: rule.Critical,
		Category: rule.CategoryPodSecurity,
		Doc: "A privileged container holds every capability and every device of the node and is confined by neither " +
			"seccomp nor AppArmor, so it can take over the node. The Pod Security Standards forbid it from the " +
			"baseline level on: this rule gives the verdict of the API server's Pod Security Admission check " +
			"privileged, which rejects securityContext.privileged=true on init, regular and ephemeral containers.",
		Remediation: "Remove securityContext.privileged from every container and grant only the capabilities the container needs.",
		References: []framework.Ref{
			framework.PSSRef("baseline", "privileged"),
			framework.CISRef("5.2.2"),
			framework.MITRERef("T1611"),
		},
	},
	Fixable: true,
	Run: check{
		id: "privileged",
		containerField: func(_ object.PodTemplate, c object.Container) object.Path {
			return containerSC(c).Field("privileged")
		},
		fix: fixPrivileged,
	}.run,
}

// fixPrivileged removes privileged=true from every container. The fix is
// marked safe like the privileged-container rule's: a workload that truly
// needs the whole node is not one a baseline namespace should run.
func fixPrivileged(pod object.PodTemplate) *rule.Fix {
	var ops []rule.PatchOp
	for _, c := range pod.Containers() {
		if sc := c.SecurityContext; sc != nil && sc.Privileged != nil && *sc.Privileged {
			ops = append(ops, rule.Remove(containerSC(c).Field("privileged")))
		}
	}
	return &rule.Fix{Patch: ops}
}
