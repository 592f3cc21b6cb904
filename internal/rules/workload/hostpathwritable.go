package workload

import (
	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/rule"
)

// HostPathWritable reports containers that mount a hostPath volume without
// readOnly: true.
var HostPathWritable = &rule.Rule{
	Meta: rule.Meta{
		ID:       "host-path-writable",
		Title:    "Writable hostPath mount",
		Severity: rule.High,
		Category: rule.CategoryHostAccess,
		Doc: "A container that writes to a hostPath volume can plant files that the node later reads or runs " +
			"(cron entries, systemd units, kubelet configuration, symbolic links the kubelet follows), alter other " +
			"pods' data and fill the node's disk. The rule flags every volumeMount of a hostPath volume, in init, " +
			"regular and ephemeral containers, that does not set readOnly: true.",
		Remediation: "Set readOnly: true on every volumeMount of a hostPath volume.",
		References: []framework.Ref{
			framework.PSSRef("baseline", "hostPathVolumes"),
			framework.CISRef("5.2.12"),
			framework.NSARef("immutable-filesystems"),
			framework.MITRERef("T1611"),
		},
	},
	Fixable: true,
	Run: func(pass *rule.Pass) error {
		pod, ok := pass.Object.PodTemplate()
		if !ok {
			return nil
		}
		hostPaths := map[string]string{}
		for _, v := range pod.Spec.Volumes {
			if v.HostPath != nil {
				hostPaths[v.Name] = v.HostPath.Path
			}
		}
		for _, c := range pod.Containers() {
			for j, m := range c.VolumeMounts {
				hostPath, ok := hostPaths[m.Name]
				if !ok || m.ReadOnly {
					continue
				}
				p := c.Path.Field("volumeMounts").Index(j).Field("readOnly")
				fix := func() *rule.Fix {
					return &rule.Fix{
						Patch:  []rule.PatchOp{rule.Set(p, true)},
						Unsafe: true,
						Note:   "the container can no longer write to the host path; make sure it only reads from it",
					}
				}
				pass.ReportContainer(c, p, fix, "%s mounts host path %q (volume %q) writable at %q (volumeMounts[%d].readOnly is not true)",
					rule.ContainerMessage(c), hostPath, m.Name, m.MountPath, j)
			}
		}
		return nil
	},
}
