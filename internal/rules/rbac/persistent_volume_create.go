package rbac

import (
	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/rule"
)

var volumeCreates = requests("", true, []string{"create"}, "persistentvolumes")

// PersistentVolumeCreate reports ClusterRoles that can create
// PersistentVolumes.
var PersistentVolumeCreate = &rule.Rule{
	Meta: rule.Meta{
		ID:       "rbac-persistent-volume-create",
		Title:    "Role that creates persistent volumes",
		Severity: rule.High,
		Category: rule.CategoryRBAC,
		Doc: "A PersistentVolume can point at any directory of a node with hostPath, and a pod that mounts it " +
			"through a claim reads and writes the node's files even where Pod Security admission forbids hostPath " +
			"volumes, because the pod names only a PersistentVolumeClaim. The rule flags create on " +
			"persistentvolumes (core API group) in ClusterRoles (a Role cannot grant it: persistent volumes are " +
			"not namespaced).",
		Remediation: "Provision volumes through StorageClasses and leave PersistentVolume creation to storage provisioners.",
		References: []framework.Ref{
			framework.CISRef("5.1.9"),
			framework.NSARef("rbac"),
			framework.MITRERef("T1611"),
		},
	},
	Run: func(pass *rule.Pass) error {
		grants, err := roleGrants(pass.Object, volumeCreates)
		for _, g := range grants {
			pass.Reportf(g.path, nil, "%s grants %s, which can expose any host path to pods through a claim", g.role, g)
		}
		return err
	},
}
