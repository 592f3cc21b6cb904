package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/palisade-dev/palisade/internal/config"
	"github.com/palisade-dev/palisade/internal/engine"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/profiling"
	"github.com/palisade-dev/palisade/internal/report"
	"github.com/palisade-dev/palisade/internal/rule"
	"github.com/palisade-dev/palisade/internal/rules"
	"github.com/palisade-dev/palisade/internal/source/manifest"
)

// now is the clock that expires suppressions; tests replace it.
var now = time.Now

type scanFlags struct {
	outputs        []string
	failOn         string
	minSeverity    string
	pssLevel       string
	pssVersion     string
	kubeVersion    string
	configFile     string
	noConfig       bool
	strict         bool
	verbose        bool
	showSuppressed bool
	enable         []string
	disable        []string
	color          string
	cpuProfile     string
	memProfile     string
	sources        sourceFlags
	cluster        clusterFlags
	graph          graphFlags
	images         imageScanFlags
}

func newScanCommand(e *env) *cobra.Command {
	var f scanFlags
	cmd := &cobra.Command{
		Use:   "scan PATH... | - | --cluster",
		Short: "Scan manifests for security problems",
		Long: `Scan Kubernetes manifests: files, directories (recursively: .yaml, .yml, .json), or - for standard input.

Helm charts (a directory with Chart.yaml, or a .tgz) and Kustomize directories (with a
kustomization.yaml) are rendered in-process, offline, and findings point at the template,
values, base or patch line to edit. --values, --set, --set-string, --set-file, --release-name
and --namespace apply to a chart named on the command line; charts found inside a directory
use their own values.yaml. A kustomization that others in the tree build on is scanned
through them, not on its own.

--cluster reads a live cluster instead (kubeconfig, --context, --in-cluster): the context's
namespace, the namespaces of -n, or everything with -A; -l reports only matching objects. It
only lists, never writes; kinds it may not list are skipped with a notice. A pod owned by a
controller is reported on its controller. See docs/cluster.md.

--graph FILE writes the attack paths (rule attack-path) as Graphviz DOT or Mermaid.

Outputs (-o, repeatable): text, json, sarif, junit; write one to a file with FORMAT=FILE,
for example -o text -o sarif=results.sarif.

Exit codes:
  0  no unsuppressed finding at or above --fail-on
  1  findings at or above --fail-on
  2  usage error, input that could not be read or parsed, or a rule that could not run`,
		Example: `  palisade scan deploy/
  palisade scan --pss-level baseline -o sarif=palisade.sarif k8s/
  palisade scan charts/web -f charts/web/values-prod.yaml --set image.tag=1.4.2
  palisade scan deploy/overlays/prod
  kubectl get deploy -A -o yaml | palisade scan -
  palisade scan --cluster -A -o sarif=cluster.sarif
  palisade scan --cluster --context prod -n shop --graph paths.dot`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 && !f.cluster.cluster {
				return usageError{fmt.Errorf("scan needs at least one path (or - for standard input), or --cluster")}
			}
			if err := f.cluster.check(args); err != nil {
				return err
			}
			if err := f.graph.check(); err != nil {
				return err
			}
			if err := f.images.check(); err != nil {
				return err
			}
			return runScan(e, f, args)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVarP(&f.outputs, "output", "o", nil, "output `FORMAT[=FILE]`: text, json, sarif, junit (repeatable; default text)")
	fl.StringVar(&f.failOn, "fail-on", "", "lowest `SEVERITY` that fails the scan: critical, high, medium, low, info (default high)")
	fl.StringVar(&f.minSeverity, "min-severity", "info", "report only findings at or above `SEVERITY`")
	fl.StringVar(&f.pssLevel, "pss-level", "", "Pod Security Standards level: baseline or restricted (default restricted)")
	fl.StringVar(&f.pssVersion, "pss-version", "", "Pod Security Standards version, e.g. v1.30 (default latest)")
	fl.StringVar(&f.kubeVersion, "kube-version", "", "target Kubernetes version for API removal checks, e.g. v1.29")
	fl.StringVar(&f.configFile, "config", "", "configuration `FILE` (default: .palisade.yaml found upward from the first path)")
	fl.BoolVar(&f.noConfig, "no-config", false, "ignore any .palisade.yaml")
	fl.BoolVar(&f.strict, "strict", false, "ignore suppression annotations in manifests")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "also list documents that are not Kubernetes objects")
	fl.BoolVar(&f.showSuppressed, "show-suppressed", false, "list suppressed findings in text output")
	fl.StringSliceVar(&f.enable, "enable", nil, "enable rules by `ID` (including those off by default)")
	fl.StringSliceVar(&f.disable, "disable", nil, "disable rules by `ID`")
	fl.StringVar(&f.color, "color", "auto", "colour text output: auto, always, never")
	fl.StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile to `FILE` (for performance reports)")
	_ = fl.MarkHidden("cpuprofile")
	fl.StringVar(&f.memProfile, "memprofile", "", "write a heap profile to `FILE` once the rules have run, when the heap is largest (for performance reports)")
	_ = fl.MarkHidden("memprofile")
	addSourceFlags(fl, &f.sources)
	addClusterFlags(fl, &f.cluster)
	addGraphFlags(fl, &f.graph)
	addImageScanFlags(fl, &f.images)
	return cmd
}

// output is one requested output.
type output struct {
	format string
	file   string // "" for stdout
}

var scanFormats = []string{"text", "json", "sarif", "junit"}

// parseOutputs parses -o FORMAT[=FILE] flags, accepting the formats given:
// at most one output on standard output, and no two into one file.
func parseOutputs(specs []string, formats []string) ([]output, error) {
	if len(specs) == 0 {
		return []output{{format: "text"}}, nil
	}
	var outs []output
	stdout := 0
	files := map[string]bool{}
	for _, s := range specs {
		format, file, _ := strings.Cut(s, "=")
		if !slices.Contains(formats, format) {
			return nil, fmt.Errorf("unknown output format %q (want %s)", format, strings.Join(formats, ", "))
		}
		if file == "" || file == "-" {
			file = ""
			stdout++
		} else {
			key := filepath.Clean(file)
			if files[key] {
				return nil, fmt.Errorf("two outputs write to %s; give each its own file", file)
			}
			files[key] = true
		}
		outs = append(outs, output{format: format, file: file})
	}
	if stdout > 1 {
		return nil, fmt.Errorf("only one output can go to standard output; give the others a file (FORMAT=FILE)")
	}
	return outs, nil
}

func runScan(e *env, f scanFlags, paths []string) error {
	if f.cpuProfile != "" {
		stop, err := profiling.StartCPU(f.cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	outs, err := parseOutputs(f.outputs, scanFormats)
	if err != nil {
		return usageError{err}
	}
	switch f.color {
	case "auto", "always", "never":
	default:
		return usageError{fmt.Errorf("--color must be auto, always or never, not %q", f.color)}
	}
	cfg, err := loadConfig(f, paths)
	if err != nil {
		return err
	}
	failOn, err := rule.ParseSeverity(firstNonEmpty(f.failOn, cfg.FailOn, "high"))
	if err != nil {
		return usageError{fmt.Errorf("--fail-on: %w", err)}
	}
	minSev, err := rule.ParseSeverity(f.minSeverity)
	if err != nil {
		return usageError{fmt.Errorf("--min-severity: %w", err)}
	}
	ropts := rule.Options{
		PSSLevel:    firstNonEmpty(f.pssLevel, cfg.PSS.Level, "restricted"),
		PSSVersion:  firstNonEmpty(f.pssVersion, cfg.PSS.Version, "latest"),
		KubeVersion: firstNonEmpty(f.kubeVersion, cfg.KubeVersion),
	}
	if ropts.PSSLevel != "baseline" && ropts.PSSLevel != "restricted" {
		return usageError{fmt.Errorf("--pss-level must be baseline or restricted, not %q", ropts.PSSLevel)}
	}
	// Versions are checked here, once, rather than by every rule on every
	// object, where a typo would turn into one rule error per object.
	if !config.ValidPSSVersion(ropts.PSSVersion) {
		return usageError{fmt.Errorf("--pss-version must be latest or a version such as v1.30, not %q", ropts.PSSVersion)}
	}
	if ropts.KubeVersion != "" {
		v, ok := config.NormalizeKubeVersion(ropts.KubeVersion)
		if !ok {
			return usageError{fmt.Errorf("--kube-version must be latest or a version such as v1.30, not %q", ropts.KubeVersion)}
		}
		ropts.KubeVersion = v
	}
	if err := applyRuleFlags(cfg, f.enable, f.disable); err != nil {
		return usageError{err}
	}
	selected, err := engine.Select(rules.All(), cfg)
	if err != nil {
		return usageError{err}
	}

	var (
		in          *manifest.Input
		evaluate    []*object.Object // nil: every object
		liveNotices []engine.Notice
		clusterName string
	)
	if f.cluster.cluster {
		live, name, err := readCluster(e, f.cluster, f.sources.namespace, nil)
		if err != nil {
			return err
		}
		in, evaluate, liveNotices = clusterInput(live, name)
		clusterName = name
		ropts.Complete = true
	} else {
		in, err = loadInputs(paths, f.sources, ropts.KubeVersion, manifest.Options{Stdin: e.stdin})
		if err != nil {
			return err
		}
	}
	set := object.NewSet(in.Objects)
	var imgs imageScan
	if f.images.images {
		scope := evaluate
		if scope == nil {
			scope = in.Objects
		}
		r, err := scanImages(context.Background(), f.images, scope)
		if err != nil {
			return err
		}
		imgs = *r
		in.Errors = append(in.Errors, imgs.errors...)
		liveNotices = append(liveNotices, imgs.notices...)
	}
	res := engine.Run(set, engine.Options{
		Rules: selected, RuleOptions: ropts, Config: cfg, Strict: f.strict || cfg.Strict, Now: now, Objects: evaluate,
		External: imgs.findings,
	})
	res.Notices = append(liveNotices, res.Notices...)
	if f.memProfile != "" {
		if err := profiling.WriteHeap(f.memProfile); err != nil {
			return err
		}
	}
	if err := writeGraph(e, f.graph, set); err != nil {
		return err
	}
	rep := &report.Report{
		Tool:        report.Tool{Name: "palisade", Version: Version(), InformationURI: "https://github.com/palisade-dev/palisade"},
		Findings:    filterSeverity(res.Findings, minSev),
		InputErrors: in.Errors,
		RuleErrors:  res.RuleErrors,
		Notices:     res.Notices,
		Skipped:     in.Skipped,
		FailOn:      failOn,
		Files:       in.Files,
		Objects:     in.Objects,
		Cluster:     clusterName,
	}
	if evaluate != nil {
		rep.Objects = evaluate
	}
	for _, c := range selected {
		rep.Rules = append(rep.Rules, c.Rule)
	}
	rep.Rules = append(rep.Rules, imgs.rules...)
	for _, ie := range in.Errors {
		_, _ = fmt.Fprintln(e.stderr, ie.Error())
	}
	// The text report lists rule errors; without one on standard output,
	// they go to standard error so that exit code 2 never comes silently.
	if !slices.Contains(outs, output{format: "text"}) {
		for _, re := range res.RuleErrors {
			_, _ = fmt.Fprintln(e.stderr, re.Error())
		}
	}
	for _, o := range outs {
		if err := writeOutput(e, o, rep, f); err != nil {
			return err
		}
	}
	if code := rep.ExitCode(); code != report.ExitOK {
		return exitError{code}
	}
	return nil
}

func filterSeverity(fs []engine.Finding, min rule.Severity) []engine.Finding {
	if min <= rule.Info {
		return fs
	}
	out := fs[:0:0]
	for _, f := range fs {
		if f.Severity >= min {
			out = append(out, f)
		}
	}
	return out
}

func loadConfig(f scanFlags, paths []string) (*config.Config, error) {
	if f.noConfig {
		return &config.Config{}, nil
	}
	file := f.configFile
	if file == "" {
		start := "."
		if len(paths) > 0 && paths[0] != "-" {
			start = paths[0]
		}
		file = config.Find(start)
		// Find returns an absolute path. Messages and suppression sources
		// name the file the way the scanned path was given, as they name
		// input files: relative to the working directory unless absolute.
		if file != "" && !filepath.IsAbs(start) {
			if wd, err := os.Getwd(); err == nil {
				if rel, err := filepath.Rel(wd, file); err == nil {
					file = rel
				}
			}
		}
	}
	if file == "" {
		return &config.Config{}, nil
	}
	cfg, err := config.Load(file)
	if err != nil {
		return nil, usageError{err}
	}
	return cfg, nil
}

// applyRuleFlags folds --enable and --disable into the configuration, where
// they take precedence over the file.
func applyRuleFlags(cfg *config.Config, enable, disable []string) error {
	if cfg.Rules == nil {
		cfg.Rules = map[string]config.RuleConfig{}
	}
	set := func(ids []string, on bool) error {
		for _, id := range ids {
			r := rules.ByID(id)
			if r == nil {
				return fmt.Errorf("no rule %q (see `palisade rules`)", id)
			}
			// Update the file's settings for the rule whether the file
			// names it by its ID or by an alias.
			key := r.ID
			for _, k := range append([]string{r.ID}, r.Aliases...) {
				if _, ok := cfg.Rules[k]; ok {
					key = k
					break
				}
			}
			rc := cfg.Rules[key]
			v := on
			rc.Enabled = &v
			cfg.Rules[key] = rc
		}
		return nil
	}
	if err := set(enable, true); err != nil {
		return err
	}
	return set(disable, false)
}

func writeOutput(e *env, o output, rep *report.Report, f scanFlags) (err error) {
	w := e.stdout
	if o.file != "" {
		file, err := os.Create(filepath.Clean(o.file))
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
	color := f.color == "always" || (f.color == "auto" && o.file == "" && isTerminal(e.stdout))
	bw := bufio.NewWriterSize(w, 64<<10)
	if err := render(bw, o.format, rep, renderOptions{color: color, verbose: f.verbose, showSuppressed: f.showSuppressed}); err != nil {
		return err
	}
	return bw.Flush()
}

func isTerminal(w io.Writer) bool {
	if os.Getenv("NO_COLOR") != "" {
		return false
	}
	file, ok := w.(*os.File)
	return ok && term.IsTerminal(int(file.Fd())) //nolint:gosec // file descriptors fit in int
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
