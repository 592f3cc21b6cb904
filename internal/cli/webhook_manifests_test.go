package cli

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/palisade-dev/palisade/internal/deploy"
	"github.com/palisade-dev/palisade/internal/object"
	jsonreport "github.com/palisade-dev/palisade/internal/report/json"
)

// webhookManifests runs `palisade webhook manifests args...` through its
// constructor and returns standard output and the error.
func webhookManifests(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut}
	cmd := newWebhookManifestsCommand(e)
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SilenceUsage = true
	cmd.SilenceErrors = true
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	err := cmd.Execute()
	return out.String(), err
}

// manifestObjects decodes the output as the scanner does.
func manifestObjects(t *testing.T, out string) map[string]*object.Object {
	t.Helper()
	res := object.Decode("manifests.yaml", []byte(out))
	if len(res.Errors) > 0 {
		t.Fatalf("decoding the manifests: %v", res.Errors[0])
	}
	objs := map[string]*object.Object{}
	for _, o := range res.Objects {
		if o.Typed == nil {
			t.Errorf("%s %s has no compiled-in type", o.Kind, o.Name)
		}
		objs[o.Kind] = o
	}
	return objs
}

// scanClean scans file with the command line at PSS level restricted,
// failing at info, and fails the test on any finding, input or rule error.
// It returns the IDs of the suppressed findings.
func scanClean(t *testing.T, file string) []string {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main([]string{"scan", "--no-config", "--pss-level", "restricted", "--fail-on", "info", "-o", "json", file}, strings.NewReader(""), &out, &errOut)
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
		t.Errorf("finding %s on %s %s: %s", f.RuleID, f.Object.Kind, f.Object.Name, f.Message)
	}
	if len(d.InputErrors) > 0 || len(d.RuleErrors) > 0 {
		t.Errorf("input errors %v, rule errors %v", d.InputErrors, d.RuleErrors)
	}
	if code != 0 {
		t.Errorf("scan exit code %d, want 0\n%s", code, errOut.String())
	}
	return suppressed
}

func TestWebhookManifestsScanClean(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name           string
		args           []string
		wantSuppressed []string
	}{
		{"defaults", nil, []string{"image-not-pinned"}},
		{"mutating, own namespace", []string{"--mutating", "--namespace", "admission", "--replicas", "3"}, []string{"image-not-pinned"}},
		{"pinned image", []string{"--mutating", "--image", "ghcr.io/palisade-dev/palisade:v1.0.0@sha256:" + strings.Repeat("ab", 32)}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".yaml")
			if _, err := webhookManifests(t, append(tc.args, "--output", file)...); err != nil {
				t.Fatal(err)
			}
			fi, err := os.Stat(file)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("--output written with mode %v, want 0600 (it holds a private key)", fi.Mode().Perm())
			}
			if got := scanClean(t, file); !slices.Equal(got, tc.wantSuppressed) {
				t.Errorf("suppressed findings %v, want %v", got, tc.wantSuppressed)
			}
		})
	}
}

// certOf decodes the one PEM certificate in data.
func certOf(t *testing.T, data []byte) *x509.Certificate {
	t.Helper()
	b, rest := pem.Decode(data)
	if b == nil || b.Type != "CERTIFICATE" || len(bytes.TrimSpace(rest)) > 0 {
		t.Fatalf("not one PEM certificate: %q", data)
	}
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestWebhookManifestsCertificates(t *testing.T) {
	restore := setNow(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC))
	defer restore()
	out, err := webhookManifests(t, "--mutating", "--namespace", "guard", "--cert-validity", "720h", "--ca-validity", "8760h")
	if err != nil {
		t.Fatal(err)
	}
	objs := manifestObjects(t, out)
	secret := objs["Secret"].Typed.(*corev1.Secret)
	if secret.Type != corev1.SecretTypeTLS || secret.Namespace != "guard" || secret.Name != deploy.TLSSecret {
		t.Errorf("secret %s/%s of type %s", secret.Namespace, secret.Name, secret.Type)
	}
	b := &deploy.Bundle{CA: secret.Data["ca.crt"], Cert: secret.Data["tls.crt"], Key: secret.Data["tls.key"]}
	names := []string{"palisade-webhook.guard.svc", "palisade-webhook.guard.svc.cluster.local"}
	if err := b.Verify(names, now()); err != nil {
		t.Errorf("chain does not verify: %v", err)
	}
	if err := b.Verify([]string{"palisade-webhook.other.svc"}, now()); err == nil {
		t.Error("the certificate verifies for another namespace's service")
	}
	if err := b.Verify(names, now().Add(721*time.Hour)); err == nil {
		t.Error("the certificate is still valid after --cert-validity")
	}
	ca, leaf := certOf(t, b.CA), certOf(t, b.Cert)
	if !ca.IsCA || leaf.IsCA {
		t.Errorf("IsCA: CA %v, serving %v", ca.IsCA, leaf.IsCA)
	}
	if !slices.Equal(leaf.DNSNames, names) {
		t.Errorf("SANs %v, want %v", leaf.DNSNames, names)
	}
	for _, c := range []*x509.Certificate{ca, leaf} {
		if pub, ok := c.PublicKey.(*ecdsa.PublicKey); !ok || pub.Curve != elliptic.P256() {
			t.Errorf("%s key is %T, want ECDSA P-256", c.Subject.CommonName, c.PublicKey)
		}
	}
	if got, want := ca.NotAfter, now().Add(8760*time.Hour); !got.Equal(want) {
		t.Errorf("CA expires %v, want %v", got, want)
	}

	vwc := objs["ValidatingWebhookConfiguration"].Typed.(*admissionregistrationv1.ValidatingWebhookConfiguration)
	mwc := objs["MutatingWebhookConfiguration"].Typed.(*admissionregistrationv1.MutatingWebhookConfiguration)
	if !bytes.Equal(vwc.Webhooks[0].ClientConfig.CABundle, b.CA) || !bytes.Equal(mwc.Webhooks[0].ClientConfig.CABundle, b.CA) {
		t.Error("caBundle differs from the Secret's CA")
	}
	if len(vwc.Annotations) > 0 || len(mwc.Annotations) > 0 {
		t.Errorf("webhook configurations carry annotations %v %v, want none without cert-manager", vwc.Annotations, mwc.Annotations)
	}
	if _, ok := objs["Certificate"]; ok {
		t.Error("cert-manager Certificate in the output")
	}
}

func TestWebhookManifestsCertDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "certs")
	first, err := webhookManifests(t, "--cert-dir", dir)
	if err != nil {
		t.Fatal(err)
	}
	for name, mode := range map[string]os.FileMode{"ca.crt": 0o644, "tls.crt": 0o644, "tls.key": 0o600} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != mode {
			t.Errorf("%s has mode %v, want %v", name, fi.Mode().Perm(), mode)
		}
	}
	second, err := webhookManifests(t, "--cert-dir", dir)
	if err != nil {
		t.Fatal(err)
	}
	if first != second {
		t.Error("a second run with the same --cert-dir printed different manifests")
	}
	ca, err := os.ReadFile(filepath.Join(dir, "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	secret := manifestObjects(t, second)["Secret"].Typed.(*corev1.Secret)
	if !bytes.Equal(secret.Data["ca.crt"], ca) {
		t.Error("the Secret's CA is not the one in --cert-dir")
	}
	fresh, err := webhookManifests(t)
	if err != nil {
		t.Fatal(err)
	}
	if fresh == first {
		t.Error("without --cert-dir the certificate was not generated afresh")
	}

	// The certificates are for palisade-system: another namespace's
	// service names do not verify, and nothing is overwritten.
	if _, err := webhookManifests(t, "--cert-dir", dir, "--namespace", "elsewhere"); err == nil || !strings.Contains(err.Error(), "elsewhere") {
		t.Errorf("reusing certificates for another namespace: err = %v", err)
	}
	// Some files but not all is an error, not a silent regeneration.
	if err := os.Remove(filepath.Join(dir, "tls.key")); err != nil {
		t.Fatal(err)
	}
	_, err = webhookManifests(t, "--cert-dir", dir)
	var ue usageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "tls.key") {
		t.Errorf("incomplete --cert-dir: err = %v, want a usage error naming tls.key", err)
	}
}

func TestWebhookManifestsSelectorsAndPolicy(t *testing.T) {
	out, err := webhookManifests(t, "--namespace", "guard")
	if err != nil {
		t.Fatal(err)
	}
	objs := manifestObjects(t, out)
	if _, ok := objs["MutatingWebhookConfiguration"]; ok {
		t.Error("mutating webhook without --mutating")
	}
	w := objs["ValidatingWebhookConfiguration"].Typed.(*admissionregistrationv1.ValidatingWebhookConfiguration).Webhooks[0]
	if w.FailurePolicy == nil || *w.FailurePolicy != admissionregistrationv1.Fail {
		t.Errorf("failurePolicy %v, want Fail by default", w.FailurePolicy)
	}
	if w.TimeoutSeconds == nil || *w.TimeoutSeconds != 5 {
		t.Errorf("timeoutSeconds %v, want 5", w.TimeoutSeconds)
	}
	wantSelector := []string{"kube-system", "guard"}
	if e := w.NamespaceSelector.MatchExpressions; len(e) != 1 || e[0].Key != "kubernetes.io/metadata.name" || e[0].Operator != "NotIn" || !slices.Equal(e[0].Values, wantSelector) {
		t.Errorf("namespaceSelector %+v, want kubernetes.io/metadata.name NotIn %v", w.NamespaceSelector, wantSelector)
	}
	if w.ClientConfig.Service.Namespace != "guard" || *w.ClientConfig.Service.Path != "/validate" || *w.ClientConfig.Service.Port != 443 {
		t.Errorf("clientConfig %+v", w.ClientConfig.Service)
	}
	if ns := objs["Namespace"].Typed.(*corev1.Namespace); ns.Name != "guard" || ns.Labels["pod-security.kubernetes.io/enforce"] != "restricted" {
		t.Errorf("namespace %s labels %v", ns.Name, ns.Labels)
	}
	cm := objs["ConfigMap"].Typed.(*corev1.ConfigMap)
	if cm.Data["policy.yaml"] != deploy.DefaultPolicy {
		t.Errorf("policy.yaml = %q", cm.Data["policy.yaml"])
	}

	out, err = webhookManifests(t, "--mutating", "--failure-policy", "Ignore", "--timeout", "12s")
	if err != nil {
		t.Fatal(err)
	}
	objs = manifestObjects(t, out)
	m := objs["MutatingWebhookConfiguration"].Typed.(*admissionregistrationv1.MutatingWebhookConfiguration).Webhooks[0]
	if *m.FailurePolicy != admissionregistrationv1.Ignore || *m.TimeoutSeconds != 12 || *m.ReinvocationPolicy != admissionregistrationv1.NeverReinvocationPolicy {
		t.Errorf("mutating webhook: failurePolicy %s, timeout %d, reinvocation %s", *m.FailurePolicy, *m.TimeoutSeconds, *m.ReinvocationPolicy)
	}
	if *m.ClientConfig.Service.Path != "/mutate" {
		t.Errorf("mutating path %s", *m.ClientConfig.Service.Path)
	}
	if e := m.NamespaceSelector.MatchExpressions; len(e) != 1 || !slices.Equal(e[0].Values, []string{"kube-system", "palisade-system"}) {
		t.Errorf("mutating namespaceSelector %+v", m.NamespaceSelector)
	}
}

func TestWebhookManifestsUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--failure-policy", "Sometimes"},
		{"--timeout", "31s"},
		{"--timeout", "1500ms"},
		{"--replicas", "0"},
		{"--namespace", "Not_A_Label"},
		{"--image", ""},
		{"--cert-validity", "0s"},
		{"extra-argument"},
	} {
		_, err := webhookManifests(t, args...)
		var ue usageError
		if !errors.As(err, &ue) {
			t.Errorf("%v: err = %v, want a usage error", args, err)
		}
	}
}

// setNow replaces the clock and returns a function restoring it.
func setNow(t time.Time) func() {
	old := now
	now = func() time.Time { return t }
	return func() { now = old }
}

// TestWebhookManifestsScanNotVacuous makes sure the clean scans above would
// see a problem: failing open is reported.
func TestWebhookManifestsScanNotVacuous(t *testing.T) {
	file := filepath.Join(t.TempDir(), "ignore.yaml")
	if _, err := webhookManifests(t, "--failure-policy", "Ignore", "--output", file); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	code := Main([]string{"scan", "--no-config", "--fail-on", "info", "-o", "json", file}, strings.NewReader(""), &out, &errOut)
	var d jsonreport.Document
	if err := json.Unmarshal(out.Bytes(), &d); err != nil {
		t.Fatal(err)
	}
	if code != 1 || !slices.ContainsFunc(d.Findings, func(f jsonreport.Finding) bool { return f.RuleID == "webhook-fail-open" }) {
		t.Errorf("scan of a fail-open webhook: exit code %d, findings %+v", code, d.Findings)
	}
}
