package workload

import (
	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/rule"
)

// RunAsNonRootMissing reports containers that nothing in the pod spec keeps
// from running as root.
//
// Its fix is always unsafe: a container with a known non-zero runAsUser is
// not reported, so the fix never knows the UID the image runs as, and the
// kubelet refuses to start a container with runAsNonRoot=true whose image
// user is root or a user name.
var RunAsNonRootMissing = &rule.Rule{
	Meta: rule.Meta{
		ID:       "run-as-non-root-missing",
		Title:    "Container may run as root",
		Severity: rule.Medium,
		Category: rule.CategoryHostAccess,
		Doc: "When neither runAsNonRoot=true nor a non-zero runAsUser applies to a container, it runs as the " +
			"image's user, which is root for most images; runAsNonRoot=true makes the kubelet refuse to start it as " +
			"UID 0. The rule flags init, regular and ephemeral containers for which the effective " +
			"securityContext.runAsNonRoot, container over pod, is not true and no runAsUser is set; pods with " +
			"hostUsers: false are skipped, and an explicit runAsUser of 0 is run-as-root's finding.",
		Remediation: "Set securityContext.runAsNonRoot to true, with runAsUser set to the image's non-root UID.",
		References: []framework.Ref{
			framework.PSSRef("restricted", "runAsNonRoot"),
			framework.CISRef("5.2.7"),
			framework.NSARef("non-root-containers"),
		},
	},
	Fixable: true,
	Run: func(pass *rule.Pass) error {
		pod, ok := pass.Object.PodTemplate()
		if !ok || userNamespaced(pod) {
			return nil
		}
		for _, c := range pod.Containers() {
			nonRoot := runAsNonRoot(pod, c)
			if (nonRoot.Value != nil && *nonRoot.Value) || runAsUser(pod, c).Value != nil {
				continue
			}
			fix := func() *rule.Fix {
				return &rule.Fix{
					Patch:  []rule.PatchOp{setContainerField(c, "runAsNonRoot", true)},
					Unsafe: true,
					Note:   "the kubelet refuses to start the container if its image runs as root or names its user; set runAsUser to the image's non-root UID too",
				}
			}
			if nonRoot.Value == nil {
				pass.ReportContainer(c, nonRoot.Path(), fix, "%s may run as root: no securityContext sets runAsNonRoot or runAsUser",
					rule.ContainerMessage(c))
			} else {
				pass.ReportContainer(c, nonRoot.Path(), fix, "%s may run as root (%s=false and no runAsUser)",
					rule.ContainerMessage(c), nonRoot.Field())
			}
		}
		return nil
	},
}
