package admission

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/palisade-dev/palisade/internal/http1"
	"github.com/palisade-dev/palisade/internal/rule"
)

// ServerOptions configure a Server.
type ServerOptions struct {
	// Addr is the HTTPS address of /validate, /mutate, /healthz, /readyz
	// and /metrics, such as ":8443". Required.
	Addr string
	// ProbeAddr is a plain HTTP address serving /healthz, /readyz and
	// /metrics for kubelet probes and Prometheus; empty disables it.
	ProbeAddr string
	// CertFile and KeyFile hold the serving key pair, reloaded when they
	// change. Required.
	CertFile, KeyFile string
	// PolicyFile is the policy, reloaded when it changes; empty means
	// DefaultPolicy.
	PolicyFile string
	// Catalog is the rule catalog. Required.
	Catalog []*rule.Rule
	// Namespaces looks up namespace labels; optional. NamespacesSynced,
	// when set, holds readiness until the lookup is filled.
	Namespaces       NamespaceLabels
	NamespacesSynced func() bool
	// ReloadInterval is how often the policy and key pair are checked for
	// changes; 0 means 5 seconds.
	ReloadInterval time.Duration
	// RequestTimeout bounds one request; 0 means 10 seconds, the API
	// server's longest webhook timeout.
	RequestTimeout time.Duration
	// ShutdownDelay is how long the server reports not ready before it
	// stops, so that Service endpoints drop it first; 0 stops at once.
	ShutdownDelay time.Duration
	// Log receives structured logs; nil discards them.
	Log *slog.Logger
}

// Server is the webhook server: TLS that reloads, the admission endpoints,
// health, readiness and metrics.
type Server struct {
	opts    ServerOptions
	handler *Handler
	metrics *Metrics
	cert    *certificate
	policyW *watcher
	certW   *watcher

	ln, probeLn net.Listener
	https       *http1.Server
	probe       *http.Server
	stopping    atomic.Bool
	generation  atomic.Int64
}

// NewServer loads the policy and key pair (failing when either is
// unusable: a webhook that starts without them would deny or admit
// everything) and binds the listeners.
func NewServer(opts ServerOptions) (*Server, error) {
	if opts.ReloadInterval == 0 {
		opts.ReloadInterval = 5 * time.Second
	}
	if opts.RequestTimeout == 0 {
		opts.RequestTimeout = 10 * time.Second
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	s := &Server{opts: opts, metrics: NewMetrics(), cert: &certificate{certFile: opts.CertFile, keyFile: opts.KeyFile}}
	pol, err := s.loadPolicy()
	if err != nil {
		return nil, err
	}
	s.handler = NewHandler(pol, Options{Catalog: opts.Catalog, Namespaces: opts.Namespaces, Metrics: s.metrics, Log: opts.Log})
	s.generation.Store(1)
	s.metrics.policyGen.Set(1)
	if err := s.cert.load(); err != nil {
		return nil, err
	}
	logErr := func(file string) func(error) {
		return func(err error) {
			s.metrics.reloads.WithLabelValues(file, "error").Inc()
			opts.Log.Error("reload failed; the last good one stays in force", "file", file, "error", err)
		}
	}
	s.certW = newWatcher(opts.ReloadInterval, func() error {
		if err := s.cert.load(); err != nil {
			return err
		}
		s.metrics.reloads.WithLabelValues("certificate", "ok").Inc()
		opts.Log.Info("TLS key pair loaded", "cert", opts.CertFile)
		return nil
	}, logErr("certificate"), opts.CertFile, opts.KeyFile)
	s.certW.prime()
	if opts.PolicyFile != "" {
		s.policyW = newWatcher(opts.ReloadInterval, func() error {
			p, err := s.loadPolicy()
			if err != nil {
				return err
			}
			s.handler.SetPolicy(p)
			g := s.generation.Add(1)
			s.metrics.policyGen.Set(float64(g))
			s.metrics.reloads.WithLabelValues("policy", "ok").Inc()
			opts.Log.Info("policy loaded", "file", opts.PolicyFile, "generation", g)
			return nil
		}, logErr("policy"), opts.PolicyFile)
		s.policyW.prime()
	}

	// HTTP/1.1 only (see docs/webhook.md): no HTTP/2 rapid-reset
	// exposure, as controller-runtime decided, and HTTP/2 cost more CPU per
	// review here and doubled p99 under load.
	// Responses are small and wanted whole: one record each from a
	// connection's first response, not the small records crypto/tls
	// starts with for browsers.
	tlsConf := &tls.Config{
		MinVersion:                  tls.VersionTLS12,
		GetCertificate:              s.cert.get,
		NextProtos:                  []string{"http/1.1"},
		DynamicRecordSizingDisabled: true,
	}
	mux := http.NewServeMux()
	// No http.TimeoutHandler: it costs a goroutine hand-off and a copy of
	// every response, and cannot stop a handler anyway. WriteTimeout
	// bounds each request from the end of its headers to the end of its
	// response: a request that overruns it has its connection closed, and
	// the API server applies the webhook's failurePolicy.
	mux.Handle("/validate", s.handler.Validating())
	mux.Handle("/mutate", s.handler.Mutating())
	s.probeRoutes(mux)
	// The admission endpoints are served by http1 rather than net/http's
	// server, whose per-request connection watching cost more CPU than
	// the rest of the transport together (see internal/http1); the probe
	// listener below has no such load and keeps net/http.
	s.https = &http1.Server{
		Handler:           mux,
		TLSConfig:         tlsConf,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       opts.RequestTimeout,
		WriteTimeout:      opts.RequestTimeout,
		IdleTimeout:       90 * time.Second,
		MaxHeaderBytes:    64 << 10,
		Log:               opts.Log,
	}
	if s.ln, err = net.Listen("tcp", opts.Addr); err != nil {
		return nil, err
	}
	if opts.ProbeAddr != "" {
		pm := http.NewServeMux()
		s.probeRoutes(pm)
		s.probe = &http.Server{
			Handler:           pm,
			ReadHeaderTimeout: 5 * time.Second,
			ReadTimeout:       10 * time.Second,
			WriteTimeout:      30 * time.Second,
			IdleTimeout:       90 * time.Second,
			MaxHeaderBytes:    16 << 10,
			ErrorLog:          slog.NewLogLogger(opts.Log.Handler(), slog.LevelWarn),
		}
		if s.probeLn, err = net.Listen("tcp", opts.ProbeAddr); err != nil {
			_ = s.ln.Close()
			return nil, err
		}
	}
	return s, nil
}

func (s *Server) loadPolicy() (*Policy, error) {
	if s.opts.PolicyFile == "" {
		return ParsePolicy("default policy", []byte(DefaultPolicy), s.opts.Catalog)
	}
	return LoadPolicy(s.opts.PolicyFile, s.opts.Catalog)
}

func (s *Server) probeRoutes(mux *http.ServeMux) {
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if err := s.ready(); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.Handle("/metrics", promhttp.HandlerFor(s.metrics.Registry, promhttp.HandlerOpts{Timeout: 10 * time.Second}))
}

func (s *Server) ready() error {
	switch {
	case s.stopping.Load():
		return errors.New("shutting down")
	case s.opts.NamespacesSynced != nil && s.handler.Policy().UsesNamespaceLabels() && !s.opts.NamespacesSynced():
		return errors.New("namespace labels not synced yet")
	}
	return nil
}

// Addr is the address the HTTPS listener is bound to.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// ProbeAddr is the address of the probe listener, or nil.
func (s *Server) ProbeAddr() net.Addr {
	if s.probeLn == nil {
		return nil
	}
	return s.probeLn.Addr()
}

// Handler is the admission handler, for tests that drive it directly.
func (s *Server) Handler() *Handler { return s.handler }

// Run serves until ctx is done, then reports not ready for ShutdownDelay,
// stops accepting connections and waits for requests in flight.
func (s *Server) Run(ctx context.Context) error {
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	var wg sync.WaitGroup
	for _, w := range []*watcher{s.certW, s.policyW} {
		if w != nil {
			wg.Add(1)
			go func() { defer wg.Done(); w.run(watchCtx) }()
		}
	}
	errc := make(chan error, 2)
	go func() { errc <- s.https.Serve(s.ln) }()
	if s.probe != nil {
		go func() { errc <- s.probe.Serve(s.probeLn) }()
	}
	s.opts.Log.Info("serving", "addr", s.ln.Addr().String(), "probeAddr", addrString(s.ProbeAddr()), "policy", s.opts.PolicyFile)
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
		err = fmt.Errorf("server stopped: %w", err)
	}
	s.stopping.Store(true)
	if err == nil && s.opts.ShutdownDelay > 0 {
		time.Sleep(s.opts.ShutdownDelay)
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), s.opts.RequestTimeout+5*time.Second)
	defer cancel()
	if e := s.https.Shutdown(shutCtx); e != nil && err == nil {
		err = e
	}
	if s.probe != nil {
		if e := s.probe.Shutdown(shutCtx); e != nil && err == nil {
			err = e
		}
	}
	stopWatch()
	wg.Wait()
	return err
}

func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}
