package object

import (
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	appsv1beta1 "k8s.io/api/apps/v1beta1"
	appsv1beta2 "k8s.io/api/apps/v1beta2"
	batchv1 "k8s.io/api/batch/v1"
	batchv1beta1 "k8s.io/api/batch/v1beta1"
	corev1 "k8s.io/api/core/v1"
	extensionsv1beta1 "k8s.io/api/extensions/v1beta1"
	networkingv1 "k8s.io/api/networking/v1"
	networkingv1beta1 "k8s.io/api/networking/v1beta1"
	policyv1 "k8s.io/api/policy/v1"
	policyv1beta1 "k8s.io/api/policy/v1beta1"
	rbacv1 "k8s.io/api/rbac/v1"
	rbacv1alpha1 "k8s.io/api/rbac/v1alpha1"
	rbacv1beta1 "k8s.io/api/rbac/v1beta1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// scheme lists the API groups whose objects are decoded into typed structs.
// Older versions are included because manifests in the wild still use them
// and their pod templates must be checked like any other.
var scheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		corev1.AddToScheme,
		appsv1.AddToScheme, appsv1beta1.AddToScheme, appsv1beta2.AddToScheme,
		batchv1.AddToScheme, batchv1beta1.AddToScheme,
		extensionsv1beta1.AddToScheme,
		networkingv1.AddToScheme, networkingv1beta1.AddToScheme,
		policyv1.AddToScheme, policyv1beta1.AddToScheme,
		rbacv1.AddToScheme, rbacv1beta1.AddToScheme, rbacv1alpha1.AddToScheme,
		admissionregistrationv1.AddToScheme,
	} {
		if err := add(s); err != nil {
			panic(err) // the scheme is static; this cannot fail at run time
		}
	}
	return s
}()

// newTyped returns an empty typed object for gvk, or nil when the kind is not
// compiled in.
func newTyped(gvk schema.GroupVersionKind) runtime.Object {
	if !scheme.Recognizes(gvk) {
		return nil
	}
	obj, err := scheme.New(gvk)
	if err != nil {
		return nil
	}
	return obj
}

// NewTyped returns an empty typed object for gvk, for callers that decode
// an object themselves (the admission webhook, straight from a review), or
// nil when the kind is not compiled in. Wrap the decoded object with
// FromTyped.
func NewTyped(gvk schema.GroupVersionKind) runtime.Object { return newTyped(gvk) }
