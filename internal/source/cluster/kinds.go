package cluster

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
)

// Resource is one kind the scanner lists.
type Resource struct {
	// Group and Resource name it as RBAC does ("" and "pods").
	Group, Resource string
	// Kind is its kind, for messages.
	Kind       string
	Namespaced bool
	// Workload kinds honor the label selector on the server, which
	// keeps a selective scan of a large cluster small; other kinds are
	// read in full because checks need them as context (the
	// NetworkPolicies of a namespace, the bindings of a service account).
	Workload bool
	// MetadataOnly kinds are read without their contents (Secrets).
	MetadataOnly bool
	// Custom kinds come from custom resource definitions that a cluster
	// may not have (Istio's): they are read through the dynamic client in
	// the version the cluster prefers, and only when discovery shows the
	// group is served, so a cluster without them gets no note.
	Custom bool

	list listFunc
}

// String names the resource as RBAC does: "pods", "deployments.apps".
func (r Resource) String() string {
	if r.Group == "" {
		return r.Resource
	}
	return r.Resource + "." + r.Group
}

// listFunc lists one page of a kind in one namespace ("" for all
// namespaces or a cluster-scoped kind) and returns the items and the
// continue token.
type listFunc func(ctx context.Context, cs kubernetes.Interface, ns string, lo metav1.ListOptions) ([]runtime.Object, string, error)

// page adapts a typed List call.
func page[L interface{ GetContinue() string }, T any, PT interface {
	*T
	runtime.Object
}](list func(context.Context, kubernetes.Interface, string, metav1.ListOptions) (L, error), items func(L) []T) listFunc {
	return func(ctx context.Context, cs kubernetes.Interface, ns string, lo metav1.ListOptions) ([]runtime.Object, string, error) {
		l, err := list(ctx, cs, ns, lo)
		if err != nil {
			return nil, "", err
		}
		its := items(l)
		out := make([]runtime.Object, len(its))
		for i := range its {
			out[i] = PT(&its[i])
		}
		return out, l.GetContinue(), nil
	}
}

// Resources are the kinds the scanner lists, in the order it lists them:
// controllers before the ReplicaSets, Jobs and Pods they own, so that an
// owned object can be recognized and reported once, on its controller.
// deploy/rbac/palisade-scanner.yaml grants exactly get, list and watch on
// these (a test checks).
var Resources = []Resource{
	{Group: "", Resource: "namespaces", Kind: "Namespace", list: listNamespaces},
	{Group: "", Resource: "nodes", Kind: "Node", list: listNodes},
	{Group: "rbac.authorization.k8s.io", Resource: "clusterroles", Kind: "ClusterRole", list: listClusterRoles},
	{Group: "rbac.authorization.k8s.io", Resource: "clusterrolebindings", Kind: "ClusterRoleBinding", list: listClusterRoleBindings},
	{Group: "admissionregistration.k8s.io", Resource: "validatingwebhookconfigurations", Kind: "ValidatingWebhookConfiguration", list: listValidatingWebhooks},
	{Group: "admissionregistration.k8s.io", Resource: "mutatingwebhookconfigurations", Kind: "MutatingWebhookConfiguration", list: listMutatingWebhooks},
	{Group: "rbac.authorization.k8s.io", Resource: "roles", Kind: "Role", Namespaced: true, list: listRoles},
	{Group: "rbac.authorization.k8s.io", Resource: "rolebindings", Kind: "RoleBinding", Namespaced: true, list: listRoleBindings},
	{Group: "", Resource: "serviceaccounts", Kind: "ServiceAccount", Namespaced: true, list: listServiceAccounts},
	{Group: "", Resource: "secrets", Kind: "Secret", Namespaced: true, MetadataOnly: true},
	{Group: "", Resource: "configmaps", Kind: "ConfigMap", Namespaced: true, list: listConfigMaps},
	{Group: "", Resource: "limitranges", Kind: "LimitRange", Namespaced: true, list: listLimitRanges},
	{Group: "", Resource: "services", Kind: "Service", Namespaced: true, list: listServices},
	{Group: "networking.k8s.io", Resource: "ingresses", Kind: "Ingress", Namespaced: true, list: listIngresses},
	{Group: "networking.k8s.io", Resource: "networkpolicies", Kind: "NetworkPolicy", Namespaced: true, list: listNetworkPolicies},
	{Group: "security.istio.io", Resource: "authorizationpolicies", Kind: "AuthorizationPolicy", Namespaced: true, Custom: true},
	{Group: "security.istio.io", Resource: "peerauthentications", Kind: "PeerAuthentication", Namespaced: true, Custom: true},
	{Group: "apps", Resource: "deployments", Kind: "Deployment", Namespaced: true, Workload: true, list: listDeployments},
	{Group: "apps", Resource: "statefulsets", Kind: "StatefulSet", Namespaced: true, Workload: true, list: listStatefulSets},
	{Group: "apps", Resource: "daemonsets", Kind: "DaemonSet", Namespaced: true, Workload: true, list: listDaemonSets},
	{Group: "batch", Resource: "cronjobs", Kind: "CronJob", Namespaced: true, Workload: true, list: listCronJobs},
	{Group: "", Resource: "replicationcontrollers", Kind: "ReplicationController", Namespaced: true, Workload: true, list: listReplicationControllers},
	{Group: "apps", Resource: "replicasets", Kind: "ReplicaSet", Namespaced: true, Workload: true, list: listReplicaSets},
	{Group: "batch", Resource: "jobs", Kind: "Job", Namespaced: true, Workload: true, list: listJobs},
	{Group: "", Resource: "pods", Kind: "Pod", Namespaced: true, Workload: true, list: listPods},
}
