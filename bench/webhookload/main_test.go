//go:build linux

package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/palisade-dev/palisade/internal/http1"
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
// hanging it, and that the responses before count.
func TestDriveReportsAClosingServer(t *testing.T) {
	res, err := driveAgainst(t, func(c net.Conn) {
		req, err := http.ReadRequest(bufio.NewReader(c))
		if err != nil {
			return
		}
		if _, err := io.Copy(io.Discard, req.Body); err != nil {
			return
		}
		body := `{"response":{"allowed":true}}`
		_, _ = c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body))
	})
	if err == nil || res == nil || res.errors == 0 {
		t.Fatalf("a server that closes its connections: error %v, results %+v", err, res)
	}
	if res.allowed == 0 {
		t.Errorf("no response counted before the server closed (error %v)", err)
	}
}

// TestDriveReportsAStalledServer checks that a server that never answers
// fails the run once no response has come for responseTimeout.
func TestDriveReportsAStalledServer(t *testing.T) {
	defer func(d time.Duration) { responseTimeout = d }(responseTimeout)
	responseTimeout = 300 * time.Millisecond
	res, err := driveAgainst(t, func(c net.Conn) {
		_, _ = io.Copy(io.Discard, c) // reads every request, answers none
	})
	if err == nil || !strings.Contains(err.Error(), "no response") || res.errors == 0 {
		t.Fatalf("a server that never answers: error %v, results %+v", err, res)
	}
}

// driveAgainst runs the generator for a second at a low rate against a TLS
// server that handles each connection with serve, and returns what drive
// returned; it fails the test if the run does not end.
func driveAgainst(t *testing.T, serve func(net.Conn)) (*results, error) {
	t.Helper()
	pair, roots := keyPair(t)
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
				serve(c)
			}()
		}
	}()
	bodies, err := reviews("../testdata/webhook")
	if err != nil {
		t.Fatal(err)
	}
	type outcome struct {
		res *results
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := drive(ln.Addr().String(), &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}, bodies, 200, 0, time.Second)
		done <- outcome{res, err}
	}()
	select {
	case o := <-done:
		return o.res, o.err
	case <-time.After(30 * time.Second):
		t.Fatal("the run did not end")
	}
	return nil, nil
}

// TestDriveOutlivesIdleTimeouts checks that connections the server closes
// while idle (as http1.Server does to a connection whose first request
// does not come within ReadHeaderTimeout) are dropped, not counted as
// errors, and that the run goes on over the others.
func TestDriveOutlivesIdleTimeouts(t *testing.T) {
	pair, roots := keyPair(t)
	srv := &http1.Server{
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: 200 * time.Millisecond,
		IdleTimeout:       200 * time.Millisecond,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			_, _ = io.WriteString(w, `{"response":{"allowed":true}}`)
		}),
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	bodies, err := reviews("../testdata/webhook")
	if err != nil {
		t.Fatal(err)
	}
	// 20 requests a second keep one or two of the 32 connections busy;
	// the server closes the rest after 200ms.
	res, err := drive(ln.Addr().String(), &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}, bodies, 20, 0, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if res.errors != 0 || len(res.latencies) != 40 {
		t.Fatalf("%d errors (the first: %v) and %d responses, want none and 40", res.errors, res.firstErr, len(res.latencies))
	}
}

// keyPair returns a serving key pair for 127.0.0.1 and the roots that
// trust it.
func keyPair(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	dir := t.TempDir()
	caPEM, err := writeKeyPair(dir)
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.LoadX509KeyPair(dir+"/tls.crt", dir+"/tls.key")
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPEM)
	return pair, roots
}

// TestSummarizeShowsSpread checks the summary of several runs: medians of
// an even and an odd number of runs, ranges, every run's p99 lowest first,
// errors summed and the largest peak.
func TestSummarizeShowsSpread(t *testing.T) {
	ms := func(f float64) time.Duration { return time.Duration(f * float64(time.Millisecond)) }
	four := []runStats{
		{p50: ms(0.2), p99: ms(3), p999: ms(9), errors: 1, peakMB: 210, cpuPerRequest: 150 * time.Microsecond},
		{p50: ms(0.3), p99: ms(1), p999: ms(5), peakMB: 230, cpuPerRequest: 140 * time.Microsecond},
		{p50: ms(0.25), p99: ms(2), p999: ms(4), errors: 2, peakMB: 220, cpuPerRequest: 170 * time.Microsecond},
		{p50: ms(0.22), p99: ms(1.5), p999: ms(6), peakMB: 200, cpuPerRequest: 160 * time.Microsecond},
	}
	got := summarize(four)
	for _, want := range []string{
		"over 4 runs: p50 median 235µs (200µs-300µs); p99 median 1.75ms (1ms-3ms); p99.9 median 5.5ms (4ms-9ms)\n",
		"p99 of each run, lowest first: [1ms 1.5ms 2ms 3ms]\n",
		"errors in all: 3; peak RSS of any run: 230 MB; server CPU per request: median 155µs (140µs-170µs)\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("summary lacks %q:\n%s", want, got)
		}
	}
	if got := summarize(four[:3]); !strings.Contains(got, "p99 median 2ms (1ms-3ms)") {
		t.Errorf("three runs: want the middle p99 as the median:\n%s", got)
	}
	if got := summarize(nil); got != "no run completed\n" {
		t.Errorf("no runs: got %q", got)
	}
}
