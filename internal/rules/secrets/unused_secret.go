package secrets

import (
	corev1 "k8s.io/api/core/v1"
	extensionsv1beta1 "k8s.io/api/extensions/v1beta1"
	networkingv1 "k8s.io/api/networking/v1"
	networkingv1beta1 "k8s.io/api/networking/v1beta1"

	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
)

// UnusedSecret reports Secrets nothing in their namespace refers to. It
// runs only on complete scans (a live cluster): a directory of manifests
// rarely holds every user of a Secret.
var UnusedSecret = &rule.Rule{
	Meta: rule.Meta{
		ID:           "secret-unused",
		NeedsContext: true,
		Title:        "Secret used by nothing",
		Severity:     rule.Info,
		Category:     rule.CategorySecrets,
		Doc: "A credential nobody uses is only a liability: it can still leak through anyone who may read " +
			"Secrets, and nobody notices when it should have been rotated or revoked. The rule runs on complete " +
			"scans (a live cluster) and reports Secrets that no workload mounts as a volume or projected volume, " +
			"reads through env or envFrom, or pulls images with, that no ServiceAccount lists, and that no Ingress " +
			"uses for TLS, in the same namespace. Secrets managed by a controller (with an owner reference), " +
			"service-account tokens (see service-account-token-secret), Helm release records and bootstrap tokens " +
			"are left out; other references, such as a custom resource naming the Secret, are not known to it, " +
			"so check before deleting.",
		Remediation: "Delete the Secret if nothing outside Kubernetes workloads needs it, and revoke the credential it holds.",
		References: []framework.Ref{
			framework.NSARef("secrets"),
			framework.MITRERef("T1552"),
		},
	},
	Run: func(pass *rule.Pass) error {
		s, ok := pass.Object.Typed.(*corev1.Secret)
		if !ok || !pass.Options.Complete || len(s.OwnerReferences) > 0 {
			return nil
		}
		switch s.Type {
		case corev1.SecretTypeServiceAccountToken, corev1.SecretTypeBootstrapToken, "helm.sh/release.v1":
			return nil
		}
		if secretUses(pass.Set)[nsName{pass.Object.Namespace(), s.Name}] {
			return nil
		}
		pass.Reportf(object.Path("metadata").Field("name"), nil, "Secret %q is used by no workload, ServiceAccount or Ingress of namespace %q", s.Name, pass.Object.Namespace())
		return nil
	},
}

type nsName struct{ ns, name string }

type usesMemo struct{}

// secretUses returns the Secrets that something in the scan refers to.
func secretUses(set *object.Set) map[nsName]bool {
	return set.Memo(usesMemo{}, func() any {
		used := map[nsName]bool{}
		for _, w := range set.Workloads() {
			pod, _ := w.PodTemplate()
			ns := w.Namespace()
			use := func(name string) { used[nsName{ns, name}] = true }
			for _, v := range pod.Spec.Volumes {
				if v.Secret != nil {
					use(v.Secret.SecretName)
				}
				if v.Projected != nil {
					for _, src := range v.Projected.Sources {
						if src.Secret != nil {
							use(src.Secret.Name)
						}
					}
				}
				if v.CSI != nil && v.CSI.NodePublishSecretRef != nil {
					use(v.CSI.NodePublishSecretRef.Name)
				}
			}
			for _, ref := range pod.Spec.ImagePullSecrets {
				use(ref.Name)
			}
			for _, c := range pod.Containers() {
				for _, e := range c.Env {
					if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
						use(e.ValueFrom.SecretKeyRef.Name)
					}
				}
				for _, e := range c.EnvFrom {
					if e.SecretRef != nil {
						use(e.SecretRef.Name)
					}
				}
			}
		}
		for _, o := range set.Kind("ServiceAccount") {
			sa, ok := o.Typed.(*corev1.ServiceAccount)
			if !ok {
				continue
			}
			for _, r := range sa.Secrets {
				used[nsName{o.Namespace(), r.Name}] = true
			}
			for _, r := range sa.ImagePullSecrets {
				used[nsName{o.Namespace(), r.Name}] = true
			}
		}
		for _, o := range set.Kind("Ingress") {
			for _, name := range ingressTLSSecrets(o) {
				used[nsName{o.Namespace(), name}] = true
			}
		}
		return used
	}).(map[nsName]bool)
}

// ingressTLSSecrets returns the spec.tls[].secretName of an Ingress of
// any version.
func ingressTLSSecrets(o *object.Object) []string {
	var out []string
	switch t := o.Typed.(type) {
	case *networkingv1.Ingress:
		for _, tls := range t.Spec.TLS {
			out = append(out, tls.SecretName)
		}
	case *networkingv1beta1.Ingress:
		for _, tls := range t.Spec.TLS {
			out = append(out, tls.SecretName)
		}
	case *extensionsv1beta1.Ingress:
		for _, tls := range t.Spec.TLS {
			out = append(out, tls.SecretName)
		}
	}
	return out
}
