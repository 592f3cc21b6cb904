package secrets

import (
	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/rule"
)

// ServiceAccountTokenAutomount reports pods that get their service
// account's API token mounted without asking for it.
var ServiceAccountTokenAutomount = &rule.Rule{
	Meta: rule.Meta{
		ID:       "service-account-token-automount",
		Title:    "Service account token mounted automatically",
		Severity: rule.Medium,
		Category: rule.CategorySecrets,
		Doc: "Unless told otherwise, Kubernetes mounts a token for the pod's service account into every container " +
			"at /var/run/secrets/kubernetes.io/serviceaccount, so anyone who gets code execution or a file read " +
			"in any container can call the API server with the service account's permissions. Most applications " +
			"never use it. The rule flags pods whose spec.automountServiceAccountToken is not false, unless it " +
			"is unset and the ServiceAccount they run as is among the scanned objects and sets " +
			"automountServiceAccountToken: false itself; the pod's setting wins over the ServiceAccount's.",
		Remediation: "Set spec.automountServiceAccountToken to false in the pod template, and give pods that call the API a projected token volume instead.",
		References: []framework.Ref{
			framework.CISRef("5.1.6"),
			framework.NSARef("service-account-tokens"),
			framework.MITRERef("T1528"),
			framework.MITRERef("T1552.007"),
		},
	},
	Fixable: true,
	Run: func(pass *rule.Pass) error {
		pod, ok := pass.Object.PodTemplate()
		if !ok {
			return nil
		}
		p := pod.SpecPath.Field("automountServiceAccountToken")
		fix := func() *rule.Fix {
			return &rule.Fix{
				Patch:  []rule.PatchOp{rule.Set(p, false)},
				Unsafe: true,
				Note:   "containers that call the Kubernetes API lose their credentials; give them a projected serviceAccountToken volume",
			}
		}
		name, _ := serviceAccountOf(pod)
		if v := pod.Spec.AutomountServiceAccountToken; v != nil {
			if *v {
				pass.Reportf(p, fix, "automountServiceAccountToken=true mounts the API token of service account %q into every container", name)
			}
			return nil
		}
		sa := findServiceAccount(pass.Set, pass.Object.Namespace(), name)
		switch {
		case sa == nil:
			pass.Reportf(p, fix, "automountServiceAccountToken is not set, so the API token of service account %q is mounted into every container unless that ServiceAccount disables it", name)
		case sa.AutomountServiceAccountToken == nil:
			pass.Reportf(p, fix, "automountServiceAccountToken is set neither here nor on ServiceAccount %q, so its API token is mounted into every container", name)
		case *sa.AutomountServiceAccountToken:
			pass.Reportf(p, fix, "automountServiceAccountToken is not set and ServiceAccount %q sets it to true, so its API token is mounted into every container", name)
		}
		return nil
	},
}
