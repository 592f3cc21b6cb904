package podsecurity

import (
	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
)

// RunAsNonRoot runs the PSA restricted check "runAsNonRoot".
var RunAsNonRoot = &rule.Rule{
	Meta: rule.Meta{
		ID:       "pss-run-as-non-root",
		Title:    "PSS restricted: containers may run as root",
		Severity: rule.Medium,
		Category: rule.CategoryPodSecurity,
		Doc: "A container that runs as root on the node's user namespace is root on the node the moment it escapes, " +
			"and owns every file it can reach. This rule gives the verdict of the Pod Security Admission check " +
			"runAsNonRoot, which requires securityContext.runAsNonRoot=true on the pod or on every container and " +
			"forbids false anywhere, except from policy v1.35 in pods with their own user namespace (hostUsers: false).",
		Remediation: "Set spec.securityContext.runAsNonRoot to true and run the containers as a non-zero user ID.",
		References: []framework.Ref{
			framework.PSSRef("restricted", "runAsNonRoot"),
			framework.CISRef("5.2.7"),
			framework.MITRERef("T1611"),
		},
	},
	Fixable: true,
	Run: check{
		id: "runAsNonRoot",
		podField: func(pod object.PodTemplate) object.Path {
			return podSC(pod).Field("runAsNonRoot")
		},
		containerField: runAsNonRootField,
		fix:            fixRunAsNonRoot,
	}.run,
}

// runAsNonRootField points at a container's own runAsNonRoot if it sets one,
// else at the pod-level field, where the remedy belongs.
func runAsNonRootField(pod object.PodTemplate, c object.Container) object.Path {
	if c.SecurityContext != nil && c.SecurityContext.RunAsNonRoot != nil {
		return containerSC(c).Field("runAsNonRoot")
	}
	return podSC(pod).Field("runAsNonRoot")
}

// fixRunAsNonRoot sets runAsNonRoot=true on the pod and removes the
// containers' own false so they inherit it. The kubelet then refuses to start
// a container whose user is root or is a name it cannot check, so the fix is
// safe only when every container runs as a known non-zero user ID.
func fixRunAsNonRoot(pod object.PodTemplate) *rule.Fix {
	fix := &rule.Fix{}
	sc := pod.Spec.SecurityContext
	if sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
		fix.Patch = append(fix.Patch, setIn(podSC(pod), sc != nil, "runAsNonRoot", true))
	}
	for _, c := range pod.Containers() {
		if c.SecurityContext != nil && c.SecurityContext.RunAsNonRoot != nil && !*c.SecurityContext.RunAsNonRoot {
			fix.Patch = append(fix.Patch, rule.Remove(containerSC(c).Field("runAsNonRoot")))
		}
		if uid := effectiveRunAsUser(pod, c); uid == nil || *uid == 0 {
			fix.Unsafe = true
		}
	}
	if fix.Unsafe {
		fix.Note = "the kubelet refuses to start a container whose image runs as root or as a user name; set " +
			"runAsUser to a non-zero UID or use an image with a numeric non-root USER"
	}
	return fix
}

// effectiveRunAsUser returns the user ID a container runs as when the pod
// spec says so: its own runAsUser, else the pod's; nil when the image decides.
func effectiveRunAsUser(pod object.PodTemplate, c object.Container) *int64 {
	if c.SecurityContext != nil && c.SecurityContext.RunAsUser != nil {
		return c.SecurityContext.RunAsUser
	}
	if pod.Spec.SecurityContext != nil {
		return pod.Spec.SecurityContext.RunAsUser
	}
	return nil
}
