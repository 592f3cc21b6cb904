package cli

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/palisade-dev/palisade/internal/admission"
	"github.com/palisade-dev/palisade/internal/gcbudget"
	"github.com/palisade-dev/palisade/internal/profiling"
	"github.com/palisade-dev/palisade/internal/rules"
	"github.com/palisade-dev/palisade/internal/source/cluster"
)

type webhookFlags struct {
	addr, probeAddr   string
	certFile, keyFile string
	policy            string
	kubeconfig        string
	namespaceLabels   string
	logFormat         string
	logLevel          string
	reloadInterval    time.Duration
	requestTimeout    time.Duration
	shutdownDelay     time.Duration
	cpuProfile        string
	memProfile        string
	trace             string
	heapTargetMiB     int
	heapTargetSet     bool
}

func newWebhookCommand(e *env) *cobra.Command {
	var f webhookFlags
	cmd := &cobra.Command{
		Use:   "webhook",
		Short: "Run the admission webhook that enforces the rules in a cluster",
		Long: `Serve validating (/validate) and mutating (/mutate) admission webhooks over HTTPS.

Requests are checked with the same rules as palisade scan, under a policy file
that sets, per namespace, the mode (enforce, warn, audit), the Pod Security
Standard, the rules and the severity that denies, and the exemptions. The
policy and the TLS key pair are reloaded when their files change.

/healthz, /readyz and /metrics are served on the HTTPS port and, for kubelet
probes and Prometheus, on --probe-addr over plain HTTP.

See docs/webhook.md; palisade webhook manifests prints what runs it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f.heapTargetSet = cmd.Flags().Changed("heap-target-mib")
			return runWebhook(cmd.Context(), e, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.addr, "addr", ":8443", "HTTPS listen `ADDRESS`")
	fl.StringVar(&f.probeAddr, "probe-addr", ":8080", "plain HTTP `ADDRESS` for /healthz, /readyz and /metrics (empty: none)")
	fl.StringVar(&f.certFile, "tls-cert-file", "/etc/palisade/tls/tls.crt", "serving certificate `FILE` (PEM; reloaded on change)")
	fl.StringVar(&f.keyFile, "tls-key-file", "/etc/palisade/tls/tls.key", "serving key `FILE` (PEM; reloaded on change)")
	fl.StringVar(&f.policy, "policy", "", "policy `FILE` (reloaded on change; default: enforce restricted, deny high and above)")
	fl.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig `FILE` for reading namespace labels (default: in-cluster when in a pod)")
	fl.StringVar(&f.namespaceLabels, "namespace-labels", "auto", "read namespace labels from the API server: auto (when the policy uses them and a cluster is reachable), on, off")
	fl.StringVar(&f.logFormat, "log-format", "json", "log `FORMAT`: json or text")
	fl.StringVar(&f.logLevel, "log-level", "info", "log `LEVEL`: debug, info, warn, error")
	fl.DurationVar(&f.reloadInterval, "reload-interval", 5*time.Second, "how often to check the policy and key pair for changes")
	fl.DurationVar(&f.requestTimeout, "request-timeout", 10*time.Second, "longest time one request may take")
	fl.DurationVar(&f.shutdownDelay, "shutdown-delay", 5*time.Second, "how long to report not ready before stopping on SIGTERM")
	fl.IntVar(&f.heapTargetMiB, "heap-target-mib", 0, "collect garbage when the heap reaches `MIB` while little of it is live (0: in proportion, as GOGC says; default: a third of GOMEMLIMIT, else 128, unless GOGC is set)")
	fl.StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile to `FILE` when the server stops (for performance reports)")
	_ = fl.MarkHidden("cpuprofile")
	fl.StringVar(&f.memProfile, "memprofile", "", "write a heap profile to `FILE` when the server stops: what is live then, and what was allocated (for performance reports)")
	_ = fl.MarkHidden("memprofile")
	fl.StringVar(&f.trace, "trace", "", "write an execution trace to `FILE` until the server stops (for latency reports; go tool trace reads it)")
	_ = fl.MarkHidden("trace")
	cmd.AddCommand(newWebhookCheckCommand(e), newWebhookManifestsCommand(e))
	return cmd
}

func newWebhookCheckCommand(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "check-policy FILE",
		Short: "Validate a webhook policy file",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			p, err := admission.LoadPolicy(args[0], rules.All())
			if err != nil {
				return usageError{err}
			}
			_, err = fmt.Fprintf(e.stdout, "%s: ok (%d profiles besides the defaults)\n", args[0], len(p.Profiles))
			return err
		},
	}
}

func newLogger(e *env, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, usageError{fmt.Errorf("--log-level: %w", err)}
	}
	ho := &slog.HandlerOptions{Level: lv}
	switch format {
	case "json":
		return slog.New(slog.NewJSONHandler(e.stderr, ho)), nil
	case "text":
		return slog.New(slog.NewTextHandler(e.stderr, ho)), nil
	}
	return nil, usageError{fmt.Errorf("--log-format must be json or text, not %q", format)}
}

// heapTarget is the heap budget for the garbage collector, in bytes, or 0
// to leave collection to GOGC: what --heap-target-mib says when given;
// else nothing if the operator set GOGC; else a third of the memory limit
// (GOMEMLIMIT, which the deployment sets from the container's limit), or
// 128 MiB without one. A third, because the process holds about 50 MiB
// besides the heap, and the heap can overshoot its target for a cycle
// when the live heap grows.
func heapTarget(flagMiB int, flagSet bool) uint64 {
	switch {
	case flagSet:
		return uint64(max(flagMiB, 0)) << 20
	case os.Getenv("GOGC") != "":
		return 0
	}
	if limit := debug.SetMemoryLimit(-1); limit > 0 && limit < math.MaxInt64 {
		return uint64(limit) / 3
	}
	return defaultHeapTarget
}

const defaultHeapTarget = 128 << 20

func runWebhook(ctx context.Context, e *env, f webhookFlags) (err error) {
	if ctx == nil {
		ctx = context.Background()
	}
	log, err := newLogger(e, f.logFormat, f.logLevel)
	if err != nil {
		return err
	}
	catalog := rules.All()
	if f.policy != "" {
		// Fail fast, with the file and line, before binding anything.
		if _, err := admission.LoadPolicy(f.policy, catalog); err != nil {
			return usageError{err}
		}
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, os.Interrupt)
	defer stop()
	opts := admission.ServerOptions{
		Addr: f.addr, ProbeAddr: f.probeAddr,
		CertFile: f.certFile, KeyFile: f.keyFile,
		PolicyFile:     f.policy,
		Catalog:        catalog,
		ReloadInterval: f.reloadInterval,
		RequestTimeout: f.requestTimeout,
		ShutdownDelay:  f.shutdownDelay,
		Log:            log,
	}
	switch f.namespaceLabels {
	case "off":
	case "auto":
		if f.kubeconfig == "" && os.Getenv("KUBERNETES_SERVICE_HOST") == "" {
			log.Info("not in a cluster and no --kubeconfig: profiles are chosen by namespace name only")
			break
		}
		fallthrough
	case "on":
		conn, err := cluster.Connect(cluster.ConnectOptions{Kubeconfig: f.kubeconfig})
		if err != nil {
			if f.namespaceLabels == "on" {
				return usageError{fmt.Errorf("--namespace-labels=on: %w", err)}
			}
			log.Warn("namespace labels unavailable: profiles are chosen by namespace name only", "error", err)
			break
		}
		lookup, synced, err := admission.WatchNamespaces(ctx, conn.Config)
		if err != nil {
			return err
		}
		opts.Namespaces, opts.NamespacesSynced = lookup, synced
	default:
		return usageError{fmt.Errorf("--namespace-labels must be auto, on or off, not %q", f.namespaceLabels)}
	}
	srv, err := admission.NewServer(opts)
	if err != nil {
		return err
	}
	// A request allocates tens of kilobytes and keeps none of them, and
	// the live heap is a few megabytes: collecting by a heap budget rather
	// than in proportion to that buys latency for some memory. Started
	// once the catalog and policy are loaded, so that it tunes to the
	// live heap the server will have.
	if budget := heapTarget(f.heapTargetMiB, f.heapTargetSet); budget > 0 {
		defer gcbudget.Start(budget)()
	}
	if f.cpuProfile != "" {
		stop, err := profiling.StartCPU(f.cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	if f.trace != "" {
		stop, err := profiling.StartTrace(f.trace)
		if err != nil {
			return err
		}
		defer stop()
	}
	if f.memProfile != "" {
		defer func() {
			if werr := profiling.WriteHeap(f.memProfile); err == nil {
				err = werr
			}
		}()
	}
	return srv.Run(ctx)
}
