// Package deploy builds the Kubernetes objects that run `palisade webhook`,
// Palisade's admission controller, in a cluster: its namespace, identity
// and RBAC, policy ConfigMap, Deployment, disruption budget, Service,
// NetworkPolicies and the validating and mutating webhook configurations.
//
// It is the one source of truth for how the webhook is deployed. `palisade
// webhook manifests` prints its objects with a freshly generated TLS
// certificate (see GenerateCerts), and the kustomize base in deploy/webhook
// is generated from it with cert-manager providing the certificate (go
// generate ./internal/deploy; a test fails when the checked-in files are
// stale). The Helm chart in deploy/helm/palisade-webhook is written by hand
// from the same settings, and its tests hold it to the same scan.
//
// Every object passes Palisade's own scan at Pod Security level restricted;
// the one suppression it may carry is image-not-pinned, on a Deployment
// whose image has no digest (see Options.Image).
package deploy

//go:generate go run ./gen ../../deploy/webhook

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Names and paths shared by the objects, the kustomize base and the Helm
// chart (whose templates spell them out again; its tests compare).
const (
	// DefaultNamespace is the namespace the webhook is installed in.
	DefaultNamespace = "palisade-system"
	// Name names the ServiceAccount, ClusterRole(Binding), Deployment,
	// PodDisruptionBudget, Service and both webhook configurations.
	Name = "palisade-webhook"
	// PolicyConfigMap is the ConfigMap holding the admission policy.
	PolicyConfigMap = Name + "-policy"
	// TLSSecret is the kubernetes.io/tls Secret with the serving
	// certificate, its key and the CA (ca.crt).
	TLSSecret = Name + "-tls"
	// DefaultImageRepository is where release images are published.
	DefaultImageRepository = "ghcr.io/palisade-dev/palisade"

	// ValidatingWebhookName and MutatingWebhookName name the webhooks
	// inside their configurations.
	ValidatingWebhookName = "validate.webhook.palisade.dev"
	MutatingWebhookName   = "mutate.webhook.palisade.dev"

	// WebhookPort is the container port of the HTTPS admission server;
	// the Service exposes it on ServicePort.
	WebhookPort = 8443
	ServicePort = 443
	// ProbePort serves /healthz, /readyz and /metrics over plain HTTP.
	ProbePort = 8080

	// RunAsID is the user and group the container runs as.
	RunAsID = 65532

	tlsDir        = "/etc/palisade/tls"
	policyDir     = "/etc/palisade/policy"
	policyFile    = "policy.yaml"
	saTokenDir    = "/var/run/secrets/kubernetes.io/serviceaccount" //nolint:gosec // a mount path, not a credential
	saTokenExpiry = 3607                                            // seconds; what the API server's own projected volume asks for
)

// DefaultPolicy is the admission policy the ConfigMap holds unless told
// otherwise.
const DefaultPolicy = `apiVersion: palisade.dev/v1alpha1
kind: AdmissionPolicy
defaults:
  mode: enforce        # enforce | warn | audit
  pss: {level: restricted, version: latest}
  denyAt: high         # lowest severity that denies in enforce mode
exemptions:
  - namespaces: [kube-system]
    reason: system components are managed by the platform
`

// TLS says where the webhook's serving certificate comes from. Exactly one
// of CertManager and Bundle must be set.
type TLS struct {
	// CertManager has cert-manager issue the certificate: a self-signed
	// Issuer and a Certificate writing the TLS Secret, and the
	// cert-manager.io/inject-ca-from annotation on the webhook
	// configurations so that its CA injector fills in caBundle.
	CertManager bool
	// Bundle is a certificate generated or loaded by the caller: it is
	// written into the TLS Secret and its CA inlined as caBundle.
	Bundle *Bundle
}

// Options describe one installation. Zero values take the defaults
// documented on each field; Objects validates the result.
type Options struct {
	// Namespace is where the namespaced objects go and which the webhooks
	// exclude, with kube-system. Default DefaultNamespace. The namespace
	// should be dedicated to the webhook: its default-deny NetworkPolicy
	// applies to every pod in it.
	Namespace string
	// Image is the container image and must be set, usually to
	// DefaultImage(version). An image pinned by digest
	// (name:tag@sha256:...) is pulled IfNotPresent; one referenced by tag
	// only is pulled Always and the Deployment carries an
	// image-not-pinned suppression saying why.
	Image string
	// Replicas is the Deployment's replica count. Default 2; with one the
	// PodDisruptionBudget (minAvailable 1) blocks node drains.
	Replicas int32
	// FailurePolicy is Fail (default) or Ignore.
	FailurePolicy admissionregistrationv1.FailurePolicyType
	// TimeoutSeconds bounds each admission call: 1 to 30, default 5.
	TimeoutSeconds int32
	// Mutating adds the MutatingWebhookConfiguration.
	Mutating bool
	// Policy is the content of policy.yaml. Default DefaultPolicy.
	Policy string
	// TLS must be set.
	TLS TLS
}

// DefaultImage is the release image of a Palisade version.
func DefaultImage(version string) string { return DefaultImageRepository + ":" + version }

// Defaults for Options.
const (
	DefaultReplicas       = 2
	DefaultTimeoutSeconds = 5
)

// withDefaults returns o with its zero values replaced by the defaults.
func (o Options) withDefaults() Options {
	if o.Namespace == "" {
		o.Namespace = DefaultNamespace
	}
	if o.Replicas == 0 {
		o.Replicas = DefaultReplicas
	}
	if o.FailurePolicy == "" {
		o.FailurePolicy = admissionregistrationv1.Fail
	}
	if o.TimeoutSeconds == 0 {
		o.TimeoutSeconds = DefaultTimeoutSeconds
	}
	if o.Policy == "" {
		o.Policy = DefaultPolicy
	}
	return o
}

func (o Options) validate() error {
	var errs []error
	if msgs := validation.IsDNS1123Label(o.Namespace); len(msgs) > 0 {
		errs = append(errs, fmt.Errorf("namespace %q: %s", o.Namespace, strings.Join(msgs, "; ")))
	}
	if o.Image == "" {
		errs = append(errs, errors.New("an image is required"))
	} else if strings.ContainsAny(o.Image, " \t\n") {
		errs = append(errs, fmt.Errorf("image %q contains white space", o.Image))
	}
	if o.Replicas < 1 {
		errs = append(errs, fmt.Errorf("replicas must be at least 1, not %d", o.Replicas))
	}
	if o.FailurePolicy != admissionregistrationv1.Fail && o.FailurePolicy != admissionregistrationv1.Ignore {
		errs = append(errs, fmt.Errorf("failure policy must be Fail or Ignore, not %q", o.FailurePolicy))
	}
	if o.TimeoutSeconds < 1 || o.TimeoutSeconds > 30 {
		errs = append(errs, fmt.Errorf("timeout must be between 1 and 30 seconds, not %d", o.TimeoutSeconds))
	}
	if o.TLS.CertManager == (o.TLS.Bundle != nil) {
		errs = append(errs, errors.New("TLS needs exactly one of cert-manager or a certificate bundle"))
	}
	return errors.Join(errs...)
}

// ExcludedNamespaces are the namespaces the webhooks never see: kube-system
// and the webhook's own, so that it can always be repaired and never has
// to admit its own pods.
func ExcludedNamespaces(namespace string) []string {
	if namespace == "" {
		namespace = DefaultNamespace
	}
	if namespace == "kube-system" {
		return []string{"kube-system"}
	}
	return []string{"kube-system", namespace}
}

// Resource is one rule of the webhook configurations: a group, its version
// and the resources of it the webhooks are called for.
type Resource struct {
	Group, Version string
	Resources      []string
}

// Resources are what the webhooks are called for, on CREATE and UPDATE.
// With matchPolicy Equivalent the API server also calls them for other
// versions of the same resources, converted to these.
var Resources = []Resource{
	// pods/ephemeralcontainers: `kubectl debug` adds containers to running
	// pods through it, and they can be as privileged as any container.
	{Group: "", Version: "v1", Resources: []string{"pods", "pods/ephemeralcontainers", "replicationcontrollers", "services"}},
	{Group: "apps", Version: "v1", Resources: []string{"daemonsets", "deployments", "replicasets", "statefulsets"}},
	{Group: "batch", Version: "v1", Resources: []string{"cronjobs", "jobs"}},
	{Group: "networking.k8s.io", Version: "v1", Resources: []string{"ingresses", "networkpolicies"}},
	{Group: "rbac.authorization.k8s.io", Version: "v1", Resources: []string{"clusterrolebindings", "clusterroles", "rolebindings", "roles"}},
}

// Labels are the labels of every object; SelectorLabels select the pods.
func Labels() map[string]string {
	return map[string]string{
		"app.kubernetes.io/name":      Name,
		"app.kubernetes.io/part-of":   "palisade",
		"app.kubernetes.io/component": "admission-webhook",
	}
}

// SelectorLabels select the webhook's pods.
func SelectorLabels() map[string]string {
	return map[string]string{"app.kubernetes.io/name": Name}
}

// Objects returns the objects of an installation in the order they should
// be applied: namespace first, webhook configurations last, so that the
// webhooks are registered only once the service behind them exists. The
// objects are typed k8s.io/api values, except cert-manager's, which are
// *unstructured-style maps (map[string]any).
func Objects(o Options) ([]any, error) {
	o = o.withDefaults()
	if err := o.validate(); err != nil {
		return nil, err
	}
	objs := []any{
		namespace(o),
		serviceAccount(o),
		clusterRole(),
		clusterRoleBinding(o),
		policyConfigMap(o),
	}
	if o.TLS.CertManager {
		objs = append(objs, issuer(o), certificate(o))
	} else {
		objs = append(objs, tlsSecret(o))
	}
	objs = append(objs,
		defaultDenyPolicy(o),
		networkPolicy(o),
		service(o),
		deployment(o),
		podDisruptionBudget(o),
		validatingWebhook(o),
	)
	if o.Mutating {
		objs = append(objs, mutatingWebhook(o))
	}
	return objs, nil
}

func meta(name, namespace string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: namespace, Labels: Labels()}
}

func namespace(o Options) *corev1.Namespace {
	m := meta(o.Namespace, "")
	m.Labels["pod-security.kubernetes.io/enforce"] = "restricted"
	m.Labels["pod-security.kubernetes.io/enforce-version"] = "latest"
	return &corev1.Namespace{TypeMeta: typeMeta("v1", "Namespace"), ObjectMeta: m}
}

func serviceAccount(o Options) *corev1.ServiceAccount {
	return &corev1.ServiceAccount{
		TypeMeta:   typeMeta("v1", "ServiceAccount"),
		ObjectMeta: meta(Name, o.Namespace),
		// Pods get the token through the projected volume of the
		// Deployment, mounted only where it is used.
		AutomountServiceAccountToken: ptr(false),
	}
}

func clusterRole() *rbacv1.ClusterRole {
	return &rbacv1.ClusterRole{
		TypeMeta:   typeMeta("rbac.authorization.k8s.io/v1", "ClusterRole"),
		ObjectMeta: meta(Name, ""),
		Rules: []rbacv1.PolicyRule{{
			APIGroups: []string{""},
			Resources: []string{"namespaces"},
			Verbs:     []string{"get", "list", "watch"},
		}},
	}
}

func clusterRoleBinding(o Options) *rbacv1.ClusterRoleBinding {
	return &rbacv1.ClusterRoleBinding{
		TypeMeta:   typeMeta("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
		ObjectMeta: meta(Name, ""),
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: Name},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: Name, Namespace: o.Namespace}},
	}
}

func policyConfigMap(o Options) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		TypeMeta:   typeMeta("v1", "ConfigMap"),
		ObjectMeta: meta(PolicyConfigMap, o.Namespace),
		Data:       map[string]string{policyFile: o.Policy},
	}
}

func tlsSecret(o Options) *corev1.Secret {
	return &corev1.Secret{
		TypeMeta:   typeMeta("v1", "Secret"),
		ObjectMeta: meta(TLSSecret, o.Namespace),
		Type:       corev1.SecretTypeTLS,
		Data: map[string][]byte{
			corev1.TLSCertKey:       o.TLS.Bundle.Cert,
			corev1.TLSPrivateKeyKey: o.TLS.Bundle.Key,
			"ca.crt":                o.TLS.Bundle.CA,
		},
	}
}

// issuerName is the self-signed cert-manager Issuer.
const issuerName = Name + "-selfsigned"

func issuer(o Options) map[string]any {
	return map[string]any{
		"apiVersion": "cert-manager.io/v1",
		"kind":       "Issuer",
		"metadata":   unstructuredMeta(issuerName, o.Namespace),
		"spec":       map[string]any{"selfSigned": map[string]any{}},
	}
}

func certificate(o Options) map[string]any {
	names := DNSNames(Name, o.Namespace)
	dns := make([]any, len(names))
	for i, n := range names {
		dns[i] = n
	}
	return map[string]any{
		"apiVersion": "cert-manager.io/v1",
		"kind":       "Certificate",
		"metadata":   unstructuredMeta(TLSSecret, o.Namespace),
		"spec": map[string]any{
			"secretName":  TLSSecret,
			"commonName":  names[0],
			"dnsNames":    dns,
			"duration":    "8760h",
			"renewBefore": "720h",
			"privateKey": map[string]any{
				"algorithm":      "ECDSA",
				"size":           int64(256),
				"rotationPolicy": "Always",
			},
			"usages":    []any{"server auth", "digital signature", "key encipherment"},
			"issuerRef": map[string]any{"kind": "Issuer", "name": issuerName, "group": "cert-manager.io"},
		},
	}
}

func unstructuredMeta(name, namespace string) map[string]any {
	labels := map[string]any{}
	for k, v := range Labels() {
		labels[k] = v
	}
	return map[string]any{"name": name, "namespace": namespace, "labels": labels}
}

// defaultDenyPolicy denies all traffic to and from the namespace's pods but
// what other policies allow.
func defaultDenyPolicy(o Options) *networkingv1.NetworkPolicy {
	return &networkingv1.NetworkPolicy{
		TypeMeta:   typeMeta("networking.k8s.io/v1", "NetworkPolicy"),
		ObjectMeta: meta("default-deny", o.Namespace),
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress},
		},
	}
}

// APIServerPorts are the ports the webhook may connect to: the API
// server's Service port and the port kube-apiserver listens on, which is
// what NetworkPolicies see after the Service address is translated.
var APIServerPorts = []int32{443, 6443}

// networkPolicy lets the API server (and kubelet probes and Prometheus)
// reach the webhook, and the webhook reach the API server and DNS. The
// API server's address is not known in advance, so egress is by port; the
// instance metadata service is excepted all the same.
func networkPolicy(o Options) *networkingv1.NetworkPolicy {
	tcp, udp := corev1.ProtocolTCP, corev1.ProtocolUDP
	port := func(proto corev1.Protocol, p int32) networkingv1.NetworkPolicyPort {
		v := intstr.FromInt32(p)
		return networkingv1.NetworkPolicyPort{Protocol: &proto, Port: &v}
	}
	var apiPorts []networkingv1.NetworkPolicyPort
	for _, p := range APIServerPorts {
		apiPorts = append(apiPorts, port(tcp, p))
	}
	return &networkingv1.NetworkPolicy{
		TypeMeta:   typeMeta("networking.k8s.io/v1", "NetworkPolicy"),
		ObjectMeta: meta(Name, o.Namespace),
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: SelectorLabels()},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{
				// The API server calls the webhook from wherever it
				// runs, often outside the pod network.
				Ports: []networkingv1.NetworkPolicyPort{port(tcp, WebhookPort), port(tcp, ProbePort)},
			}},
			Egress: []networkingv1.NetworkPolicyEgressRule{
				{
					To: []networkingv1.NetworkPolicyPeer{
						{IPBlock: &networkingv1.IPBlock{CIDR: "0.0.0.0/0", Except: []string{"169.254.169.254/32"}}},
						{IPBlock: &networkingv1.IPBlock{CIDR: "::/0", Except: []string{"fd00:ec2::254/128"}}},
					},
					Ports: apiPorts,
				},
				{
					To: []networkingv1.NetworkPolicyPeer{{
						NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": "kube-system"}},
						PodSelector:       &metav1.LabelSelector{MatchLabels: map[string]string{"k8s-app": "kube-dns"}},
					}},
					Ports: []networkingv1.NetworkPolicyPort{port(udp, 53), port(tcp, 53)},
				},
			},
		},
	}
}

func service(o Options) *corev1.Service {
	return &corev1.Service{
		TypeMeta:   typeMeta("v1", "Service"),
		ObjectMeta: meta(Name, o.Namespace),
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceTypeClusterIP,
			Selector: SelectorLabels(),
			Ports: []corev1.ServicePort{{
				Name:       "https",
				Protocol:   corev1.ProtocolTCP,
				Port:       ServicePort,
				TargetPort: intstr.FromString("webhook"),
			}},
		},
	}
}

// Args are the container's arguments; the image's entrypoint is palisade.
func Args() []string {
	return []string{
		"webhook",
		fmt.Sprintf("--addr=:%d", WebhookPort),
		"--tls-cert-file=" + tlsDir + "/tls.crt",
		"--tls-key-file=" + tlsDir + "/tls.key",
		"--policy=" + policyDir + "/" + policyFile,
		fmt.Sprintf("--probe-addr=:%d", ProbePort),
	}
}

// NotPinnedReason is the value of the image-not-pinned suppression that a
// Deployment whose image has no digest carries. It must not contain a
// semicolon, which would start another setting.
const NotPinnedReason = "reason=release manifests name the image by version tag, so pin the digest of the release where it is known (--image name:tag@sha256:..., kustomize images[].digest, Helm image.digest)"

// Pinned reports whether image names a digest.
func Pinned(image string) bool { return strings.Contains(image, "@sha256:") }

func deployment(o Options) *appsv1.Deployment {
	m := meta(Name, o.Namespace)
	pull := corev1.PullIfNotPresent
	if !Pinned(o.Image) {
		// A tag can move: always ask the registry (image-pull-policy).
		pull = corev1.PullAlways
		m.Annotations = map[string]string{"ignore.palisade.dev/image-not-pinned": NotPinnedReason}
	}
	id := int64(RunAsID)
	podLabels := Labels()
	maxUnavailable, maxSurge := intstr.FromInt32(0), intstr.FromInt32(1)
	return &appsv1.Deployment{
		TypeMeta:   typeMeta("apps/v1", "Deployment"),
		ObjectMeta: m,
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr(o.Replicas),
			Selector: &metav1.LabelSelector{MatchLabels: SelectorLabels()},
			Strategy: appsv1.DeploymentStrategy{
				Type: appsv1.RollingUpdateDeploymentStrategyType,
				// Never fewer ready replicas than asked for while
				// rolling: every admission request needs one.
				RollingUpdate: &appsv1.RollingUpdateDeployment{MaxUnavailable: &maxUnavailable, MaxSurge: &maxSurge},
			},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: podLabels},
				Spec: corev1.PodSpec{
					ServiceAccountName:           Name,
					AutomountServiceAccountToken: ptr(false),
					EnableServiceLinks:           ptr(false),
					SecurityContext: &corev1.PodSecurityContext{
						RunAsNonRoot:   ptr(true),
						RunAsUser:      &id,
						RunAsGroup:     &id,
						FSGroup:        &id,
						SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
					},
					Affinity: &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
						PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{{
							Weight: 100,
							PodAffinityTerm: corev1.PodAffinityTerm{
								LabelSelector: &metav1.LabelSelector{MatchLabels: SelectorLabels()},
								TopologyKey:   corev1.LabelHostname,
							},
						}},
					}},
					TopologySpreadConstraints: []corev1.TopologySpreadConstraint{{
						MaxSkew:           1,
						TopologyKey:       corev1.LabelTopologyZone,
						WhenUnsatisfiable: corev1.ScheduleAnyway,
						LabelSelector:     &metav1.LabelSelector{MatchLabels: SelectorLabels()},
					}},
					Containers: []corev1.Container{{
						Name:            "webhook",
						Image:           o.Image,
						ImagePullPolicy: pull,
						Args:            Args(),
						// The Go runtime collects harder as memory nears
						// the container's limit instead of being killed,
						// and the webhook collects by a heap budget of a
						// third of the limit (--heap-target-mib).
						Env: []corev1.EnvVar{{Name: "GOMEMLIMIT", ValueFrom: &corev1.EnvVarSource{
							ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: "limits.memory"},
						}}},
						Ports: []corev1.ContainerPort{
							{Name: "webhook", ContainerPort: WebhookPort, Protocol: corev1.ProtocolTCP},
							{Name: "probes", ContainerPort: ProbePort, Protocol: corev1.ProtocolTCP},
						},
						ReadinessProbe: probe("/readyz", 3),
						LivenessProbe:  probe("/healthz", 6),
						Resources: corev1.ResourceRequirements{
							Requests: corev1.ResourceList{
								corev1.ResourceCPU: resource.MustParse("100m"),
								// About what a busy webhook holds: the 128 MiB
								// heap budget and the binary.
								corev1.ResourceMemory: resource.MustParse("192Mi"),
							},
							Limits: corev1.ResourceList{
								corev1.ResourceCPU:    resource.MustParse("1"),
								corev1.ResourceMemory: resource.MustParse("384Mi"),
							},
						},
						SecurityContext: &corev1.SecurityContext{
							RunAsNonRoot:             ptr(true),
							AllowPrivilegeEscalation: ptr(false),
							ReadOnlyRootFilesystem:   ptr(true),
							Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
							SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
						},
						VolumeMounts: []corev1.VolumeMount{
							{Name: "tls", MountPath: tlsDir, ReadOnly: true},
							{Name: "policy", MountPath: policyDir, ReadOnly: true},
							{Name: "kube-api-access", MountPath: saTokenDir, ReadOnly: true},
						},
					}},
					Volumes: []corev1.Volume{
						{Name: "tls", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
							SecretName: TLSSecret, DefaultMode: ptr(int32(0o440)),
						}}},
						{Name: "policy", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
							LocalObjectReference: corev1.LocalObjectReference{Name: PolicyConfigMap}, DefaultMode: ptr(int32(0o444)),
						}}},
						kubeAPIAccess(),
					},
				},
			},
		},
	}
}

// kubeAPIAccess is the volume the ServiceAccount admission plugin would
// add with automountServiceAccountToken: a short-lived, audience-bound
// token, the cluster's CA and the namespace, where client-go's in-cluster
// configuration looks for them. Declaring it keeps the token out of every
// container that does not mount it.
func kubeAPIAccess() corev1.Volume {
	return corev1.Volume{Name: "kube-api-access", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
		DefaultMode: ptr(int32(0o444)),
		Sources: []corev1.VolumeProjection{
			{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token", ExpirationSeconds: ptr(int64(saTokenExpiry))}},
			{ConfigMap: &corev1.ConfigMapProjection{
				LocalObjectReference: corev1.LocalObjectReference{Name: "kube-root-ca.crt"},
				Items:                []corev1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}},
			}},
			{DownwardAPI: &corev1.DownwardAPIProjection{Items: []corev1.DownwardAPIVolumeFile{{
				Path:     "namespace",
				FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.namespace"},
			}}}},
		},
	}}}
}

func probe(path string, failures int32) *corev1.Probe {
	return &corev1.Probe{
		ProbeHandler:     corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: path, Port: intstr.FromString("probes"), Scheme: corev1.URISchemeHTTP}},
		PeriodSeconds:    10,
		TimeoutSeconds:   2,
		FailureThreshold: failures,
	}
}

func podDisruptionBudget(o Options) *policyv1.PodDisruptionBudget {
	minAvailable := intstr.FromInt32(1)
	return &policyv1.PodDisruptionBudget{
		TypeMeta:   typeMeta("policy/v1", "PodDisruptionBudget"),
		ObjectMeta: meta(Name, o.Namespace),
		Spec: policyv1.PodDisruptionBudgetSpec{
			MinAvailable: &minAvailable,
			Selector:     &metav1.LabelSelector{MatchLabels: SelectorLabels()},
		},
	}
}

// webhookAnnotations are the annotations of both webhook configurations.
func webhookAnnotations(o Options) map[string]string {
	if !o.TLS.CertManager {
		return nil
	}
	return map[string]string{"cert-manager.io/inject-ca-from": o.Namespace + "/" + TLSSecret}
}

func caBundle(o Options) []byte {
	if o.TLS.Bundle == nil {
		return nil
	}
	return o.TLS.Bundle.CA
}

// NamespaceSelector selects every namespace but the excluded ones.
func NamespaceSelector(namespace string) *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{
		Key:      corev1.LabelMetadataName,
		Operator: metav1.LabelSelectorOpNotIn,
		Values:   ExcludedNamespaces(namespace),
	}}}
}

func rules() []admissionregistrationv1.RuleWithOperations {
	scope := admissionregistrationv1.AllScopes
	var out []admissionregistrationv1.RuleWithOperations
	for _, r := range Resources {
		out = append(out, admissionregistrationv1.RuleWithOperations{
			Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
			Rule: admissionregistrationv1.Rule{
				APIGroups:   []string{r.Group},
				APIVersions: []string{r.Version},
				Resources:   slices.Clone(r.Resources),
				Scope:       &scope,
			},
		})
	}
	return out
}

func clientConfig(o Options, path string) admissionregistrationv1.WebhookClientConfig {
	return admissionregistrationv1.WebhookClientConfig{
		Service:  &admissionregistrationv1.ServiceReference{Namespace: o.Namespace, Name: Name, Path: &path, Port: ptr(int32(ServicePort))},
		CABundle: caBundle(o),
	}
}

func validatingWebhook(o Options) *admissionregistrationv1.ValidatingWebhookConfiguration {
	m := meta(Name, "")
	m.Annotations = webhookAnnotations(o)
	return &admissionregistrationv1.ValidatingWebhookConfiguration{
		TypeMeta:   typeMeta("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration"),
		ObjectMeta: m,
		Webhooks: []admissionregistrationv1.ValidatingWebhook{{
			Name:                    ValidatingWebhookName,
			ClientConfig:            clientConfig(o, "/validate"),
			Rules:                   rules(),
			FailurePolicy:           ptr(o.FailurePolicy),
			MatchPolicy:             ptr(admissionregistrationv1.Equivalent),
			NamespaceSelector:       NamespaceSelector(o.Namespace),
			ObjectSelector:          &metav1.LabelSelector{},
			SideEffects:             ptr(admissionregistrationv1.SideEffectClassNone),
			TimeoutSeconds:          ptr(o.TimeoutSeconds),
			AdmissionReviewVersions: []string{"v1"},
		}},
	}
}

func mutatingWebhook(o Options) *admissionregistrationv1.MutatingWebhookConfiguration {
	m := meta(Name, "")
	m.Annotations = webhookAnnotations(o)
	return &admissionregistrationv1.MutatingWebhookConfiguration{
		TypeMeta:   typeMeta("admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration"),
		ObjectMeta: m,
		Webhooks: []admissionregistrationv1.MutatingWebhook{{
			Name:                    MutatingWebhookName,
			ClientConfig:            clientConfig(o, "/mutate"),
			Rules:                   rules(),
			FailurePolicy:           ptr(o.FailurePolicy),
			MatchPolicy:             ptr(admissionregistrationv1.Equivalent),
			NamespaceSelector:       NamespaceSelector(o.Namespace),
			ObjectSelector:          &metav1.LabelSelector{},
			SideEffects:             ptr(admissionregistrationv1.SideEffectClassNone),
			TimeoutSeconds:          ptr(o.TimeoutSeconds),
			AdmissionReviewVersions: []string{"v1"},
			ReinvocationPolicy:      ptr(admissionregistrationv1.NeverReinvocationPolicy),
		}},
	}
}

func typeMeta(apiVersion, kind string) metav1.TypeMeta {
	return metav1.TypeMeta{APIVersion: apiVersion, Kind: kind}
}

func ptr[T any](v T) *T { return &v }
