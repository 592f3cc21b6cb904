package admission

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"

	"github.com/palisade-dev/palisade/internal/deploy"
	"github.com/palisade-dev/palisade/internal/rules"
)

// testPKI is a CA and a serving key pair for 127.0.0.1 signed by it.
type testPKI struct {
	caPEM, certPEM, keyPEM []byte
	leaf                   *x509.Certificate
}

func newTestPKI(t *testing.T) testPKI {
	t.Helper()
	b, err := deploy.GenerateCerts(deploy.CertOptions{
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		Now:         time.Now(), CAValidity: time.Hour, Validity: time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(b.Cert)
	leaf, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return testPKI{caPEM: b.CA, certPEM: b.Cert, keyPEM: b.Key, leaf: leaf}
}

func writeFile(t *testing.T, name string, data []byte) {
	t.Helper()
	// Write and rename, as the kubelet's atomic writer swaps files.
	tmp := name + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, name); err != nil {
		t.Fatal(err)
	}
}

// eventually polls cond until it holds or five seconds pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestServerReloadsAndReports(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, policyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key"), filepath.Join(dir, "policy.yaml")
	a, b := newTestPKI(t), newTestPKI(t)
	writeFile(t, certFile, a.certPEM)
	writeFile(t, keyFile, a.keyPEM)
	writeFile(t, policyFile, []byte(DefaultPolicy))
	srv, err := NewServer(ServerOptions{
		Addr: "127.0.0.1:0", ProbeAddr: "127.0.0.1:0",
		CertFile: certFile, KeyFile: keyFile, PolicyFile: policyFile,
		Catalog: rules.All(), ReloadInterval: 20 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()

	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(a.caPEM)
	roots.AppendCertsFromPEM(b.caPEM)
	// A new connection per request, so that each sees the current key pair.
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}, DisableKeepAlives: true,
	}}
	base := "https://" + srv.Addr().String()
	review, _ := json.Marshal(reviewOf(t, admissionv1.Create, fixture(t, "privileged-deployment.yaml"), nil, alice))
	send := func() (*admissionv1.AdmissionResponse, *x509.Certificate) {
		t.Helper()
		resp, err := client.Post(base+"/validate", "application/json", bytes.NewReader(review))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out admissionv1.AdmissionReview
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		return out.Response, resp.TLS.PeerCertificates[0]
	}

	resp, peer := send()
	if resp.Allowed || !peer.Equal(a.leaf) {
		t.Fatalf("allowed=%v, served the first certificate: %v", resp.Allowed, peer.Equal(a.leaf))
	}

	// Probes and metrics, over plain HTTP.
	probe := "http://" + srv.ProbeAddr().String()
	for _, p := range []string{"/healthz", "/readyz"} {
		if code, body := get(t, probe+p); code != http.StatusOK {
			t.Errorf("%s: %d %s", p, code, body)
		}
	}
	_, metrics := get(t, probe+"/metrics")
	for _, want := range []string{
		`palisade_admission_requests_total{endpoint="validate",kind="Deployment",operation="CREATE",result="denied"} 1`,
		`palisade_admission_denials_total{rule="privileged-container"} 1`,
		`palisade_admission_request_duration_seconds_bucket{endpoint="validate"`,
		`palisade_policy_generation 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}

	// Rotating the key pair takes effect without a restart.
	writeFile(t, certFile, b.certPEM)
	writeFile(t, keyFile, b.keyPEM)
	eventually(t, "the new certificate", func() bool { _, p := send(); return p.Equal(b.leaf) })

	// A new policy takes effect; a broken one is reported and the last
	// good one stays.
	writeFile(t, policyFile, []byte("apiVersion: palisade.dev/v1alpha1\nkind: AdmissionPolicy\ndefaults: {mode: warn}\n"))
	eventually(t, "the warn policy", func() bool { r, _ := send(); return r.Allowed })
	writeFile(t, policyFile, []byte("apiVersion: palisade.dev/v1alpha1\nkind: AdmissionPolicy\ndefaults: {mode: block}\n"))
	eventually(t, "the reload error", func() bool {
		_, m := get(t, probe+"/metrics")
		return strings.Contains(m, `palisade_reloads_total{file="policy",result="error"}`)
	})
	if r, _ := send(); !r.Allowed {
		t.Error("broken policy replaced the last good one")
	}
	if _, m := get(t, probe+"/metrics"); !strings.Contains(m, "palisade_policy_generation 2") {
		t.Error("policy generation did not advance to 2")
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url) //nolint:gosec,noctx // a test URL on loopback
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestServerRefusesToStartBroken(t *testing.T) {
	dir := t.TempDir()
	a := newTestPKI(t)
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	writeFile(t, certFile, a.certPEM)
	writeFile(t, keyFile, a.keyPEM)
	bad := filepath.Join(dir, "bad.yaml")
	writeFile(t, bad, []byte("apiVersion: palisade.dev/v1alpha1\nkind: AdmissionPolicy\ndefaults:\n  mode: enforce\n  denyAt: severe\n"))
	_, err := NewServer(ServerOptions{Addr: "127.0.0.1:0", CertFile: certFile, KeyFile: keyFile, PolicyFile: bad, Catalog: rules.All()})
	if err == nil || !strings.Contains(err.Error(), "bad.yaml:5") {
		t.Errorf("broken policy: err = %v, want one naming bad.yaml:5", err)
	}
	_, err = NewServer(ServerOptions{Addr: "127.0.0.1:0", CertFile: certFile, KeyFile: certFile, Catalog: rules.All()})
	if err == nil {
		t.Error("server started with a certificate as its key")
	}
}

// runTestServer runs a server with a fresh key pair and the default policy
// until the test ends.
func runTestServer(t *testing.T) *Server {
	t.Helper()
	dir := t.TempDir()
	a := newTestPKI(t)
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	writeFile(t, certFile, a.certPEM)
	writeFile(t, keyFile, a.keyPEM)
	srv, err := NewServer(ServerOptions{Addr: "127.0.0.1:0", CertFile: certFile, KeyFile: keyFile, Catalog: rules.All()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return srv
}

// TestSlowClientIsCut checks that a client that never finishes its
// headers cannot hold a connection forever.
func TestSlowClientIsCut(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the header timeout")
	}
	srv := runTestServer(t)
	conn, err := tls.Dial("tcp", srv.Addr().String(), &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // the test checks timeouts, not identity
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("POST /validate HTTP/1.1\r\nHost: x\r\n")); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	start := time.Now()
	_, err = conn.Read(make([]byte, 1))
	if err == nil {
		t.Fatal("server answered an unfinished request")
	}
	if waited := time.Since(start); waited > 20*time.Second {
		t.Errorf("connection held for %v", waited)
	}
}

func TestDecodeRequestFromAPIServerShape(t *testing.T) {
	// The API server omits the namespace from objects created without
	// one; the request's namespace applies.
	obj := []byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"x:1","securityContext":{"privileged":true}}]}}`)
	rv := reviewOf(t, admissionv1.Create, obj, nil, alice)
	rv.Request.Namespace = "team-a"
	h := newTestHandler(t, "", nil)
	resp := admit(t, h.Validating(), rv)
	if resp.Allowed || !strings.Contains(resp.Result.Message, "Pod team-a/p") {
		t.Errorf("allowed=%v message=%q", resp.Allowed, resp.Result.Message)
	}
}

// TestServerSpeaksHTTP1Only checks what docs/webhook.md promises: a client
// that offers HTTP/2 first still gets HTTP/1.1.
func TestServerSpeaksHTTP1Only(t *testing.T) {
	srv := runTestServer(t)
	conn, err := tls.Dial("tcp", srv.Addr().String(), &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"h2", "http/1.1"}}) //nolint:gosec // the test checks the protocol, not identity
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if p := conn.ConnectionState().NegotiatedProtocol; p != "http/1.1" {
		t.Errorf("negotiated %q, want http/1.1", p)
	}
}
