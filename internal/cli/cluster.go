package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"
	"golang.org/x/term"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/palisade-dev/palisade/internal/attackpath"
	"github.com/palisade-dev/palisade/internal/engine"
	"github.com/palisade-dev/palisade/internal/object"
	attackpathrule "github.com/palisade-dev/palisade/internal/rules/attackpath"
	"github.com/palisade-dev/palisade/internal/source/cluster"
	"github.com/palisade-dev/palisade/internal/source/manifest"
)

// clusterFlags choose a live cluster as the input, as kubectl's flags do.
type clusterFlags struct {
	cluster       bool
	kubeconfig    string
	context       string
	inCluster     bool
	allNamespaces bool
	selector      string
}

func addClusterFlags(fl *pflag.FlagSet, f *clusterFlags) {
	fl.BoolVar(&f.cluster, "cluster", false, "read a live cluster instead of files (read-only; see deploy/rbac/palisade-scanner.yaml)")
	fl.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig `FILE` for --cluster (default $KUBECONFIG or ~/.kube/config)")
	fl.StringVar(&f.context, "context", "", "kubeconfig `CONTEXT` for --cluster (default the current context)")
	fl.BoolVar(&f.inCluster, "in-cluster", false, "with --cluster, use the service account of the pod Palisade runs in")
	fl.BoolVarP(&f.allNamespaces, "all-namespaces", "A", false, "with --cluster, scan every namespace and the cluster-scoped objects")
	fl.StringVarP(&f.selector, "selector", "l", "", "with --cluster, report only objects whose labels match this `SELECTOR` (key=value,...)")
}

// used reports whether any cluster flag was given.
func (f clusterFlags) used() bool {
	return f.cluster || f.kubeconfig != "" || f.context != "" || f.inCluster || f.allNamespaces || f.selector != ""
}

// check rejects cluster flags without --cluster and paths with it.
func (f clusterFlags) check(paths []string) error {
	if !f.cluster {
		if f.used() {
			return usageError{fmt.Errorf("--kubeconfig, --context, --in-cluster, -A and -l need --cluster")}
		}
		return nil
	}
	if len(paths) > 0 {
		return usageError{fmt.Errorf("--cluster reads a live cluster: give no paths")}
	}
	return nil
}

// readCluster lists the objects of the cluster f names: of the given
// kinds, or of every kind when kinds is empty. namespace is the -n value (a
// comma-separated list); without it and -A, the context's namespace is
// read, as kubectl does.
func readCluster(e *env, f clusterFlags, namespace string, kinds []string) (*cluster.Result, string, error) {
	if f.allNamespaces && namespace != "" {
		return nil, "", usageError{fmt.Errorf("-A and -n cannot be combined")}
	}
	var sel labels.Selector
	if f.selector != "" {
		s, err := labels.Parse(f.selector)
		if err != nil {
			return nil, "", usageError{fmt.Errorf("-l: %w", err)}
		}
		sel = s
	}
	conn, err := cluster.Connect(cluster.ConnectOptions{Kubeconfig: f.kubeconfig, Context: f.context, InCluster: f.inCluster})
	if err != nil {
		return nil, "", usageError{err}
	}
	opts := cluster.Options{Name: conn.Name, Selector: sel, Kinds: kinds}
	switch {
	case f.allNamespaces:
	case namespace != "":
		for _, ns := range strings.Split(namespace, ",") {
			if ns = strings.TrimSpace(ns); ns != "" {
				opts.Namespaces = append(opts.Namespaces, ns)
			}
		}
	default:
		opts.Namespaces = []string{conn.Namespace}
	}
	if file, ok := e.stderr.(*os.File); ok && term.IsTerminal(int(file.Fd())) { //nolint:gosec // file descriptors fit in int
		opts.Progress = e.stderr
	}
	res, err := cluster.Load(context.Background(), conn.Config, opts)
	if err != nil {
		return nil, "", err
	}
	return res, conn.Name, nil
}

// clusterInput adapts what readCluster returns to the scan's input, and
// returns the objects to evaluate (those in scope; nil for all) and the
// notes as notices.
func clusterInput(res *cluster.Result, name string) (*manifest.Input, []*object.Object, []engine.Notice) {
	in := &manifest.Input{Objects: res.Objects}
	var eval []*object.Object
	for _, o := range res.Objects {
		if res.InScope(o) {
			eval = append(eval, o)
		}
	}
	if eval == nil {
		eval = []*object.Object{}
	}
	var notices []engine.Notice
	for _, n := range res.Notes {
		notices = append(notices, engine.Notice{File: "cluster://" + name, Message: n})
	}
	return in, eval, notices
}

// graphFlags ask for the attack-path graph.
type graphFlags struct {
	file   string
	format string
}

func addGraphFlags(fl *pflag.FlagSet, f *graphFlags) {
	fl.StringVar(&f.file, "graph", "", "write the attack-path graph to `FILE` (- for standard output)")
	fl.StringVar(&f.format, "graph-format", "", "graph format: dot or mermaid (default from the --graph file name: .mmd/.mermaid is mermaid, else dot)")
}

func (f graphFlags) check() error {
	switch f.format {
	case "", "dot", "mermaid":
	default:
		return usageError{fmt.Errorf("--graph-format must be dot or mermaid, not %q", f.format)}
	}
	if f.format != "" && f.file == "" {
		return usageError{fmt.Errorf("--graph-format needs --graph")}
	}
	return nil
}

// writeGraph writes the attack-path graph of set when --graph asks for it.
func writeGraph(e *env, f graphFlags, set *object.Set) (err error) {
	if f.file == "" {
		return nil
	}
	format := f.format
	if format == "" {
		switch strings.ToLower(filepath.Ext(f.file)) {
		case ".mmd", ".mermaid":
			format = "mermaid"
		default:
			format = "dot"
		}
	}
	w := e.stdout
	if f.file != "-" {
		file, err := os.Create(filepath.Clean(f.file))
		if err != nil {
			return err
		}
		defer func() {
			if cerr := file.Close(); err == nil {
				err = cerr
			}
		}()
		w = file
	}
	return attackpath.WriteGraph(w, attackpathrule.Graph(set), format)
}
