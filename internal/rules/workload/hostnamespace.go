package workload

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/palisade-dev/palisade/internal/rule"
)

// checkHostNamespace reports a pod that shares one of the node's namespaces
// through the boolean pod spec field name. The fix removes the field; it is
// unsafe because the node agents that set it rely on the shared namespace,
// and note says what stops working.
func checkHostNamespace(pass *rule.Pass, name, namespace string, shared func(*corev1.PodSpec) bool, note string) error {
	pod, ok := pass.Object.PodTemplate()
	if !ok || !shared(pod.Spec) {
		return nil
	}
	p := pod.SpecPath.Field(name)
	fix := func() *rule.Fix { return &rule.Fix{Patch: []rule.PatchOp{rule.Remove(p)}, Unsafe: true, Note: note} }
	pass.Reportf(p, fix, "pod shares the host %s namespace (%s=true)", namespace, name)
	return nil
}
