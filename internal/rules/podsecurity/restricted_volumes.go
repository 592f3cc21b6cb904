package podsecurity

import (
	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/rule"
)

// RestrictedVolumes runs the PSA restricted check "restrictedVolumes".
var RestrictedVolumes = &rule.Rule{
	Meta: rule.Meta{
		ID:       "pss-restricted-volumes",
		Title:    "PSS restricted: volume types",
		Severity: rule.Medium,
		Category: rule.CategoryPodSecurity,
		Doc: "Inline volume sources such as hostPath, nfs, iscsi or gitRepo let a pod author reach node paths, " +
			"storage servers or repositories directly, outside the control of persistent volumes and storage " +
			"classes. This rule gives the verdict of the Pod Security Admission check restrictedVolumes, which " +
			"allows in spec.volumes only configMap, csi, downwardAPI, emptyDir, ephemeral, image, " +
			"persistentVolumeClaim, projected and secret; at the restricted level it replaces the hostPathVolumes check.",
		Remediation: "Replace the restricted volume sources with persistent volume claims or the allowed inline volume types.",
		References: []framework.Ref{
			framework.PSSRef("restricted", "restrictedVolumes"),
			framework.CISRef("5.2.12"),
			framework.MITRERef("T1611"),
		},
	},
	Run: check{id: "restrictedVolumes"}.run,
}
