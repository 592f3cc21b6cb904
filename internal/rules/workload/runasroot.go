package workload

import (
	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/rule"
)

// RunAsRoot reports containers that the pod spec runs as UID 0.
var RunAsRoot = &rule.Rule{
	Meta: rule.Meta{
		ID:       "run-as-root",
		Title:    "Container runs as root",
		Severity: rule.High,
		Category: rule.CategoryHostAccess,
		Doc: "Without a user namespace, UID 0 in a container is UID 0 on the node: it owns every host file it " +
			"reaches through a mount, and any container escape hands over the node as root. The rule flags init, " +
			"regular and ephemeral containers whose effective securityContext.runAsUser is 0, the container's " +
			"value taking precedence over the pod's; pods with hostUsers: false, whose UID 0 maps to an " +
			"unprivileged node UID, are skipped.",
		Remediation: "Set runAsUser to a non-zero UID and runAsNonRoot to true.",
		References: []framework.Ref{
			framework.PSSRef("restricted", "runAsUser"),
			framework.CISRef("5.2.7"),
			framework.NSARef("non-root-containers"),
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
			if uid := runAsUser(pod, c); uid.Value != nil && *uid.Value == 0 {
				at := uid.Path()
				fix := func() *rule.Fix {
					return &rule.Fix{
						Patch:  []rule.PatchOp{rule.Remove(at)},
						Unsafe: true,
						Note: "the container runs as its image's user, which may still be root and may not own the files " +
							"the container uses; set runAsUser to a non-zero UID the image supports",
					}
				}
				pass.ReportContainer(c, at, fix, "%s runs as root (%s=0)", rule.ContainerMessage(c), uid.Field())
			}
		}
		return nil
	},
}
