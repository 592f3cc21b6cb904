package hygiene

import (
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
)

// DefaultNamespace reports objects explicitly placed in the default
// namespace.
var DefaultNamespace = &rule.Rule{
	Meta: rule.Meta{
		ID:       "default-namespace",
		Title:    "Object in the default namespace",
		Severity: rule.Low,
		Category: rule.CategoryHygiene,
		Doc: "Namespaces are the unit of RBAC, network policy, Pod Security Admission and quotas; the default " +
			"namespace is where everything lands by accident, so policies there are rarely tailored and every " +
			"user tends to have access to it. The rule flags objects that set metadata.namespace: default " +
			"explicitly (objects without a namespace are left alone, since the namespace is often chosen at deploy " +
			"time), except those the control plane creates there itself and cluster-scoped kinds; it is off by default.",
		Remediation: "Move the object to a namespace of its own application.",
		References: []framework.Ref{
			framework.CISRef("5.7.4"),
			framework.NSARef("namespaces"),
		},
		DefaultOff: true,
	},
	Run: func(pass *rule.Pass) error {
		o := pass.Object
		if o.RawNamespace != object.DefaultNamespace || clusterScoped[o.GVK().GroupKind()] || createdByControlPlane(o) {
			return nil
		}
		pass.Reportf(object.Path("metadata").Field("namespace"), nil,
			"the default namespace holds %s %q (metadata.namespace: default)", o.Kind, o.Name)
		return nil
	},
}

// createdByControlPlane reports whether o is one of the objects Kubernetes
// keeps in the default namespace itself, which a cluster scan exports: the
// kubernetes Service with its endpoints, the default ServiceAccount and
// the kube-root-ca.crt ConfigMap of every namespace.
func createdByControlPlane(o *object.Object) bool {
	switch o.Kind {
	case "Service", "Endpoints":
		return o.Name == "kubernetes"
	case "EndpointSlice":
		return o.Labels()["kubernetes.io/service-name"] == "kubernetes"
	case "ServiceAccount":
		return o.Name == "default"
	case "ConfigMap":
		return o.Name == "kube-root-ca.crt"
	}
	return false
}

// clusterScoped are the built-in kinds that belong to no namespace: the API
// server ignores a metadata.namespace written on them.
var clusterScoped = map[schema.GroupKind]bool{
	{Kind: "Namespace"}: true, {Kind: "Node"}: true, {Kind: "PersistentVolume"}: true,
	{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole"}:                         true,
	{Group: "rbac.authorization.k8s.io", Kind: "ClusterRoleBinding"}:                  true,
	{Group: "storage.k8s.io", Kind: "StorageClass"}:                                   true,
	{Group: "storage.k8s.io", Kind: "CSIDriver"}:                                      true,
	{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}:                 true,
	{Group: "apiregistration.k8s.io", Kind: "APIService"}:                             true,
	{Group: "scheduling.k8s.io", Kind: "PriorityClass"}:                               true,
	{Group: "networking.k8s.io", Kind: "IngressClass"}:                                true,
	{Group: "node.k8s.io", Kind: "RuntimeClass"}:                                      true,
	{Group: "admissionregistration.k8s.io", Kind: "MutatingWebhookConfiguration"}:     true,
	{Group: "admissionregistration.k8s.io", Kind: "ValidatingWebhookConfiguration"}:   true,
	{Group: "admissionregistration.k8s.io", Kind: "ValidatingAdmissionPolicy"}:        true,
	{Group: "admissionregistration.k8s.io", Kind: "ValidatingAdmissionPolicyBinding"}: true,
	{Group: "certificates.k8s.io", Kind: "CertificateSigningRequest"}:                 true,
	{Group: "policy", Kind: "PodSecurityPolicy"}:                                      true,
}
