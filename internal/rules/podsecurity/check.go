package podsecurity

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/pod-security-admission/policy"

	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
)

// check binds a rule to the PSA check it runs. Its run method is the rule's
// Run function.
type check struct {
	// id is the PSA check ID, as in policy.DefaultChecks. Required; it must
	// match the check ID of the rule's PSS reference.
	id policy.CheckID
	// podField narrows a pod-level failure (the check fails with no
	// containers, volumes or sysctls) to the offending field. Optional: the
	// finding then points at the pod spec.
	podField func(pod object.PodTemplate) object.Path
	// volumeField names the member of a failing volume to point at, such as
	// "hostPath". Optional: the finding then points at the volume.
	volumeField string
	// containerField narrows the failure of one container to the offending
	// field, which may be a pod-level field when that is where the remedy
	// belongs. Optional: the finding then points at the container.
	containerField func(pod object.PodTemplate, c object.Container) object.Path
	// fix returns the patch that makes the pod pass the check, or nil where
	// there is no sound remedy for this pod. It is called only when a
	// consumer wants the remedy, so it must read nothing but pod. Optional.
	fix func(pod object.PodTemplate) *rule.Fix
	// fixWith is fix for remedies that depend on the policy version:
	// allowed runs the check on a changed copy of the pod spec, so that the
	// fix removes exactly what the check forbids. Optional.
	fixWith func(pod object.PodTemplate, allowed func(spec *corev1.PodSpec) bool) *rule.Fix
}

// run evaluates the check on the pod of any workload at the scan's level and
// version and reports one finding if the check fails.
func (c check) run(pass *rule.Pass) error {
	p, err := resolve(pass.Options)
	if err != nil {
		return err
	}
	pod, ok := pass.Object.PodTemplate()
	if !ok {
		return nil
	}
	fn := p.checks[c.id]
	if fn == nil {
		return nil // not part of this level and version
	}
	admitted := asAdmitted(pod)
	res := fn(admitted.Meta, admitted.Spec)
	if res.Allowed {
		return nil
	}
	f := rule.Finding{Message: message(p, c.id, res)}
	f.Path, f.Container = c.locate(admitted, fn)
	// The builders read only the pod, the policy's check function and the
	// pod's metadata, none of which changes after the pass.
	switch {
	case c.fix != nil:
		fix := c.fix
		f.Fix = func() *rule.Fix { return fix(pod) }
	case c.fixWith != nil:
		fixWith, meta := c.fixWith, admitted.Meta
		f.Fix = func() *rule.Fix {
			return fixWith(pod, func(spec *corev1.PodSpec) bool { return fn(meta, spec).Allowed })
		}
	}
	pass.Report(f)
	return nil
}

// locate returns the field to report a failure of fn on, and the name of the
// container concerned, if any.
func (c check) locate(pod object.PodTemplate, fn policy.CheckPodFn) (object.Path, string) {
	at := findCulprit(pod, fn)
	switch at.kind {
	case culpritPod:
		if c.podField != nil {
			return c.podField(pod), ""
		}
	case culpritSysctl:
		return podSC(pod).Field("sysctls").Index(at.index).Field("name"), ""
	case culpritVolume:
		if c.volumeField != "" {
			return at.path.Field(c.volumeField), ""
		}
		return at.path, ""
	case culpritContainer:
		if c.containerField != nil {
			return c.containerField(pod, at.container), at.container.Name
		}
		return at.path, at.container.Name
	case culpritAnnotation:
		return at.path, ""
	}
	return pod.SpecPath, ""
}

// message renders a failure the way the API server words it, naming the
// check, for example
// `violates PodSecurity "baseline:latest" check privileged: privileged (container "web" must not set securityContext.privileged=true)`.
func message(p *policyFor, id policy.CheckID, res policy.CheckResult) string {
	reason := res.ForbiddenReason
	if reason == "" {
		reason = policy.UnknownForbiddenReason
	}
	var b strings.Builder
	b.Grow(len(`violates PodSecurity "" check : ()`) + len(p.lvName) + len(id) + len(reason) + len(res.ForbiddenDetail))
	b.WriteString(`violates PodSecurity "`)
	b.WriteString(p.lvName)
	b.WriteString(`" check `)
	b.WriteString(string(id))
	b.WriteString(": ")
	b.WriteString(reason)
	if res.ForbiddenDetail != "" {
		b.WriteString(" (")
		b.WriteString(res.ForbiddenDetail)
		b.WriteString(")")
	}
	return b.String()
}
