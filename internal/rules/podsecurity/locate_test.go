package podsecurity

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/pod-security-admission/policy"

	"github.com/palisade-dev/palisade/internal/object"
)

// A pod with something of every kind findCulprit probes.
const culpritPodYAML = `apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  template:
    metadata:
      annotations: {a: "1", b: bad}
    spec:
      hostPID: true
      securityContext:
        sysctls: [{name: ok, value: "1"}, {name: bad, value: "1"}]
      volumes: [{name: ok, emptyDir: {}}, {name: bad, emptyDir: {}}]
      initContainers: [{name: ok}, {name: bad}]
      containers: [{name: ok}, {name: bad}]
      ephemeralContainers: [{name: ok}, {name: bad}]
`

// failIf returns a check that fails when bad reports true.
func failIf(bad func(meta *metav1.ObjectMeta, spec *corev1.PodSpec) bool) policy.CheckPodFn {
	return func(meta *metav1.ObjectMeta, spec *corev1.PodSpec) policy.CheckResult {
		return policy.CheckResult{Allowed: !bad(meta, spec), ForbiddenReason: "bad"}
	}
}

func hasBad[T any](items []T, name func(T) string) bool {
	for _, it := range items {
		if name(it) == "bad" {
			return true
		}
	}
	return false
}

func TestFindCulprit(t *testing.T) {
	obj := object.Decode("d.yaml", []byte(culpritPodYAML)).Objects[0]
	pod, _ := obj.PodTemplate()
	containerName := func(c corev1.Container) string { return c.Name }
	tests := []struct {
		name  string
		fn    policy.CheckPodFn
		kind  culpritKind
		path  object.Path
		index int
	}{
		{
			name: "pod field",
			fn:   failIf(func(_ *metav1.ObjectMeta, s *corev1.PodSpec) bool { return s.HostPID }),
			kind: culpritPod,
		},
		{
			name: "sysctl",
			fn: failIf(func(_ *metav1.ObjectMeta, s *corev1.PodSpec) bool {
				return s.SecurityContext != nil && hasBad(s.SecurityContext.Sysctls, func(x corev1.Sysctl) string { return x.Name })
			}),
			kind: culpritSysctl, index: 1,
		},
		{
			name: "volume",
			fn: failIf(func(_ *metav1.ObjectMeta, s *corev1.PodSpec) bool {
				return hasBad(s.Volumes, func(v corev1.Volume) string { return v.Name })
			}),
			kind: culpritVolume, index: 1, path: "spec.template.spec.volumes[1]",
		},
		{
			name: "init container",
			fn:   failIf(func(_ *metav1.ObjectMeta, s *corev1.PodSpec) bool { return hasBad(s.InitContainers, containerName) }),
			kind: culpritContainer, path: "spec.template.spec.initContainers[1]",
		},
		{
			name: "regular container, with the pod's security context",
			fn: failIf(func(_ *metav1.ObjectMeta, s *corev1.PodSpec) bool {
				return s.SecurityContext != nil && len(s.SecurityContext.Sysctls) == 2 && hasBad(s.Containers, containerName)
			}),
			kind: culpritContainer, path: "spec.template.spec.containers[1]",
		},
		{
			name: "ephemeral container",
			fn: failIf(func(_ *metav1.ObjectMeta, s *corev1.PodSpec) bool {
				return hasBad(s.EphemeralContainers, func(c corev1.EphemeralContainer) string { return c.Name })
			}),
			kind: culpritContainer, path: "spec.template.spec.ephemeralContainers[1]",
		},
		{
			name: "annotation",
			fn:   failIf(func(m *metav1.ObjectMeta, _ *corev1.PodSpec) bool { return m.Annotations["b"] == "bad" }),
			kind: culpritAnnotation, path: "spec.template.metadata.annotations.b",
		},
		{
			name: "only a combination fails",
			fn: failIf(func(_ *metav1.ObjectMeta, s *corev1.PodSpec) bool {
				return len(s.Containers) == 2
			}),
			kind: culpritNone,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := findCulprit(pod, tt.fn)
			if got.kind != tt.kind || got.path != tt.path || (tt.kind != culpritContainer && got.index != tt.index) {
				t.Errorf("findCulprit = %+v, want kind %d path %q index %d", got, tt.kind, tt.path, tt.index)
			}
			if tt.kind == culpritContainer && (got.container.Name != "bad" || got.container.Path != tt.path) {
				t.Errorf("container = %s at %s, want bad at %s", got.container.Name, got.container.Path, tt.path)
			}
		})
	}
	if len(pod.Spec.SecurityContext.Sysctls) != 2 || len(pod.Spec.Containers) != 2 || len(pod.Spec.Volumes) != 2 {
		t.Error("findCulprit modified the pod")
	}
}
