package lifecycle

import "slices"

// removal is an API version that a Kubernetes release stopped serving, for
// some kinds or for all of them. The data follow the Kubernetes Deprecated
// API Migration Guide and, for the alpha versions, the v1.23 changelog.
type removal struct {
	apiVersion string
	// kinds are the kinds removed; nil means every kind of apiVersion.
	kinds []string
	// removedIn is the minor version of the first Kubernetes 1.x release
	// that no longer serves apiVersion.
	removedIn int
	// replacement is the apiVersion to migrate to, served since minor
	// version since; empty when there is none.
	replacement string
	since       int
	// sameSchema says that an object converts to replacement by changing
	// its apiVersion alone: the guide lists no notable changes.
	sameSchema bool
	// instead says what to use when there is no replacement.
	instead string
}

var removals = []removal{
	// v1.16
	{apiVersion: "extensions/v1beta1", kinds: []string{"Deployment", "DaemonSet", "ReplicaSet"}, removedIn: 16, replacement: "apps/v1", since: 9},
	{apiVersion: "extensions/v1beta1", kinds: []string{"NetworkPolicy"}, removedIn: 16, replacement: "networking.k8s.io/v1", since: 8},
	{apiVersion: "extensions/v1beta1", kinds: []string{"PodSecurityPolicy"}, removedIn: 16, replacement: "policy/v1beta1", since: 10},
	{apiVersion: "apps/v1beta1", removedIn: 16, replacement: "apps/v1", since: 9},
	{apiVersion: "apps/v1beta2", removedIn: 16, replacement: "apps/v1", since: 9},

	// v1.22
	{apiVersion: "extensions/v1beta1", kinds: []string{"Ingress"}, removedIn: 22, replacement: "networking.k8s.io/v1", since: 19},
	{apiVersion: "networking.k8s.io/v1beta1", kinds: []string{"Ingress"}, removedIn: 22, replacement: "networking.k8s.io/v1", since: 19},
	{apiVersion: "networking.k8s.io/v1beta1", kinds: []string{"IngressClass"}, removedIn: 22, replacement: "networking.k8s.io/v1", since: 19, sameSchema: true},
	{apiVersion: "admissionregistration.k8s.io/v1beta1", kinds: []string{"MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"}, removedIn: 22, replacement: "admissionregistration.k8s.io/v1", since: 16},
	{apiVersion: "apiextensions.k8s.io/v1beta1", kinds: []string{"CustomResourceDefinition"}, removedIn: 22, replacement: "apiextensions.k8s.io/v1", since: 16},
	{apiVersion: "apiregistration.k8s.io/v1beta1", kinds: []string{"APIService"}, removedIn: 22, replacement: "apiregistration.k8s.io/v1", since: 10, sameSchema: true},
	{apiVersion: "authentication.k8s.io/v1beta1", kinds: []string{"TokenReview"}, removedIn: 22, replacement: "authentication.k8s.io/v1", since: 6, sameSchema: true},
	{apiVersion: "authorization.k8s.io/v1beta1", kinds: []string{"LocalSubjectAccessReview", "SelfSubjectAccessReview", "SubjectAccessReview", "SelfSubjectRulesReview"}, removedIn: 22, replacement: "authorization.k8s.io/v1", since: 6},
	{apiVersion: "certificates.k8s.io/v1beta1", kinds: []string{"CertificateSigningRequest"}, removedIn: 22, replacement: "certificates.k8s.io/v1", since: 19},
	{apiVersion: "coordination.k8s.io/v1beta1", kinds: []string{"Lease"}, removedIn: 22, replacement: "coordination.k8s.io/v1", since: 14, sameSchema: true},
	{apiVersion: "rbac.authorization.k8s.io/v1beta1", removedIn: 22, replacement: "rbac.authorization.k8s.io/v1", since: 8, sameSchema: true},
	{apiVersion: "scheduling.k8s.io/v1beta1", kinds: []string{"PriorityClass"}, removedIn: 22, replacement: "scheduling.k8s.io/v1", since: 14, sameSchema: true},
	{apiVersion: "storage.k8s.io/v1beta1", kinds: []string{"CSIDriver"}, removedIn: 22, replacement: "storage.k8s.io/v1", since: 19, sameSchema: true},
	{apiVersion: "storage.k8s.io/v1beta1", kinds: []string{"CSINode"}, removedIn: 22, replacement: "storage.k8s.io/v1", since: 17, sameSchema: true},
	{apiVersion: "storage.k8s.io/v1beta1", kinds: []string{"StorageClass"}, removedIn: 22, replacement: "storage.k8s.io/v1", since: 6, sameSchema: true},
	{apiVersion: "storage.k8s.io/v1beta1", kinds: []string{"VolumeAttachment"}, removedIn: 22, replacement: "storage.k8s.io/v1", since: 13, sameSchema: true},

	// v1.23
	{apiVersion: "rbac.authorization.k8s.io/v1alpha1", removedIn: 23, replacement: "rbac.authorization.k8s.io/v1", since: 8},
	{apiVersion: "scheduling.k8s.io/v1alpha1", removedIn: 23, replacement: "scheduling.k8s.io/v1", since: 14},

	// v1.25
	{apiVersion: "batch/v1beta1", kinds: []string{"CronJob"}, removedIn: 25, replacement: "batch/v1", since: 21, sameSchema: true},
	{apiVersion: "discovery.k8s.io/v1beta1", kinds: []string{"EndpointSlice"}, removedIn: 25, replacement: "discovery.k8s.io/v1", since: 21},
	{apiVersion: "events.k8s.io/v1beta1", kinds: []string{"Event"}, removedIn: 25, replacement: "events.k8s.io/v1", since: 19},
	{apiVersion: "autoscaling/v2beta1", kinds: []string{"HorizontalPodAutoscaler"}, removedIn: 25, replacement: "autoscaling/v2", since: 23},
	{apiVersion: "policy/v1beta1", kinds: []string{"PodDisruptionBudget"}, removedIn: 25, replacement: "policy/v1", since: 21},
	{apiVersion: "policy/v1beta1", kinds: []string{"PodSecurityPolicy"}, removedIn: pspRemovedIn,
		instead: "enforce Pod Security Admission namespace labels and, for finer policy, an admission webhook or ValidatingAdmissionPolicy"},
	{apiVersion: "node.k8s.io/v1beta1", kinds: []string{"RuntimeClass"}, removedIn: 25, replacement: "node.k8s.io/v1", since: 20, sameSchema: true},

	// v1.26
	{apiVersion: "flowcontrol.apiserver.k8s.io/v1beta1", removedIn: 26, replacement: "flowcontrol.apiserver.k8s.io/v1beta2", since: 23, sameSchema: true},
	{apiVersion: "autoscaling/v2beta2", kinds: []string{"HorizontalPodAutoscaler"}, removedIn: 26, replacement: "autoscaling/v2", since: 23},

	// v1.27
	{apiVersion: "storage.k8s.io/v1beta1", kinds: []string{"CSIStorageCapacity"}, removedIn: 27, replacement: "storage.k8s.io/v1", since: 24, sameSchema: true},

	// v1.29: v1beta3 renamed assuredConcurrencyShares.
	{apiVersion: "flowcontrol.apiserver.k8s.io/v1beta2", removedIn: 29, replacement: "flowcontrol.apiserver.k8s.io/v1beta3", since: 26},

	// v1.32: v1 no longer turns an explicit nominalConcurrencyShares of 0
	// into 30.
	{apiVersion: "flowcontrol.apiserver.k8s.io/v1beta3", removedIn: 32, replacement: "flowcontrol.apiserver.k8s.io/v1", since: 29},
}

// findRemoval returns the removal of kind in apiVersion, or nil.
func findRemoval(apiVersion, kind string) *removal {
	for i := range removals {
		r := &removals[i]
		if r.apiVersion == apiVersion && (r.kinds == nil || slices.Contains(r.kinds, kind)) {
			return r
		}
	}
	return nil
}

// migration is where an object of a removed API version can go.
type migration struct {
	// apiVersion is the newest replacement the target release serves, or
	// empty when it serves none.
	apiVersion string
	since      int
	// sameSchema says that changing apiVersion is the whole migration.
	sameSchema bool
	// instead says what to use when no replacement is served.
	instead string
}

// migrationFor follows the chain of replacements of kind from r (a
// replacement may itself be removed later, as flowcontrol's v1beta1, v1beta2
// and v1beta3 were) and returns the last one served by target.
func (r *removal) migrationFor(kind string, target int) migration {
	var m migration
	same := true
	cur := r
	for cur.replacement != "" {
		same = same && cur.sameSchema
		next := findRemoval(cur.replacement, kind)
		if cur.since <= target && (next == nil || target < next.removedIn) {
			m = migration{apiVersion: cur.replacement, since: cur.since, sameSchema: same}
		}
		if next == nil {
			break
		}
		cur = next
	}
	if m.apiVersion == "" {
		m.instead = cur.instead
	}
	return m
}
