package deploy_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"

	"github.com/palisade-dev/palisade/internal/cli"
	"github.com/palisade-dev/palisade/internal/deploy"
	"github.com/palisade-dev/palisade/internal/object"
	jsonreport "github.com/palisade-dev/palisade/internal/report/json"
	"github.com/palisade-dev/palisade/internal/source/helm"
	"github.com/palisade-dev/palisade/internal/source/kustomize"
	"github.com/palisade-dev/palisade/test/apiserver"
)

func TestMain(m *testing.M) { apiserver.Main(m) }

const (
	baseDir  = "../../deploy/webhook"
	chartDir = "../../deploy/helm/palisade-webhook"
)

// TestBaseUpToDate fails when deploy/webhook no longer matches what
// internal/deploy generates. Run `go generate ./internal/deploy`.
func TestBaseUpToDate(t *testing.T) {
	files, err := deploy.BaseFiles()
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join(baseDir, name))
		if err != nil {
			t.Errorf("%v (run `go generate ./internal/deploy`)", err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("deploy/webhook/%s is stale: run `go generate ./internal/deploy`", name)
		}
	}
	onDisk, err := filepath.Glob(filepath.Join(baseDir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range onDisk {
		if _, ok := files[filepath.Base(f)]; !ok {
			t.Errorf("deploy/webhook/%s is not generated: remove it or generate it from internal/deploy", filepath.Base(f))
		}
	}
}

// scanClean runs `palisade scan` on path with args at Pod Security level
// restricted, failing at info, and fails the test on any unsuppressed
// finding, input or rule error. It returns the suppressed findings' rule
// IDs.
func scanClean(t *testing.T, path string, args ...string) []string {
	t.Helper()
	var out, errOut bytes.Buffer
	argv := append([]string{"scan", "--no-config", "--pss-level", "restricted", "--fail-on", "info", "-o", "json", path}, args...)
	code := cli.Main(argv, strings.NewReader(""), &out, &errOut)
	var d jsonreport.Document
	if err := json.Unmarshal(out.Bytes(), &d); err != nil {
		t.Fatalf("scan output is not JSON (%v): %s %s", err, out.String(), errOut.String())
	}
	var suppressed []string
	for _, f := range d.Findings {
		if f.Suppressed != nil {
			if strings.TrimSpace(f.Suppressed.Reason) == "" {
				t.Errorf("%s on %s suppressed without a reason", f.RuleID, f.Object.Name)
			}
			suppressed = append(suppressed, f.RuleID)
			continue
		}
		t.Errorf("finding %s on %s %s (%s:%d): %s", f.RuleID, f.Object.Kind, f.Object.Name, f.File, f.Line, f.Message)
	}
	if len(d.InputErrors) > 0 || len(d.RuleErrors) > 0 {
		t.Errorf("input errors %+v, rule errors %+v", d.InputErrors, d.RuleErrors)
	}
	if code != 0 {
		t.Errorf("scan exit code %d, want 0\n%s", code, errOut.String())
	}
	if d.Summary.Objects == 0 {
		t.Error("the scan saw no objects")
	}
	return suppressed
}

func TestKustomizeBase(t *testing.T) {
	res := kustomize.Build(baseDir, kustomize.Options{})
	if len(res.Errors) > 0 {
		t.Fatalf("kustomize build: %v", res.Errors[0])
	}
	want, err := deploy.Objects(deploy.BaseOptions())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Objects) != len(want) {
		t.Errorf("kustomize built %d objects, want %d", len(res.Objects), len(want))
	}
	kinds := map[string]*object.Object{}
	for _, o := range res.Objects {
		kinds[o.Kind] = o
	}
	for _, k := range []string{"Issuer", "Certificate", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration", "PodDisruptionBudget"} {
		if kinds[k] == nil {
			t.Errorf("the base has no %s", k)
		}
	}
	if _, ok := kinds["Secret"]; ok {
		t.Error("the base holds a Secret; cert-manager should write it")
	}
	for _, k := range []string{"ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"} {
		o := kinds[k]
		if o == nil {
			continue
		}
		if got := o.Typed.(interface{ GetAnnotations() map[string]string }).GetAnnotations()["cert-manager.io/inject-ca-from"]; got != "palisade-system/palisade-webhook-tls" {
			t.Errorf("%s inject-ca-from = %q", k, got)
		}
	}
	if got := scanClean(t, baseDir); !slices.Equal(got, []string{"image-not-pinned"}) {
		t.Errorf("suppressed %v, want only image-not-pinned", got)
	}
}

func TestHelmChartScanClean(t *testing.T) {
	for _, tc := range []struct {
		name           string
		args           []string
		wantSuppressed []string
	}{
		{"defaults", nil, []string{"image-not-pinned"}},
		{"cert-manager", []string{"--set", "certManager.enabled=true", "--set", "webhook.mutating.enabled=true", "--namespace", "palisade-system"}, []string{"image-not-pinned"}},
		{"pinned", []string{"--set", "image.digest=sha256:" + strings.Repeat("0f", 32), "--set", "webhook.mutating.enabled=true"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := scanClean(t, chartDir, tc.args...); !slices.Equal(got, tc.wantSuppressed) {
				t.Errorf("suppressed %v, want %v", got, tc.wantSuppressed)
			}
		})
	}
}

// render renders the chart with --set values and indexes the objects by
// kind.
func render(t *testing.T, set ...string) map[string][]*object.Object {
	t.Helper()
	res := helm.Render(chartDir, helm.Options{Namespace: "palisade-system", ReleaseName: "palisade", Set: set})
	if len(res.Errors) > 0 {
		t.Fatalf("helm render: %v", res.Errors[0])
	}
	out := map[string][]*object.Object{}
	for _, o := range res.Objects {
		out[o.Kind] = append(out[o.Kind], o)
	}
	return out
}

func one[T any](t *testing.T, objs map[string][]*object.Object, kind string) T {
	t.Helper()
	if len(objs[kind]) != 1 {
		t.Fatalf("%d objects of kind %s, want 1", len(objs[kind]), kind)
	}
	v, ok := objs[kind][0].Typed.(T)
	if !ok {
		t.Fatalf("%s decoded as %T", kind, objs[kind][0].Typed)
	}
	return v
}

func TestHelmChartCertificates(t *testing.T) {
	objs := render(t, "webhook.mutating.enabled=true")
	secret := one[*corev1.Secret](t, objs, "Secret")
	b := &deploy.Bundle{CA: secret.Data["ca.crt"], Cert: secret.Data["tls.crt"], Key: secret.Data["tls.key"]}
	// The default name is the release name when it contains the chart's.
	names := deploy.DNSNames("palisade-palisade-webhook", "palisade-system")
	if err := b.Verify(names, time.Now()); err != nil {
		t.Errorf("generated chain: %v", err)
	}
	vwc := one[*admissionregistrationv1.ValidatingWebhookConfiguration](t, objs, "ValidatingWebhookConfiguration")
	mwc := one[*admissionregistrationv1.MutatingWebhookConfiguration](t, objs, "MutatingWebhookConfiguration")
	if !bytes.Equal(vwc.Webhooks[0].ClientConfig.CABundle, b.CA) || !bytes.Equal(mwc.Webhooks[0].ClientConfig.CABundle, b.CA) {
		t.Error("caBundle differs from the Secret's CA")
	}

	objs = render(t, "certManager.enabled=true", "webhook.mutating.enabled=true")
	if len(objs["Secret"]) != 0 {
		t.Error("the chart writes a Secret with cert-manager enabled")
	}
	if len(objs["Issuer"]) != 1 || len(objs["Certificate"]) != 1 {
		t.Fatalf("%d Issuers and %d Certificates, want 1 each", len(objs["Issuer"]), len(objs["Certificate"]))
	}
	cert := objs["Certificate"][0].Generic
	dns, _ := cert["spec"].(map[string]any)["dnsNames"].([]any)
	if len(dns) != 2 || dns[0] != names[0] || dns[1] != names[1] {
		t.Errorf("Certificate dnsNames %v, want %v", dns, names)
	}
	for _, o := range []interface{ GetAnnotations() map[string]string }{
		one[*admissionregistrationv1.ValidatingWebhookConfiguration](t, objs, "ValidatingWebhookConfiguration"),
		one[*admissionregistrationv1.MutatingWebhookConfiguration](t, objs, "MutatingWebhookConfiguration"),
	} {
		if got := o.GetAnnotations()["cert-manager.io/inject-ca-from"]; got != "palisade-system/palisade-palisade-webhook-tls" {
			t.Errorf("inject-ca-from = %q", got)
		}
	}
	if b := one[*admissionregistrationv1.ValidatingWebhookConfiguration](t, objs, "ValidatingWebhookConfiguration").Webhooks[0].ClientConfig.CABundle; len(b) != 0 {
		t.Error("caBundle set with cert-manager enabled")
	}

	objs = render(t)
	if len(objs["MutatingWebhookConfiguration"]) != 0 {
		t.Error("mutating webhook installed by default")
	}
}

// TestHelmChartMatchesGo holds the hand-written chart to the objects of
// internal/deploy: with the same names, the security-relevant parts of
// every object must be equal.
func TestHelmChartMatchesGo(t *testing.T) {
	chart := render(t, "fullnameOverride=palisade-webhook", "certManager.enabled=true", "webhook.mutating.enabled=true", "webhook.timeoutSeconds=7", "webhook.failurePolicy=Ignore", "replicaCount=3")
	objs, err := deploy.Objects(deploy.Options{
		Image: deploy.DefaultImage(deploy.BaseImageTag), Mutating: true, TimeoutSeconds: 7,
		FailurePolicy: admissionregistrationv1.Ignore, Replicas: 3, TLS: deploy.TLS{CertManager: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	goObjs := map[string]any{}
	for _, o := range objs {
		switch o := o.(type) {
		case *appsv1.Deployment:
			goObjs["Deployment"] = o
		case *admissionregistrationv1.ValidatingWebhookConfiguration:
			goObjs["ValidatingWebhookConfiguration"] = o
		case *admissionregistrationv1.MutatingWebhookConfiguration:
			goObjs["MutatingWebhookConfiguration"] = o
		case *rbacv1.ClusterRole:
			goObjs["ClusterRole"] = o
		case *corev1.Service:
			goObjs["Service"] = o
		case *corev1.ServiceAccount:
			goObjs["ServiceAccount"] = o
		case *corev1.ConfigMap:
			goObjs["ConfigMap"] = o
		case *networkingv1.NetworkPolicy:
			if o.Name == deploy.Name {
				goObjs["NetworkPolicy"] = o
			}
		}
	}
	same := func(what string, got, want any) {
		t.Helper()
		if !equality.Semantic.DeepEqual(got, want) {
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(want)
			t.Errorf("%s differs between the chart and internal/deploy:\nchart: %s\ngo:    %s", what, g, w)
		}
	}

	cd := one[*appsv1.Deployment](t, chart, "Deployment")
	gd := goObjs["Deployment"].(*appsv1.Deployment)
	same("replicas", cd.Spec.Replicas, gd.Spec.Replicas)
	same("strategy", cd.Spec.Strategy, gd.Spec.Strategy)
	cp, gp := cd.Spec.Template.Spec, gd.Spec.Template.Spec
	same("pod securityContext", cp.SecurityContext, gp.SecurityContext)
	same("automountServiceAccountToken", cp.AutomountServiceAccountToken, gp.AutomountServiceAccountToken)
	same("serviceAccountName", cp.ServiceAccountName, gp.ServiceAccountName)
	same("volumes", cp.Volumes, gp.Volumes)
	cc, gc := cp.Containers[0], gp.Containers[0]
	cc.Image, gc.Image = "", ""
	same("container", cc, gc)
	same("Deployment annotations", cd.Annotations, gd.Annotations)

	cv := one[*admissionregistrationv1.ValidatingWebhookConfiguration](t, chart, "ValidatingWebhookConfiguration").Webhooks[0]
	gv := goObjs["ValidatingWebhookConfiguration"].(*admissionregistrationv1.ValidatingWebhookConfiguration).Webhooks[0]
	same("validating webhook", cv, gv)
	cm := one[*admissionregistrationv1.MutatingWebhookConfiguration](t, chart, "MutatingWebhookConfiguration").Webhooks[0]
	gm := goObjs["MutatingWebhookConfiguration"].(*admissionregistrationv1.MutatingWebhookConfiguration).Webhooks[0]
	same("mutating webhook", cm, gm)

	same("ClusterRole rules", one[*rbacv1.ClusterRole](t, chart, "ClusterRole").Rules, goObjs["ClusterRole"].(*rbacv1.ClusterRole).Rules)
	same("Service ports", one[*corev1.Service](t, chart, "Service").Spec.Ports, goObjs["Service"].(*corev1.Service).Spec.Ports)
	same("ServiceAccount automount", one[*corev1.ServiceAccount](t, chart, "ServiceAccount").AutomountServiceAccountToken,
		goObjs["ServiceAccount"].(*corev1.ServiceAccount).AutomountServiceAccountToken)
	same("policy", one[*corev1.ConfigMap](t, chart, "ConfigMap").Data, goObjs["ConfigMap"].(*corev1.ConfigMap).Data)

	var cnp *networkingv1.NetworkPolicy
	for _, o := range chart["NetworkPolicy"] {
		if o.Name == "palisade-webhook" {
			cnp = o.Typed.(*networkingv1.NetworkPolicy)
		}
	}
	if cnp == nil {
		t.Fatal("the chart has no NetworkPolicy palisade-webhook")
	}
	gnp := goObjs["NetworkPolicy"].(*networkingv1.NetworkPolicy)
	same("NetworkPolicy ingress", cnp.Spec.Ingress, gnp.Spec.Ingress)
	same("NetworkPolicy egress", cnp.Spec.Egress, gnp.Spec.Egress)
	same("NetworkPolicy types", cnp.Spec.PolicyTypes, gnp.Spec.PolicyTypes)
}

func TestObjectsValidate(t *testing.T) {
	bundle := &deploy.Bundle{CA: []byte("x"), Cert: []byte("x"), Key: []byte("x")}
	for name, o := range map[string]deploy.Options{
		"no image":          {TLS: deploy.TLS{CertManager: true}},
		"no TLS":            {Image: "i:1"},
		"both TLS":          {Image: "i:1", TLS: deploy.TLS{CertManager: true, Bundle: bundle}},
		"bad policy":        {Image: "i:1", FailurePolicy: "Maybe", TLS: deploy.TLS{CertManager: true}},
		"long timeout":      {Image: "i:1", TimeoutSeconds: 31, TLS: deploy.TLS{CertManager: true}},
		"bad namespace":     {Image: "i:1", Namespace: "Palisade", TLS: deploy.TLS{CertManager: true}},
		"space in image":    {Image: "i:1 --privileged", TLS: deploy.TLS{CertManager: true}},
		"negative replicas": {Image: "i:1", Replicas: -1, TLS: deploy.TLS{CertManager: true}},
	} {
		if _, err := deploy.Objects(o); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if got := deploy.ExcludedNamespaces("kube-system"); !slices.Equal(got, []string{"kube-system"}) {
		t.Errorf("ExcludedNamespaces(kube-system) = %v", got)
	}
}

func TestGenerateCerts(t *testing.T) {
	start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	names := deploy.DNSNames("svc", "ns")
	b, err := deploy.GenerateCerts(deploy.CertOptions{DNSNames: names, Now: start, CAValidity: 48 * time.Hour, Validity: 100 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Verify(names, start.Add(-time.Minute)); err != nil {
		t.Errorf("not valid a minute before Now (clock skew): %v", err)
	}
	// The serving certificate never outlives its CA.
	if na, err := b.NotAfter(); err != nil || !na.Equal(start.Add(48*time.Hour)) {
		t.Errorf("serving certificate expires %v (%v), want the CA's expiry %v", na, err, start.Add(48*time.Hour))
	}
	other, err := deploy.GenerateCerts(deploy.CertOptions{DNSNames: names, Now: start, CAValidity: time.Hour, Validity: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	mixed := &deploy.Bundle{CA: other.CA, Cert: b.Cert, Key: b.Key}
	if err := mixed.Verify(names, start); err == nil {
		t.Error("a certificate verifies against another CA")
	}
	wrongKey := &deploy.Bundle{CA: b.CA, Cert: b.Cert, Key: other.Key}
	if err := wrongKey.Verify(names, start); err == nil {
		t.Error("a certificate verifies with another key")
	}
	if _, err := deploy.GenerateCerts(deploy.CertOptions{Now: start, CAValidity: time.Hour, Validity: time.Hour}); err == nil {
		t.Error("no error without DNS names")
	}

	dir := filepath.Join(t.TempDir(), "certs")
	if got, err := deploy.LoadCertDir(dir); got != nil || err != nil {
		t.Errorf("LoadCertDir of a missing directory = %v, %v", got, err)
	}
	if err := deploy.WriteCertDir(dir, b); err != nil {
		t.Fatal(err)
	}
	got, err := deploy.LoadCertDir(dir)
	if err != nil || !bytes.Equal(got.CA, b.CA) || !bytes.Equal(got.Cert, b.Cert) || !bytes.Equal(got.Key, b.Key) {
		t.Errorf("LoadCertDir after WriteCertDir = %v, %v", got, err)
	}
	if err := deploy.WriteCertDir(dir, other); err == nil {
		t.Error("WriteCertDir overwrote existing files")
	}
}
