package main

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"strconv"
	"testing"
	"time"
)

// startNoop serves the no-op webhook on loopback and returns its address
// and a client TLS configuration that trusts it.
func startNoop(t *testing.T) (string, *tls.Config) {
	t.Helper()
	dir := t.TempDir()
	caPEM, err := writeKeyPair(dir)
	if err != nil {
		t.Fatal(err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(freePort())
	go func() { _ = serveNoopWebhook(addr, dir) }()
	if err := waitReady(mustPort(t, addr), true); err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPEM)
	return addr, &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"}}
}

func mustPort(t *testing.T, addr string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestDriveMeasuresEveryRequest runs the generator against the no-op
// server: every request of the measured part is answered and counted once,
// none of the warm-up's is, and the run ends.
func TestDriveMeasuresEveryRequest(t *testing.T) {
	addr, cfg := startNoop(t)
	bodies, err := reviews("../testdata/webhook")
	if err != nil {
		t.Fatal(err)
	}
	const rate = 400
	res, err := drive(addr, cfg, bodies, rate, 250*time.Millisecond, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if res.errors != 0 {
		t.Fatalf("%d errors, the first: %v", res.errors, res.firstErr)
	}
	if got := len(res.latencies); got != rate {
		t.Errorf("%d requests measured, want %d", got, rate)
	}
	if res.allowed != rate || res.denied != 0 {
		t.Errorf("%d allowed and %d denied, want %d allowed", res.allowed, res.denied, rate)
	}
	if len(res.dues) != len(res.latencies) || len(res.lateness) != rate {
		t.Errorf("%d due times and %d lateness samples for %d latencies", len(res.dues), len(res.lateness), len(res.latencies))
	}
	for i, l := range res.latencies {
		if l <= 0 || l > 10*time.Second {
			t.Fatalf("latency %d is %v", i, l)
		}
	}
}

// TestDriveReportsAClosingServer checks that a server that closes every
// connection after one response fails the run with an error instead of
// hanging it.
func TestDriveReportsAClosingServer(t *testing.T) {
	dir := t.TempDir()
	caPEM, err := writeKeyPair(dir)
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.LoadX509KeyPair(dir+"/tls.crt", dir+"/tls.key")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer func() { _ = c.Close() }()
				buf := make([]byte, 64<<10)
				if _, err := c.Read(buf); err != nil {
					return
				}
				body := `{"response":{"allowed":true}}`
				_, _ = c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body))
			}()
		}
	}()
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPEM)
	bodies, err := reviews("../testdata/webhook")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var runErr error
	var res *results
	go func() {
		defer close(done)
		res, runErr = drive(ln.Addr().String(), &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}, bodies, 200, 0, time.Second)
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the run did not end")
	}
	if runErr == nil && (res == nil || res.errors == 0) {
		t.Fatal("no error from a server that closes its connections")
	}
}
