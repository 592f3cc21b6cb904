package hostpath

import (
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
)

// EmptyDirFix returns the unsafe fix that turns the hostPath volumes at
// volumes (paths of pod.spec.volumes items) into emptyDir volumes, so that
// the containers' volumeMounts stay valid but see an empty directory of
// their own instead of the node's files.
func EmptyDirFix(volumes ...object.Path) *rule.Fix {
	var ops []rule.PatchOp
	for _, v := range volumes {
		ops = append(ops, rule.Remove(v.Field("hostPath")), rule.Set(v.Field("emptyDir"), map[string]any{}))
	}
	return &rule.Fix{
		Patch:  ops,
		Unsafe: true,
		Note: "the containers see an empty directory instead of the node's files; make sure they do not need them, " +
			"or give them a configMap, secret or persistent volume with what they read",
	}
}
