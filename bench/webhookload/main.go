//go:build linux

// Command webhookload drives `palisade webhook` at a fixed request rate
// over HTTPS on loopback, as the API server would, and reports latency
// percentiles, errors and the webhook's memory over the run.
//
// The load is open-loop: request i is due at start + i/rate whether or not
// earlier ones have been answered, and its latency counts from when it was
// due, so a stalled server shows up in the percentiles instead of slowing
// the generator down (no coordinated omission).
//
// It runs on Linux only: its event loop (see drive) is made of epoll(7)
// and timerfd_create(2).
//
// Usage (bench/webhook.sh builds the binary and runs this):
//
//	go run ./bench/webhookload -palisade /tmp/palisade -rate 2000 -duration 60s
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"

	"github.com/palisade-dev/palisade/internal/admission/admissiontest"
	"github.com/palisade-dev/palisade/internal/deploy"
	"github.com/palisade-dev/palisade/internal/http1"
	"github.com/palisade-dev/palisade/internal/profiling"
)

func main() {
	bin := flag.String("palisade", "", "palisade binary to run as the webhook (required)")
	rate := flag.Int("rate", 2000, "requests per second")
	duration := flag.Duration("duration", 60*time.Second, "how long to send at the full rate")
	warmup := flag.Duration("warmup", 5*time.Second, "how long to send before measuring")
	manifests := flag.String("manifests", "bench/testdata/webhook", "directory of manifests to send, in turn")
	policy := flag.String("policy", "", "policy file for the webhook (default: the built-in policy)")
	profile := flag.String("cpuprofile", "", "have the webhook write a CPU profile to this file")
	selfProfile := flag.String("generator-cpuprofile", "", "write the load generator's own CPU profile to this file")
	latencyLog := flag.String("latency-log", "", "write each measured request's due time (ms into the measured run) and latency (µs) to this file, tab-separated, to see whether slow requests come in bursts")
	noop := flag.Bool("noop", false, "measure a server that only reads each review and allows it, instead of palisade: the floor this machine sets")
	runs := flag.Int("runs", 1, "measure this many times, each with a fresh server, and end with the spread of the runs' percentiles: one run's p99 moves with what else the machine is doing")
	serveNoop := flag.String("serve-noop", "", "internal: serve the no-op webhook on `ADDR` with the key pair in -dir")
	dir := flag.String("dir", "", "internal: key pair directory for -serve-noop")
	flag.Parse()
	if *serveNoop != "" {
		if err := serveNoopWebhook(*serveNoop, *dir); err != nil {
			fmt.Fprintln(os.Stderr, "webhookload:", err)
			os.Exit(1)
		}
		return
	}
	if *noop {
		self, err := os.Executable()
		if err != nil {
			fmt.Fprintln(os.Stderr, "webhookload:", err)
			os.Exit(1)
		}
		*bin = self
	}
	if *bin == "" {
		fmt.Fprintln(os.Stderr, "webhookload: -palisade is required")
		os.Exit(2)
	}
	if *runs < 1 {
		fmt.Fprintln(os.Stderr, "webhookload: -runs must be at least 1")
		os.Exit(2)
	}
	if *runs > 1 && (*profile != "" || *selfProfile != "" || *latencyLog != "") {
		fmt.Fprintln(os.Stderr, "webhookload: -runs above 1 would overwrite the profile or latency log of each run with the next; take those from a single run")
		os.Exit(2)
	}
	if *selfProfile != "" {
		stop, err := profiling.StartCPU(*selfProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "webhookload:", err)
			os.Exit(1)
		}
		defer stop()
	}
	var all []runStats
	failed := false
	for i := range *runs {
		if *runs > 1 {
			fmt.Printf("== run %d of %d\n", i+1, *runs)
		}
		st, err := run(*bin, *rate, *duration, *warmup, *manifests, *policy, *profile, *latencyLog)
		if err != nil {
			fmt.Fprintln(os.Stderr, "webhookload:", err)
			failed = true
		}
		if st != nil {
			all = append(all, *st)
		}
	}
	if *runs > 1 {
		fmt.Print(summarize(all))
	}
	if failed {
		os.Exit(1) //nolint:gocritic // a failed run's profile is not worth keeping
	}
}

// runStats is what one run measured, for the summary of several.
type runStats struct {
	p50, p99, p999 time.Duration
	errors         int
	peakMB         int
	cpuPerRequest  time.Duration // the server's
}

// summarize describes several runs: each percentile's median and range
// over the runs, and every run's p99, lowest first, so that a reader sees the
// spread rather than one run's luck.
func summarize(all []runStats) string {
	if len(all) == 0 {
		return "no run completed\n"
	}
	col := func(f func(runStats) time.Duration) []time.Duration {
		out := make([]time.Duration, len(all))
		for i, st := range all {
			out[i] = f(st)
		}
		slices.Sort(out)
		return out
	}
	spread := func(v []time.Duration) string {
		return fmt.Sprintf("median %v (%v-%v)", median(v), v[0], v[len(v)-1])
	}
	p99 := col(func(st runStats) time.Duration { return st.p99 })
	errs, peak := 0, 0
	for _, st := range all {
		errs += st.errors
		peak = max(peak, st.peakMB)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "over %d runs: p50 %s; p99 %s; p99.9 %s\n", len(all),
		spread(col(func(st runStats) time.Duration { return st.p50 })), spread(p99),
		spread(col(func(st runStats) time.Duration { return st.p999 })))
	fmt.Fprintf(&b, "p99 of each run, lowest first: %v\n", p99)
	fmt.Fprintf(&b, "errors in all: %d; peak RSS of any run: %d MB; server CPU per request: %s\n",
		errs, peak, spread(col(func(st runStats) time.Duration { return st.cpuPerRequest })))
	return b.String()
}

// median returns the median of sorted, the mean of the middle two when
// their number is even.
func median(sorted []time.Duration) time.Duration {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

// run measures once, with a fresh server, and prints what it saw. Its
// runStats are nil when the run did not get as far as measuring.
func run(bin string, rate int, duration, warmup time.Duration, manifests, policy, profile, latencyLog string) (*runStats, error) {
	dir, err := os.MkdirTemp("", "webhookload-")
	if err != nil {
		return nil, err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	caPEM, err := writeKeyPair(dir)
	if err != nil {
		return nil, err
	}
	bodies, err := reviews(manifests)
	if err != nil {
		return nil, err
	}
	port, probe := freePort(), freePort()
	args := []string{"webhook",
		"--addr", "127.0.0.1:" + strconv.Itoa(port), "--probe-addr", "127.0.0.1:" + strconv.Itoa(probe),
		"--tls-cert-file", filepath.Join(dir, "tls.crt"), "--tls-key-file", filepath.Join(dir, "tls.key"),
		"--namespace-labels", "off", "--log-level", "error", "--shutdown-delay", "0s",
	}
	if policy != "" {
		args = append(args, "--policy", policy)
	}
	if profile != "" {
		args = append(args, "--cpuprofile", profile)
	}
	if filepath.Base(bin) == filepath.Base(os.Args[0]) {
		// The no-op baseline: this program serves, and is ready when its
		// TLS port accepts connections.
		args = []string{"-serve-noop", "127.0.0.1:" + strconv.Itoa(port), "-dir", dir}
	}
	cmd := exec.Command(bin, args...) //nolint:gosec // the binary under test, named on the command line
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	ready := probe
	if args[0] == "-serve-noop" {
		ready = port
	}
	if err := waitReady(ready, args[0] == "-serve-noop"); err != nil {
		return nil, err
	}

	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPEM)
	tlsConfig := &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"}}
	addr := "127.0.0.1:" + strconv.Itoa(port)

	mem := &memSampler{pid: cmd.Process.Pid}
	ctx, stop := context.WithCancel(context.Background())
	var memWG sync.WaitGroup
	memWG.Add(1)
	go func() { defer memWG.Done(); mem.run(ctx) }()

	fmt.Printf("webhookload: %d req/s for %v after %v warm-up, %d request bodies (%s), HTTP/1.1 keep-alive over TLS on loopback\n",
		rate, duration, warmup, len(bodies), manifests)
	cpu0, self0 := procCPU(cmd.Process.Pid), selfCPU()
	res, err := drive(addr, tlsConfig, bodies, rate, warmup, duration)
	cpu1, self1 := procCPU(cmd.Process.Pid), selfCPU()
	stop()
	memWG.Wait()
	if res == nil {
		return nil, err
	}
	if latencyLog != "" {
		if err := res.writeLog(latencyLog); err != nil {
			return nil, err
		}
	}
	st := res.report(duration)
	st.peakMB = mem.report()
	sent := float64(rate) * (warmup + duration).Seconds()
	wall := (warmup + duration).Seconds()
	st.cpuPerRequest = time.Duration(float64(cpu1-cpu0) / sent).Round(time.Microsecond)
	fmt.Printf("CPU: webhook %.2f cores (%v per request), load generator %.2f cores (%v per request)\n",
		(cpu1-cpu0).Seconds()/wall, st.cpuPerRequest,
		(self1-self0).Seconds()/wall, time.Duration(float64(self1-self0)/sent).Round(time.Microsecond))
	if err != nil {
		return &st, err
	}
	if res.errors > 0 {
		return &st, fmt.Errorf("%d errors", res.errors)
	}
	return &st, nil
}

type results struct {
	latencies []time.Duration
	dues      []time.Time     // each latency's request's due time, for -latency-log
	lateness  []time.Duration // how late the sender was, by its own clock
	errors    int
	firstErr  error
	allowed   int
	denied    int
}

// request is one AdmissionReview, ready to send but for its UID: the
// header up to the Content-Length value, and the body before and after
// the UID.
type request struct{ header, before, after []byte }

func newRequest(host string, body []byte) (request, error) {
	const placeholder = `"uid":"UID"`
	i := bytes.Index(body, []byte(placeholder))
	if i < 0 {
		return request{}, errors.New("request body without a UID placeholder")
	}
	header := fmt.Appendf(nil, "POST /validate HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: ", host)
	return request{header: header, before: body[:i], after: body[i+len(placeholder):]}, nil
}

func (r *results) record(due time.Time, lat time.Duration, allowed bool, err error) {
	if err != nil {
		r.errors++
		if r.firstErr == nil {
			r.firstErr = err
		}
		return
	}
	r.latencies = append(r.latencies, lat)
	r.dues = append(r.dues, due)
	if allowed {
		r.allowed++
	} else {
		r.denied++
	}
}

// writeLog writes the -latency-log file, in the order the responses came.
func (r *results) writeLog(path string) error {
	if len(r.dues) == 0 {
		return os.WriteFile(path, nil, 0o600)
	}
	first := slices.MinFunc(r.dues, time.Time.Compare)
	var b []byte
	for i, due := range r.dues {
		b = fmt.Appendf(b, "%.3f\t%d\n", float64(due.Sub(first))/float64(time.Millisecond), r.latencies[i].Microseconds())
	}
	return os.WriteFile(path, b, 0o600)
}

// report prints the run's counts and percentiles, and returns them.
func (r *results) report(duration time.Duration) runStats {
	lat := slices.Clone(r.latencies) // sorted here; r.latencies stays in step with r.dues
	slices.Sort(lat)
	total := len(lat) + r.errors
	fmt.Printf("requests: %d measured (%.0f/s), %d allowed, %d denied, %d errors\n",
		total, float64(total)/duration.Seconds(), r.allowed, r.denied, r.errors)
	if r.firstErr != nil {
		fmt.Printf("first error: %v\n", r.firstErr)
	}
	st := runStats{p50: pct(lat, 0.50), p99: pct(lat, 0.99), p999: pct(lat, 0.999), errors: r.errors}
	fmt.Printf("latency: p50 %v  p90 %v  p99 %v  p99.9 %v  max %v\n",
		st.p50, pct(lat, 0.90), st.p99, st.p999, pct(lat, 1))
	late := r.lateness
	slices.Sort(late)
	fmt.Printf("of which the sender's own lateness (woken after the due time): p50 %v  p99 %v  max %v\n",
		pct(late, 0.50), pct(late, 0.99), pct(late, 1))
	return st
}

// pct returns the p-quantile of sorted, to the microsecond.
func pct(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(p*float64(len(sorted))))].Round(time.Microsecond)
}

// memSampler reads the webhook's resident memory every second.
type memSampler struct {
	pid     int
	samples []int // kB
	hwm     int   // kB, the kernel's peak
}

func (m *memSampler) run(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		rss, hwm := procStatus(m.pid)
		if rss > 0 {
			m.samples = append(m.samples, rss)
			m.hwm = hwm
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// report prints the resident memory over the run, and returns its peak
// in MB.
func (m *memSampler) report() int {
	if len(m.samples) == 0 {
		fmt.Println("memory: no samples")
		return 0
	}
	// RSS at each tenth of the run shows whether memory is flat.
	var marks []string
	for i := 0; i < 10; i++ {
		marks = append(marks, strconv.Itoa(m.samples[i*len(m.samples)/10]/1024))
	}
	marks = append(marks, strconv.Itoa(m.samples[len(m.samples)-1]/1024))
	fmt.Printf("webhook RSS (MB) over the run: %s; peak %d MB\n", strings.Join(marks, " "), m.hwm/1024)
	return m.hwm / 1024
}

// procCPU returns the user and system CPU time a process has used.
func procCPU(pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name may hold spaces: fields count from after its ')'.
	f := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	const clockTicks = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / clockTicks
}

// selfCPU returns the CPU time this process has used.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procStatus returns VmRSS and VmHWM in kB.
func procStatus(pid int) (rss, hwm int) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 {
			continue
		}
		v, _ := strconv.Atoi(fields[1])
		switch fields[0] {
		case "VmRSS:":
			rss = v
		case "VmHWM:":
			hwm = v
		}
	}
	return rss, hwm
}

// reviews reads every manifest of dir as a request body with a UID
// placeholder.
func reviews(dir string) ([][]byte, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("no manifests in %s", dir)
	}
	var out [][]byte
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		rv, err := admissiontest.Review(data, "UID", authenticationv1.UserInfo{Username: "system:serviceaccount:kube-system:replicaset-controller", Groups: []string{"system:serviceaccounts", "system:authenticated"}})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		b, err := json.Marshal(rv)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

func waitReady(port int, dialOnly bool) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if dialOnly {
			if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
				_ = c.Close()
				return nil
			}
			time.Sleep(100 * time.Millisecond)
			continue
		}
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/readyz", port)) //nolint:noctx // loopback probe
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return errors.New("the webhook did not become ready in 30s")
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port
}

// writeKeyPair writes a serving key pair for 127.0.0.1 into dir and
// returns the CA that signed it.
func writeKeyPair(dir string) ([]byte, error) {
	b, err := deploy.GenerateCerts(deploy.CertOptions{
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		Now:         time.Now(), CAValidity: 24 * time.Hour, Validity: 24 * time.Hour,
	})
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "tls.crt"), b.Cert, 0o600); err != nil {
		return nil, err
	}
	return b.CA, os.WriteFile(filepath.Join(dir, "tls.key"), b.Key, 0o600)
}

// serveNoopWebhook answers every review with "allowed" after reading it,
// over the same TLS settings and HTTP/1.1 server (internal/http1) as
// palisade webhook: the latency and CPU it shows are what the machine,
// the network stack and the load generator cost before any evaluation.
func serveNoopWebhook(addr, dir string) error {
	pair, err := tls.LoadX509KeyPair(filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key"))
	if err != nil {
		return err
	}
	srv := &http1.Server{
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"}},
		ReadHeaderTimeout: 5 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			uid := "x"
			if i := bytes.Index(body, []byte(`"uid":"`)); i >= 0 {
				rest := body[i+7:]
				uid = string(rest[:bytes.IndexByte(rest, '"')])
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = fmt.Fprintf(w, `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":%q,"allowed":true}}`, uid)
		}),
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return srv.Serve(ln)
}
