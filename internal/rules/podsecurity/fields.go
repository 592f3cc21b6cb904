package podsecurity

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
)

// podSC returns the path of the pod-level security context.
func podSC(pod object.PodTemplate) object.Path {
	return pod.SpecPath.Field("securityContext")
}

// containerSC returns the path of a container's security context.
func containerSC(c object.Container) object.Path {
	return c.Path.Field("securityContext")
}

// isWindows reports whether the pod declares it runs on Windows, where the
// API server rejects the Linux-only security fields the restricted fixes
// would add.
func isWindows(pod object.PodTemplate) bool {
	return pod.Spec.OS != nil && pod.Spec.OS.Name == corev1.Windows
}

// setIn returns the JSON Patch operation that sets key to value in the
// object at parent. JSON Patch can only add a member to an object that
// exists, so when parent does not (exists is false), the operation creates
// it with key as its only member.
func setIn(parent object.Path, exists bool, key string, value any) rule.PatchOp {
	if exists {
		return rule.Set(parent.Field(key), value)
	}
	return rule.Set(parent, map[string]any{key: value})
}

// seLinuxField points at the most telling member of offending SELinux
// options: a user or role (never allowed), else the type.
func seLinuxField(opts *corev1.SELinuxOptions, at object.Path) object.Path {
	switch {
	case opts == nil:
		return at
	case opts.User != "":
		return at.Field("user")
	case opts.Role != "":
		return at.Field("role")
	}
	return at.Field("type")
}
