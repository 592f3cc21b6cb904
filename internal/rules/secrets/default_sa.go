package secrets

import (
	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/rule"
)

// DefaultServiceAccount reports pods that run as their namespace's default
// service account.
var DefaultServiceAccount = &rule.Rule{
	Meta: rule.Meta{
		ID:       "default-service-account",
		Title:    "Pod runs as the default service account",
		Severity: rule.Low,
		Category: rule.CategorySecrets,
		Doc: "Every pod in a namespace that names no service account shares the default one, so a permission " +
			"granted to default for one workload, or a cloud identity bound to it, is silently given to all of " +
			"them, and audit logs cannot tell them apart. The rule flags pods whose spec.serviceAccountName is " +
			"empty or \"default\"; when serviceAccountName is empty the deprecated spec.serviceAccount field is " +
			"honoured, as the API server does.",
		Remediation: "Create a dedicated ServiceAccount with only the permissions the workload needs and set spec.serviceAccountName to it.",
		References: []framework.Ref{
			framework.CISRef("5.1.5"),
			framework.NSARef("service-account-tokens"),
			framework.MITRERef("T1078.001"),
		},
	},
	Run: func(pass *rule.Pass) error {
		pod, ok := pass.Object.PodTemplate()
		if !ok {
			return nil
		}
		name, p := serviceAccountOf(pod)
		if name != defaultServiceAccount {
			return nil
		}
		switch {
		case pod.Spec.ServiceAccountName != "":
			pass.Reportf(p, nil, "serviceAccountName=%q runs pods as the namespace's default service account", name)
		case pod.Spec.DeprecatedServiceAccount != "":
			pass.Reportf(p, nil, "deprecated serviceAccount=%q runs pods as the namespace's default service account", name)
		default:
			pass.Reportf(p, nil, "serviceAccountName is not set, so pods run as the namespace's default service account")
		}
		return nil
	},
}
