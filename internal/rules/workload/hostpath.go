package workload

import (
	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/rule"
	"github.com/palisade-dev/palisade/internal/rules/internal/hostpath"
)

// HostPathVolume reports every hostPath volume.
var HostPathVolume = &rule.Rule{
	Meta: rule.Meta{
		ID:       "host-path-volume",
		Title:    "HostPath volume",
		Severity: rule.Medium,
		Category: rule.CategoryHostAccess,
		Doc: "A hostPath volume hands the pod a file or directory of the node's filesystem: the pod reads whatever " +
			"the node keeps there and leaves behind whatever it writes, outside any quota and beyond its own " +
			"lifetime. The rule flags every volume with a hostPath source; host-path-writable, host-path-sensitive " +
			"and container-runtime-socket single out the most dangerous ones.",
		Remediation: "Replace the hostPath volume with an emptyDir, configMap, secret, projected or persistent volume.",
		References: []framework.Ref{
			framework.PSSRef("baseline", "hostPathVolumes"),
			framework.CISRef("5.2.12"),
			framework.NSARef("pod-security-enforcement"),
			framework.MITRERef("T1611"),
		},
	},
	Fixable: true,
	Run: func(pass *rule.Pass) error {
		pod, ok := pass.Object.PodTemplate()
		if !ok {
			return nil
		}
		for i, v := range pod.Spec.Volumes {
			if v.HostPath == nil {
				continue
			}
			vol := pod.SpecPath.Field("volumes").Index(i)
			p := vol.Field("hostPath").Field("path")
			fix := func() *rule.Fix { return hostpath.EmptyDirFix(vol) }
			pass.Reportf(p, fix, "volume %q exposes host path %q to the pod (hostPath)", v.Name, v.HostPath.Path)
		}
		return nil
	},
}
