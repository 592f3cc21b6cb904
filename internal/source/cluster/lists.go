package cluster

import (
	"context"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// The typed List calls of Resources, one per kind.
var (
	listNamespaces = page[*corev1.NamespaceList, corev1.Namespace](
		func(ctx context.Context, cs kubernetes.Interface, _ string, lo metav1.ListOptions) (*corev1.NamespaceList, error) {
			return cs.CoreV1().Namespaces().List(ctx, lo)
		},
		func(l *corev1.NamespaceList) []corev1.Namespace { return l.Items })
	listNodes = page[*corev1.NodeList, corev1.Node](
		func(ctx context.Context, cs kubernetes.Interface, _ string, lo metav1.ListOptions) (*corev1.NodeList, error) {
			return cs.CoreV1().Nodes().List(ctx, lo)
		},
		func(l *corev1.NodeList) []corev1.Node { return l.Items })
	listClusterRoles = page[*rbacv1.ClusterRoleList, rbacv1.ClusterRole](
		func(ctx context.Context, cs kubernetes.Interface, _ string, lo metav1.ListOptions) (*rbacv1.ClusterRoleList, error) {
			return cs.RbacV1().ClusterRoles().List(ctx, lo)
		},
		func(l *rbacv1.ClusterRoleList) []rbacv1.ClusterRole { return l.Items })
	listClusterRoleBindings = page[*rbacv1.ClusterRoleBindingList, rbacv1.ClusterRoleBinding](
		func(ctx context.Context, cs kubernetes.Interface, _ string, lo metav1.ListOptions) (*rbacv1.ClusterRoleBindingList, error) {
			return cs.RbacV1().ClusterRoleBindings().List(ctx, lo)
		},
		func(l *rbacv1.ClusterRoleBindingList) []rbacv1.ClusterRoleBinding { return l.Items })
	listValidatingWebhooks = page[*admissionregistrationv1.ValidatingWebhookConfigurationList, admissionregistrationv1.ValidatingWebhookConfiguration](
		func(ctx context.Context, cs kubernetes.Interface, _ string, lo metav1.ListOptions) (*admissionregistrationv1.ValidatingWebhookConfigurationList, error) {
			return cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().List(ctx, lo)
		},
		func(l *admissionregistrationv1.ValidatingWebhookConfigurationList) []admissionregistrationv1.ValidatingWebhookConfiguration {
			return l.Items
		})
	listMutatingWebhooks = page[*admissionregistrationv1.MutatingWebhookConfigurationList, admissionregistrationv1.MutatingWebhookConfiguration](
		func(ctx context.Context, cs kubernetes.Interface, _ string, lo metav1.ListOptions) (*admissionregistrationv1.MutatingWebhookConfigurationList, error) {
			return cs.AdmissionregistrationV1().MutatingWebhookConfigurations().List(ctx, lo)
		},
		func(l *admissionregistrationv1.MutatingWebhookConfigurationList) []admissionregistrationv1.MutatingWebhookConfiguration {
			return l.Items
		})
	listRoles = page[*rbacv1.RoleList, rbacv1.Role](
		func(ctx context.Context, cs kubernetes.Interface, ns string, lo metav1.ListOptions) (*rbacv1.RoleList, error) {
			return cs.RbacV1().Roles(ns).List(ctx, lo)
		},
		func(l *rbacv1.RoleList) []rbacv1.Role { return l.Items })
	listRoleBindings = page[*rbacv1.RoleBindingList, rbacv1.RoleBinding](
		func(ctx context.Context, cs kubernetes.Interface, ns string, lo metav1.ListOptions) (*rbacv1.RoleBindingList, error) {
			return cs.RbacV1().RoleBindings(ns).List(ctx, lo)
		},
		func(l *rbacv1.RoleBindingList) []rbacv1.RoleBinding { return l.Items })
	listServiceAccounts = page[*corev1.ServiceAccountList, corev1.ServiceAccount](
		func(ctx context.Context, cs kubernetes.Interface, ns string, lo metav1.ListOptions) (*corev1.ServiceAccountList, error) {
			return cs.CoreV1().ServiceAccounts(ns).List(ctx, lo)
		},
		func(l *corev1.ServiceAccountList) []corev1.ServiceAccount { return l.Items })
	listConfigMaps = page[*corev1.ConfigMapList, corev1.ConfigMap](
		func(ctx context.Context, cs kubernetes.Interface, ns string, lo metav1.ListOptions) (*corev1.ConfigMapList, error) {
			return cs.CoreV1().ConfigMaps(ns).List(ctx, lo)
		},
		func(l *corev1.ConfigMapList) []corev1.ConfigMap { return l.Items })
	listLimitRanges = page[*corev1.LimitRangeList, corev1.LimitRange](
		func(ctx context.Context, cs kubernetes.Interface, ns string, lo metav1.ListOptions) (*corev1.LimitRangeList, error) {
			return cs.CoreV1().LimitRanges(ns).List(ctx, lo)
		},
		func(l *corev1.LimitRangeList) []corev1.LimitRange { return l.Items })
	listServices = page[*corev1.ServiceList, corev1.Service](
		func(ctx context.Context, cs kubernetes.Interface, ns string, lo metav1.ListOptions) (*corev1.ServiceList, error) {
			return cs.CoreV1().Services(ns).List(ctx, lo)
		},
		func(l *corev1.ServiceList) []corev1.Service { return l.Items })
	listIngresses = page[*networkingv1.IngressList, networkingv1.Ingress](
		func(ctx context.Context, cs kubernetes.Interface, ns string, lo metav1.ListOptions) (*networkingv1.IngressList, error) {
			return cs.NetworkingV1().Ingresses(ns).List(ctx, lo)
		},
		func(l *networkingv1.IngressList) []networkingv1.Ingress { return l.Items })
	listNetworkPolicies = page[*networkingv1.NetworkPolicyList, networkingv1.NetworkPolicy](
		func(ctx context.Context, cs kubernetes.Interface, ns string, lo metav1.ListOptions) (*networkingv1.NetworkPolicyList, error) {
			return cs.NetworkingV1().NetworkPolicies(ns).List(ctx, lo)
		},
		func(l *networkingv1.NetworkPolicyList) []networkingv1.NetworkPolicy { return l.Items })
	listDeployments = page[*appsv1.DeploymentList, appsv1.Deployment](
		func(ctx context.Context, cs kubernetes.Interface, ns string, lo metav1.ListOptions) (*appsv1.DeploymentList, error) {
			return cs.AppsV1().Deployments(ns).List(ctx, lo)
		},
		func(l *appsv1.DeploymentList) []appsv1.Deployment { return l.Items })
	listStatefulSets = page[*appsv1.StatefulSetList, appsv1.StatefulSet](
		func(ctx context.Context, cs kubernetes.Interface, ns string, lo metav1.ListOptions) (*appsv1.StatefulSetList, error) {
			return cs.AppsV1().StatefulSets(ns).List(ctx, lo)
		},
		func(l *appsv1.StatefulSetList) []appsv1.StatefulSet { return l.Items })
	listDaemonSets = page[*appsv1.DaemonSetList, appsv1.DaemonSet](
		func(ctx context.Context, cs kubernetes.Interface, ns string, lo metav1.ListOptions) (*appsv1.DaemonSetList, error) {
			return cs.AppsV1().DaemonSets(ns).List(ctx, lo)
		},
		func(l *appsv1.DaemonSetList) []appsv1.DaemonSet { return l.Items })
	listCronJobs = page[*batchv1.CronJobList, batchv1.CronJob](
		func(ctx context.Context, cs kubernetes.Interface, ns string, lo metav1.ListOptions) (*batchv1.CronJobList, error) {
			return cs.BatchV1().CronJobs(ns).List(ctx, lo)
		},
		func(l *batchv1.CronJobList) []batchv1.CronJob { return l.Items })
	listReplicationControllers = page[*corev1.ReplicationControllerList, corev1.ReplicationController](
		func(ctx context.Context, cs kubernetes.Interface, ns string, lo metav1.ListOptions) (*corev1.ReplicationControllerList, error) {
			return cs.CoreV1().ReplicationControllers(ns).List(ctx, lo)
		},
		func(l *corev1.ReplicationControllerList) []corev1.ReplicationController { return l.Items })
	listReplicaSets = page[*appsv1.ReplicaSetList, appsv1.ReplicaSet](
		func(ctx context.Context, cs kubernetes.Interface, ns string, lo metav1.ListOptions) (*appsv1.ReplicaSetList, error) {
			return cs.AppsV1().ReplicaSets(ns).List(ctx, lo)
		},
		func(l *appsv1.ReplicaSetList) []appsv1.ReplicaSet { return l.Items })
	listJobs = page[*batchv1.JobList, batchv1.Job](
		func(ctx context.Context, cs kubernetes.Interface, ns string, lo metav1.ListOptions) (*batchv1.JobList, error) {
			return cs.BatchV1().Jobs(ns).List(ctx, lo)
		},
		func(l *batchv1.JobList) []batchv1.Job { return l.Items })
	listPods = page[*corev1.PodList, corev1.Pod](
		func(ctx context.Context, cs kubernetes.Interface, ns string, lo metav1.ListOptions) (*corev1.PodList, error) {
			return cs.CoreV1().Pods(ns).List(ctx, lo)
		},
		func(l *corev1.PodList) []corev1.Pod { return l.Items })
)
