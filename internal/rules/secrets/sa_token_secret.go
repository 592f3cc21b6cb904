package secrets

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
)

// ServiceAccountTokenSecret reports Secrets that hold a long-lived
// service-account token.
var ServiceAccountTokenSecret = &rule.Rule{
	Meta: rule.Meta{
		ID:       "service-account-token-secret",
		Title:    "Long-lived service-account token in a Secret",
		Severity: rule.Medium,
		Category: rule.CategorySecrets,
		Doc: "A Secret of type kubernetes.io/service-account-token holds a token that the API server accepts " +
			"until the Secret or its ServiceAccount is deleted: it never expires, is not bound to a pod, and anyone " +
			"who may read Secrets in the namespace or finds it in a backup, a log or a CI variable can use it. " +
			"Since Kubernetes 1.24 pods get projected tokens that expire and die with the pod, and kubectl create token " +
			"issues short-lived ones, so such Secrets are leftovers or hand-made. The rule reports every Secret of " +
			"that type, naming the ServiceAccount from its kubernetes.io/service-account.name annotation; it " +
			"reads the type and annotations only, never the token.",
		Remediation: "Delete the Secret and have clients use projected or kubectl create token credentials that expire.",
		References: []framework.Ref{
			framework.CISRef("5.1.6"),
			framework.NSARef("service-account-tokens"),
			framework.MITRERef("T1528"),
		},
	},
	Run: func(pass *rule.Pass) error {
		s, ok := pass.Object.Typed.(*corev1.Secret)
		if !ok || s.Type != corev1.SecretTypeServiceAccountToken {
			return nil
		}
		sa := s.Annotations[corev1.ServiceAccountNameKey]
		if sa == "" {
			sa = "(unnamed)"
		}
		pass.Reportf(object.Path("type"), nil, "Secret %q holds a long-lived token of ServiceAccount %q (type %s), which does not expire", s.Name, sa, s.Type)
		return nil
	},
}
