package workload

import (
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/palisade-dev/palisade/internal/object"
)

// windowsPod reports whether the pod declares spec.os.name=windows. The API
// rejects Linux-only security fields (capabilities, seccomp and AppArmor
// profiles, allowPrivilegeEscalation, readOnlyRootFilesystem, procMount,
// sysctls) in such pods, so the rules that require those fields skip them,
// as the Pod Security Admission controller does.
func windowsPod(pod object.PodTemplate) bool {
	return pod.Spec.OS != nil && pod.Spec.OS.Name == corev1.Windows
}

// userNamespaced reports whether the pod runs in its own user namespace
// (hostUsers: false), where UID 0 inside the container maps to an
// unprivileged UID on the node.
func userNamespaced(pod object.PodTemplate) bool {
	return pod.Spec.HostUsers != nil && !*pod.Spec.HostUsers
}

// securityContextPath locates a container's securityContext.
func securityContextPath(c object.Container) object.Path {
	return c.Path.Field("securityContext")
}

// setting is the value of a security field that a container inherits from
// the pod's securityContext unless its own securityContext sets it. Its
// path and name are built only when a finding needs them: rules resolve
// settings for every container of every request the webhook sees, and
// most of them report nothing.
type setting[T any] struct {
	// Value is the effective value, or nil when neither level sets it.
	Value *T
	// fromPod says the pod's securityContext decided Value.
	fromPod bool
	name    string
	pod     object.PodTemplate
	c       object.Container
}

// Path locates the field that decided Value: the container's when it sets
// one, otherwise the pod's. When neither does, it is the container's
// field, where a fix adds it.
func (s setting[T]) Path() object.Path {
	if s.fromPod {
		return s.pod.SpecPath.Field("securityContext").Field(s.name)
	}
	return securityContextPath(s.c).Field(s.name)
}

// Field names the deciding field in messages: "securityContext.runAsUser"
// or "pod securityContext.runAsUser".
func (s setting[T]) Field() string {
	if s.fromPod {
		return "pod securityContext." + s.name
	}
	return "securityContext." + s.name
}

// effective resolves the field name of a container's securityContext with
// the pod's as the fallback, the precedence the kubelet applies.
func effective[T any](pod object.PodTemplate, c object.Container, name string,
	ofPod func(*corev1.PodSecurityContext) *T, ofContainer func(*corev1.SecurityContext) *T) setting[T] {
	s := setting[T]{name: name, pod: pod, c: c}
	if c.SecurityContext != nil {
		if s.Value = ofContainer(c.SecurityContext); s.Value != nil {
			return s
		}
	}
	if pod.Spec.SecurityContext != nil {
		if s.Value = ofPod(pod.Spec.SecurityContext); s.Value != nil {
			s.fromPod = true
		}
	}
	return s
}

// runAsUser returns the UID a container's process runs as, when the pod
// spec says.
func runAsUser(pod object.PodTemplate, c object.Container) setting[int64] {
	return effective(pod, c, "runAsUser",
		func(sc *corev1.PodSecurityContext) *int64 { return sc.RunAsUser },
		func(sc *corev1.SecurityContext) *int64 { return sc.RunAsUser })
}

// runAsNonRoot returns whether the kubelet must refuse to start a container
// as UID 0, when the pod spec says.
func runAsNonRoot(pod object.PodTemplate, c object.Container) setting[bool] {
	return effective(pod, c, "runAsNonRoot",
		func(sc *corev1.PodSecurityContext) *bool { return sc.RunAsNonRoot },
		func(sc *corev1.SecurityContext) *bool { return sc.RunAsNonRoot })
}

// capabilityName returns a capability as the API documents it: upper case
// and without the "CAP_" prefix, which container runtimes also accept.
func capabilityName(c corev1.Capability) string {
	return strings.TrimPrefix(strings.ToUpper(string(c)), "CAP_")
}

// capabilities returns a container's capabilities, or nil.
func capabilities(c object.Container) *corev1.Capabilities {
	if c.SecurityContext == nil {
		return nil
	}
	return c.SecurityContext.Capabilities
}

// privileged reports whether a container sets securityContext.privileged.
func privileged(c object.Container) bool {
	sc := c.SecurityContext
	return sc != nil && sc.Privileged != nil && *sc.Privileged
}
