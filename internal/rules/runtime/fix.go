package runtime

import (
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
)

// removeVolumeFix returns the unsafe fix that removes volume i of a pod and
// every volumeMount of it, each after testing that it still names the
// volume, the mounts of each container from last to first.
func removeVolumeFix(pod object.PodTemplate, i int) *rule.Fix {
	name := pod.Spec.Volumes[i].Name
	var ops []rule.PatchOp
	removeNamed := func(p object.Path) {
		ops = append(ops, rule.PatchOp{Op: "test", Path: p.Field("name").Pointer(), Value: name}, rule.Remove(p))
	}
	for _, c := range pod.Containers() {
		for j := len(c.VolumeMounts) - 1; j >= 0; j-- {
			if c.VolumeMounts[j].Name == name {
				removeNamed(c.Path.Field("volumeMounts").Index(j))
			}
		}
	}
	removeNamed(pod.SpecPath.Field("volumes").Index(i))
	return &rule.Fix{
		Patch:  ops,
		Unsafe: true,
		Note: "the containers lose the runtime socket, and whatever they do through it (building images, listing or " +
			"starting containers) stops; use the Kubernetes API or a purpose-built agent instead",
	}
}
