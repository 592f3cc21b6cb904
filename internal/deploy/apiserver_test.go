package deploy_test

import (
	"context"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/palisade-dev/palisade/internal/deploy"
	"github.com/palisade-dev/palisade/test/apiserver"
)

// TestAPIServerAcceptsObjects sends every object of `palisade webhook
// manifests` to a real API server as a server-side dry run, so that the
// server validates them without storing them (nothing of the cluster-wide
// webhooks is left behind). The namespace and ServiceAccount are created
// for real, since the others need them; a pod made from the Deployment's
// template is dry-run too, which Pod Security admission checks against
// the namespace's enforce=restricted label.
func TestAPIServerAcceptsObjects(t *testing.T) {
	srv := apiserver.Shared(t)
	cs := srv.Client()
	ctx := context.Background()
	dry := metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}

	labels := map[string]string{}
	ns := srv.Namespace(t, "palisade-webhook", labels)
	bundle, err := deploy.GenerateCerts(deploy.CertOptions{DNSNames: deploy.DNSNames(deploy.Name, ns), Now: time.Now(), CAValidity: time.Hour, Validity: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	objs, err := deploy.Objects(deploy.Options{Namespace: ns, Image: deploy.DefaultImage("v1.0.0"), Mutating: true, TLS: deploy.TLS{Bundle: bundle}})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		var err error
		switch o := o.(type) {
		case *corev1.Namespace:
			// Apply the generated labels to the namespace the harness
			// made, and dry-run the object itself under another name.
			got, gerr := cs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
			if gerr != nil {
				t.Fatal(gerr)
			}
			got.Labels = o.Labels
			if _, err := cs.CoreV1().Namespaces().Update(ctx, got, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
			c := o.DeepCopy()
			c.Name = ns + "-copy"
			_, err = cs.CoreV1().Namespaces().Create(ctx, c, dry)
		case *corev1.ServiceAccount:
			_, err = cs.CoreV1().ServiceAccounts(ns).Create(ctx, o, metav1.CreateOptions{})
		case *rbacv1.ClusterRole:
			_, err = cs.RbacV1().ClusterRoles().Create(ctx, o, dry)
		case *rbacv1.ClusterRoleBinding:
			_, err = cs.RbacV1().ClusterRoleBindings().Create(ctx, o, dry)
		case *corev1.ConfigMap:
			_, err = cs.CoreV1().ConfigMaps(ns).Create(ctx, o, dry)
		case *corev1.Secret:
			_, err = cs.CoreV1().Secrets(ns).Create(ctx, o, dry)
		case *networkingv1.NetworkPolicy:
			_, err = cs.NetworkingV1().NetworkPolicies(ns).Create(ctx, o, dry)
		case *corev1.Service:
			_, err = cs.CoreV1().Services(ns).Create(ctx, o, dry)
		case *appsv1.Deployment:
			if _, err = cs.AppsV1().Deployments(ns).Create(ctx, o, dry); err != nil {
				break
			}
			pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "webhook", Namespace: ns, Labels: o.Spec.Template.Labels}, Spec: o.Spec.Template.Spec}
			if _, err = cs.CoreV1().Pods(ns).Create(ctx, pod, dry); err != nil {
				break
			}
			// Pod Security admission is really checking: a weaker pod
			// is rejected.
			weak := pod.DeepCopy()
			weak.Spec.Containers[0].SecurityContext.AllowPrivilegeEscalation = nil
			if _, werr := cs.CoreV1().Pods(ns).Create(ctx, weak, dry); werr == nil {
				t.Error("a pod without allowPrivilegeEscalation=false was admitted: Pod Security admission is not enforcing restricted")
			}
		case *policyv1.PodDisruptionBudget:
			_, err = cs.PolicyV1().PodDisruptionBudgets(ns).Create(ctx, o, dry)
		case *admissionregistrationv1.ValidatingWebhookConfiguration:
			_, err = cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, o, dry)
		case *admissionregistrationv1.MutatingWebhookConfiguration:
			_, err = cs.AdmissionregistrationV1().MutatingWebhookConfigurations().Create(ctx, o, dry)
		default:
			t.Errorf("no dry run for %T", o)
		}
		if err != nil {
			t.Errorf("%T: %v", o, err)
		}
	}
}
