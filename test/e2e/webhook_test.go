package e2e_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/palisade-dev/palisade/internal/deploy"
	"github.com/palisade-dev/palisade/test/apiserver"
)

// webhookPKI writes a CA-signed serving key pair for 127.0.0.1 into dir,
// as the webhook's --tls-*-file flags expect, and returns the CA's PEM.
func webhookPKI(t *testing.T, dir string) []byte {
	t.Helper()
	b, err := deploy.GenerateCerts(deploy.CertOptions{
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		Now:         time.Now(), CAValidity: 24 * time.Hour, Validity: 24 * time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"tls.crt": b.Cert, "tls.key": b.Key} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return b.CA
}

// buildPalisade builds the palisade binary the way users get it.
func buildPalisade(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "palisade")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/palisade-dev/palisade/cmd/palisade")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// webhookProcess is a running `palisade webhook`.
type webhookProcess struct {
	cmd    *exec.Cmd
	logs   *bytes.Buffer
	port   int
	exited chan error
}

func startWebhook(t *testing.T, bin, dir, kubeconfig string) *webhookProcess {
	t.Helper()
	port, probe := freePort(t), freePort(t)
	w := &webhookProcess{logs: &bytes.Buffer{}, port: port, exited: make(chan error, 1)}
	w.cmd = exec.Command(bin, "webhook",
		"--addr", fmt.Sprintf("127.0.0.1:%d", port),
		"--probe-addr", fmt.Sprintf("127.0.0.1:%d", probe),
		"--tls-cert-file", filepath.Join(dir, "tls.crt"),
		"--tls-key-file", filepath.Join(dir, "tls.key"),
		"--policy", filepath.Join("testdata", "webhook", "policy.yaml"),
		"--kubeconfig", kubeconfig,
		"--namespace-labels", "on",
		"--shutdown-delay", "0s",
		"--log-level", "debug",
	)
	w.cmd.Stdout, w.cmd.Stderr = w.logs, w.logs
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { w.exited <- w.cmd.Wait() }()
	t.Cleanup(func() { w.stop(t) })
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/readyz", probe)) //nolint:noctx // loopback probe in a test
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return w
			}
		}
		select {
		case err := <-w.exited:
			t.Fatalf("palisade webhook exited: %v\n%s", err, w.logs)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("palisade webhook not ready after 30s\n%s", w.logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stop sends SIGTERM and waits for a clean exit.
func (w *webhookProcess) stop(t *testing.T) {
	t.Helper()
	if w.cmd.ProcessState != nil {
		return
	}
	_ = w.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-w.exited:
		if err != nil {
			t.Errorf("palisade webhook exited with %v after SIGTERM\n%s", err, w.logs)
		}
	case <-time.After(30 * time.Second):
		_ = w.cmd.Process.Kill()
		t.Errorf("palisade webhook did not stop within 30s of SIGTERM")
	}
}

// registerWebhooks registers both endpoints for namespaces labelled
// label=value, so that the other tests sharing the server are unaffected.
func registerWebhooks(t *testing.T, srv *apiserver.Server, name string, port int, caPEM []byte, label, value string, policy admissionregistrationv1.FailurePolicyType) {
	t.Helper()
	ctx := context.Background()
	none := admissionregistrationv1.SideEffectClassNone
	timeout := int32(5)
	sel := &metav1.LabelSelector{MatchLabels: map[string]string{label: value}}
	ops := []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update}
	rules := []admissionregistrationv1.RuleWithOperations{
		{Operations: ops, Rule: admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods", "pods/ephemeralcontainers", "services"}}},
		{Operations: ops, Rule: admissionregistrationv1.Rule{APIGroups: []string{"apps"}, APIVersions: []string{"v1"}, Resources: []string{"deployments", "daemonsets", "statefulsets", "replicasets"}}},
		{Operations: ops, Rule: admissionregistrationv1.Rule{APIGroups: []string{"rbac.authorization.k8s.io"}, APIVersions: []string{"v1"}, Resources: []string{"roles", "rolebindings"}}},
	}
	url := func(path string) *string { u := fmt.Sprintf("https://127.0.0.1:%d%s", port, path); return &u }
	reinvoke := admissionregistrationv1.NeverReinvocationPolicy
	mutating := &admissionregistrationv1.MutatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Webhooks: []admissionregistrationv1.MutatingWebhook{{
			Name: "mutate.palisade.dev", ClientConfig: admissionregistrationv1.WebhookClientConfig{URL: url("/mutate"), CABundle: caPEM},
			Rules: rules, FailurePolicy: &policy, SideEffects: &none, TimeoutSeconds: &timeout,
			NamespaceSelector: sel, AdmissionReviewVersions: []string{"v1"}, ReinvocationPolicy: &reinvoke,
		}},
	}
	validating := &admissionregistrationv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{{
			Name: "validate.palisade.dev", ClientConfig: admissionregistrationv1.WebhookClientConfig{URL: url("/validate"), CABundle: caPEM},
			Rules: rules, FailurePolicy: &policy, SideEffects: &none, TimeoutSeconds: &timeout,
			NamespaceSelector: sel, AdmissionReviewVersions: []string{"v1"},
		}},
	}
	ar := srv.Client().AdmissionregistrationV1()
	_ = ar.MutatingWebhookConfigurations().Delete(ctx, name, metav1.DeleteOptions{})
	_ = ar.ValidatingWebhookConfigurations().Delete(ctx, name, metav1.DeleteOptions{})
	if _, err := ar.MutatingWebhookConfigurations().Create(ctx, mutating, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := ar.ValidatingWebhookConfigurations().Create(ctx, validating, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func unregisterWebhooks(srv *apiserver.Server, name string) {
	ctx := context.Background()
	ar := srv.Client().AdmissionregistrationV1()
	_ = ar.MutatingWebhookConfigurations().Delete(ctx, name, metav1.DeleteOptions{})
	_ = ar.ValidatingWebhookConfigurations().Delete(ctx, name, metav1.DeleteOptions{})
}

// kubectl runs the real kubectl and returns its combined output.
func kubectl(t *testing.T, kubeconfig string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("kubectl", append([]string{"--kubeconfig", kubeconfig}, args...)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// privilegedPod is a pod the default profile denies.
func privilegedPod(ns, name string) *corev1.Pod {
	yes := true
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name: "c", Image: "registry.example.com/x:1", SecurityContext: &corev1.SecurityContext{Privileged: &yes},
		}}},
	}
}

// waitEffective waits until the API server calls the webhook for ns: the
// API server picks up webhook configurations asynchronously.
func waitEffective(t *testing.T, srv *apiserver.Server, ns string, denied bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for i := 0; ; i++ {
		_, err := srv.Client().CoreV1().Pods(ns).Create(context.Background(), privilegedPod(ns, fmt.Sprintf("probe-%d", i)), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		if (err != nil) == denied {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("webhook not effective in %s after 60s (denied=%v wanted, last error %v)", ns, denied, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestWebhookEndToEnd registers the real `palisade webhook` binary with
// the real API server and drives it with the real kubectl: denials with
// readable messages, warnings, mutations chosen by a namespace label, and
// failurePolicy Fail and Ignore when the webhook is down.
func TestWebhookEndToEnd(t *testing.T) {
	srv := apiserver.Shared(t)
	bin := buildPalisade(t)
	dir := t.TempDir()
	caPEM := webhookPKI(t, dir)
	kubeconfig := srv.Kubeconfig(t, apiserver.Admin)
	const label = "palisade-e2e/webhook"
	enforced := srv.Namespace(t, "wh-enforce", map[string]string{label: "on"})
	warned := srv.Namespace(t, "wh-warn", map[string]string{label: "on", "palisade.dev/mode": "warn"})
	fixing := srv.Namespace(t, "wh-fix", map[string]string{label: "on", "palisade.dev/profile": "fixing"})

	wh := startWebhook(t, bin, dir, kubeconfig)
	const cfgName = "palisade-e2e"
	registerWebhooks(t, srv, cfgName, wh.port, caPEM, label, "on", admissionregistrationv1.Fail)
	t.Cleanup(func() { unregisterWebhooks(srv, cfgName) })
	waitEffective(t, srv, enforced, true)

	t.Run("deny", func(t *testing.T) {
		out, err := kubectl(t, kubeconfig, "apply", "-n", enforced, "-f", filepath.Join("testdata", "webhook", "bad.yaml"))
		if err == nil {
			t.Fatalf("kubectl apply of a privileged pod succeeded:\n%s", out)
		}
		for _, want := range []string{
			`admission webhook "validate.palisade.dev" denied the request`,
			"palisade denied Pod " + enforced + "/root-shell",
			`[privileged-container] critical container "shell" spec.containers[0].securityContext.privileged`,
			"[host-pid]",
			"Fix: Remove securityContext.privileged",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("kubectl output lacks %q:\n%s", want, out)
			}
		}
	})

	t.Run("allow with warnings", func(t *testing.T) {
		out, err := kubectl(t, kubeconfig, "apply", "-n", enforced, "-f", filepath.Join("testdata", "webhook", "good.yaml"))
		if err != nil {
			t.Fatalf("kubectl apply of a compliant Deployment failed: %v\n%s", err, out)
		}
		if !strings.Contains(out, "deployment.apps/web created") || !strings.Contains(out, "Warning: palisade [image-not-pinned]") {
			t.Errorf("kubectl output:\n%s", out)
		}
	})

	t.Run("warn mode by namespace label", func(t *testing.T) {
		out, err := kubectl(t, kubeconfig, "apply", "-n", warned, "-f", filepath.Join("testdata", "webhook", "bad.yaml"))
		if err != nil {
			t.Fatalf("warn mode denied: %v\n%s", err, out)
		}
		if !strings.Contains(out, "Warning: palisade [privileged-container] critical") || !strings.Contains(out, "pod/root-shell created") {
			t.Errorf("kubectl output:\n%s", out)
		}
	})

	t.Run("mutate by namespace profile", func(t *testing.T) {
		out, err := kubectl(t, kubeconfig, "apply", "-n", fixing, "-f", filepath.Join("testdata", "webhook", "fixable.yaml"))
		if err != nil {
			t.Fatalf("kubectl apply: %v\n%s", err, out)
		}
		pod, err := srv.Client().CoreV1().Pods(fixing).Get(context.Background(), "fixable", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		sc := pod.Spec.Containers[0].SecurityContext
		if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			t.Errorf("allowPrivilegeEscalation not fixed: %+v", sc)
		}
		if psc := pod.Spec.SecurityContext; psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
			t.Errorf("seccomp profile not fixed: %+v", psc)
		}
		// The author's own settings stay as written.
		if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem || pod.Spec.Containers[0].Image != "registry.example.com/web:1.4.2" {
			t.Errorf("mutation changed what it should not: %+v", pod.Spec.Containers[0])
		}
		// A privileged pod is de-privileged rather than denied: removing
		// privileged and hostPID are safe fixes, and kubectl says so.
		out, err = kubectl(t, kubeconfig, "apply", "-n", fixing, "-f", filepath.Join("testdata", "webhook", "bad.yaml"))
		if err != nil {
			t.Fatalf("kubectl apply: %v\n%s", err, out)
		}
		if !strings.Contains(out, "Warning: palisade fixed: privileged-container") {
			t.Errorf("kubectl output lacks the fix warning:\n%s", out)
		}
		shell, err := srv.Client().CoreV1().Pods(fixing).Get(context.Background(), "root-shell", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if c := shell.Spec.Containers[0]; shell.Spec.HostPID || c.SecurityContext != nil && c.SecurityContext.Privileged != nil && *c.SecurityContext.Privileged {
			t.Errorf("pod still privileged after mutation: hostPID=%v %+v", shell.Spec.HostPID, c.SecurityContext)
		}
	})

	t.Run("failure policy", func(t *testing.T) {
		wh.stop(t)
		// Fail: nothing matching the webhook is admitted while it is down.
		good := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "while-down", Namespace: enforced},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "registry.example.com/x:1"}}},
		}
		_, err := srv.Client().CoreV1().Pods(enforced).Create(context.Background(), good, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		if err == nil || !strings.Contains(err.Error(), "failed calling webhook") {
			t.Fatalf("failurePolicy Fail with the webhook down: err = %v", err)
		}
		// Ignore: everything is admitted, the privileged pod included.
		registerWebhooks(t, srv, cfgName, wh.port, caPEM, label, "on", admissionregistrationv1.Ignore)
		waitEffective(t, srv, enforced, false)
	})
	if t.Failed() {
		t.Logf("webhook logs:\n%s", wh.logs)
	}
}
