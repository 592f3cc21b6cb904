package lifecycle

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	psaapi "k8s.io/pod-security-admission/api"

	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
)

// NamespacePSSLabel reports namespaces where Pod Security Admission
// enforces nothing.
var NamespacePSSLabel = &rule.Rule{
	Meta: rule.Meta{
		ID:       "namespace-pss-label-missing",
		Title:    "Namespace without an enforced Pod Security Standard",
		Severity: rule.Medium,
		Category: rule.CategoryLifecycle,
		Doc: "Pod Security Admission, the built-in successor of PodSecurityPolicy, enforces a Pod Security " +
			"Standard in a namespace only when the namespace carries the pod-security.kubernetes.io/enforce label; " +
			"without it, or with the privileged level, any pod is admitted unless the cluster-wide admission " +
			"configuration sets another default. The rule flags Namespace objects without the label (medium) and " +
			"with enforce=privileged (high); a value that is not a level counts as restricted, as the admission " +
			"controller reads it.",
		Remediation: "Label the namespace with pod-security.kubernetes.io/enforce set to baseline or, better, restricted.",
		References: []framework.Ref{
			framework.CISRef("5.2.1"),
			framework.NSARef("pod-security-enforcement"),
		},
	},
	Fixable: true,
	Run: func(pass *rule.Pass) error {
		ns, ok := pass.Object.Typed.(*corev1.Namespace)
		if !ok {
			return nil
		}
		name := ns.Name
		labels := object.Path("metadata").Field("labels")
		label := labels.Field(psaapi.EnforceLevelLabel)
		level, set := ns.Labels[psaapi.EnforceLevelLabel]
		switch {
		case !set:
			// Without labels, the fix adds them all.
			path, whole := labels, ns.Labels == nil
			if !whole {
				path = label
			}
			fix := func() *rule.Fix {
				var value any = fixLevel
				if whole {
					value = map[string]string{psaapi.EnforceLevelLabel: fixLevel}
				}
				return enforceFix(name, path, value)
			}
			pass.Reportf(path, fix,
				"Namespace %q enforces no Pod Security Standard (label %s is not set)", ns.Name, psaapi.EnforceLevelLabel)
		case level == string(psaapi.LevelPrivileged):
			pass.Report(rule.Finding{
				Path: label, Severity: rule.High, Fix: func() *rule.Fix { return enforceFix(name, label, fixLevel) },
				Message: fmt.Sprintf("Namespace %q enforces the privileged Pod Security Standard, which admits any pod (%s=privileged)",
					ns.Name, psaapi.EnforceLevelLabel),
			})
		}
		return nil
	},
}

// fixLevel is the level the fix enforces: baseline blocks the known
// privilege escalations (privileged containers, host namespaces and paths,
// capabilities beyond the default set) while admitting nearly every workload, whereas
// restricted also demands non-root users, dropped capabilities and a
// seccomp profile, which many images do not meet without changes.
const fixLevel = string(psaapi.LevelBaseline)

// enforceFix sets the enforce label of namespace ns, or the labels holding
// it, at path.
func enforceFix(ns string, path object.Path, value any) *rule.Fix {
	return &rule.Fix{
		Patch:  []rule.PatchOp{rule.Set(path, value)},
		Unsafe: true,
		Note: "The API server rejects new pods that break the baseline standard, including those a Deployment " +
			"creates on its next rollout; running pods stay. Preview the effect with kubectl label --dry-run=server " +
			"--overwrite namespace " + ns + " " + psaapi.EnforceLevelLabel + "=" + fixLevel + ", which lists the pods that " +
			"would be rejected, before applying.",
	}
}
