package podsecurity

import (
	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/rule"
)

// HostPathVolumes runs the PSA baseline check "hostPathVolumes".
var HostPathVolumes = &rule.Rule{
	Meta: rule.Meta{
		ID:       "pss-host-path-volumes",
		Title:    "PSS baseline: hostPath volumes",
		Severity: rule.High,
		Category: rule.CategoryPodSecurity,
		Doc: "A hostPath volume mounts a directory of the node into the pod, which can expose the container " +
			"runtime's socket, kubelet credentials or the node's root filesystem. This rule gives the verdict of " +
			"the Pod Security Admission check hostPathVolumes, which rejects any spec.volumes entry with a hostPath " +
			"source; at the restricted level the check restrictedVolumes takes its place.",
		Remediation: "Replace hostPath volumes with emptyDir, configMap, secret, projected or persistent volume claims.",
		References: []framework.Ref{
			framework.PSSRef("baseline", "hostPathVolumes"),
			framework.CISRef("5.2.12"),
			framework.MITRERef("T1611"),
		},
	},
	Fixable: true,
	Run:     check{id: "hostPathVolumes", volumeField: "hostPath", fix: fixHostPathVolumes}.run,
}
