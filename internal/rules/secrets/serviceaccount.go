package secrets

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/palisade-dev/palisade/internal/object"
)

// defaultServiceAccount is the service account every namespace has, and
// the one pods run as when they name none.
const defaultServiceAccount = "default"

// serviceAccountOf returns the service account a pod runs as and the field
// that names it. spec.serviceAccountName wins; the deprecated
// spec.serviceAccount is used when it is empty, as the API server does;
// with neither set the pod runs as "default" and the path points at where
// serviceAccountName would be written.
func serviceAccountOf(pod object.PodTemplate) (string, object.Path) {
	switch {
	case pod.Spec.ServiceAccountName != "":
		return pod.Spec.ServiceAccountName, pod.SpecPath.Field("serviceAccountName")
	case pod.Spec.DeprecatedServiceAccount != "":
		return pod.Spec.DeprecatedServiceAccount, pod.SpecPath.Field("serviceAccount")
	}
	return defaultServiceAccount, pod.SpecPath.Field("serviceAccountName")
}

// findServiceAccount returns the ServiceAccount called name in namespace
// among the scanned objects, or nil.
func findServiceAccount(set *object.Set, namespace, name string) *corev1.ServiceAccount {
	if set == nil {
		return nil
	}
	if o := set.Lookup("ServiceAccount", namespace, name); o != nil {
		if sa, ok := o.Typed.(*corev1.ServiceAccount); ok {
			return sa
		}
	}
	return nil
}
