package workload

import (
	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/rule"
)

// ReadOnlyRootFilesystem reports containers whose root filesystem is
// writable.
var ReadOnlyRootFilesystem = &rule.Rule{
	Meta: rule.Meta{
		ID:       "read-only-root-filesystem",
		Title:    "Writable root filesystem",
		Severity: rule.Medium,
		Category: rule.CategoryHostAccess,
		Doc: "A writable root filesystem lets an intruder replace the container's binaries and libraries, drop " +
			"tools and keep them for the container's lifetime, while an immutable one confines writes to the " +
			"volumes mounted on purpose. The rule flags init, regular and ephemeral containers that do not set " +
			"securityContext.readOnlyRootFilesystem=true; Windows pods, which cannot set it, are skipped.",
		Remediation: "Set securityContext.readOnlyRootFilesystem to true and mount an emptyDir where the container must write.",
		References: []framework.Ref{
			framework.NSARef("immutable-filesystems"),
			framework.CISRef("5.7.3"),
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
			if sc != nil && sc.ReadOnlyRootFilesystem != nil && *sc.ReadOnlyRootFilesystem {
				continue
			}
			field := "securityContext.readOnlyRootFilesystem is not set"
			if sc != nil && sc.ReadOnlyRootFilesystem != nil {
				field = "securityContext.readOnlyRootFilesystem=false"
			}
			fix := func() *rule.Fix {
				return &rule.Fix{
					Patch:  []rule.PatchOp{setContainerField(c, "readOnlyRootFilesystem", true)},
					Unsafe: true,
					Note:   "writes outside volumes fail (temporary files, caches, PID files); mount an emptyDir at /tmp and at each other path the container writes to",
				}
			}
			pass.ReportContainer(c, securityContextPath(c).Field("readOnlyRootFilesystem"), fix,
				"%s has a writable root filesystem (%s)", rule.ContainerMessage(c), field)
		}
		return nil
	},
}
