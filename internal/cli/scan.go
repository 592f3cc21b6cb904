package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/palisade-dev/palisade/internal/config"
	"github.com/palisade-dev/palisade/internal/engine"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/report"
	"github.com/palisade-dev/palisade/internal/rule"
	"github.com/palisade-dev/palisade/internal/rules"
	"github.com/palisade-dev/palisade/internal/source/manifest"
)

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
}

func newScanCommand(e *env) *cobra.Command {
	var f scanFlags
	cmd := &cobra.Command{
		Use:   "scan PATH... | -",
		Short: "Scan manifests for security problems",
		Long: `Scan Kubernetes manifests: files, directories (recursively: .yaml, .yml, .json), or - for standard input.

Outputs (-o, repeatable): text, json, sarif, junit; write one to a file with FORMAT=FILE,
for example -o text -o sarif=results.sarif.

Exit codes:
  0  no unsuppressed finding at or above --fail-on
  1  findings at or above --fail-on
  2  usage error, input that could not be read or parsed, or a rule that could not run`,
		Example: `  palisade scan deploy/
  palisade scan --pss-level baseline -o sarif=palisade.sarif k8s/
  kubectl get deploy -A -o yaml | palisade scan -`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError{fmt.Errorf("scan needs at least one path (or - for standard input)")}
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
	return cmd
}

// output is one requested output.
type output struct {
	format string
	file   string // "" for stdout
}

var formats = map[string]bool{"text": true, "json": true, "sarif": true, "junit": true}

func parseOutputs(specs []string) ([]output, error) {
	if len(specs) == 0 {
		return []output{{format: "text"}}, nil
	}
	var outs []output
	stdout := 0
	for _, s := range specs {
		format, file, _ := strings.Cut(s, "=")
		if !formats[format] {
			return nil, fmt.Errorf("unknown output format %q (want text, json, sarif or junit)", format)
		}
		if file == "" || file == "-" {
			file = ""
			stdout++
		}
		outs = append(outs, output{format: format, file: file})
	}
	if stdout > 1 {
		return nil, fmt.Errorf("only one output can go to standard output; give the others a file (FORMAT=FILE)")
	}
	return outs, nil
}

func runScan(e *env, f scanFlags, paths []string) error {
	outs, err := parseOutputs(f.outputs)
	if err != nil {
		return usageError{err}
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
	if err := applyRuleFlags(cfg, f.enable, f.disable); err != nil {
		return usageError{err}
	}
	selected, err := engine.Select(rules.All(), cfg)
	if err != nil {
		return usageError{err}
	}

	in := manifest.Load(paths, manifest.Options{Stdin: e.stdin})
	set := object.NewSet(in.Objects)
	res := engine.Run(set, engine.Options{
		Rules: selected, RuleOptions: ropts, Config: cfg, Strict: f.strict || cfg.Strict,
	})
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
	}
	for _, c := range selected {
		rep.Rules = append(rep.Rules, c.Rule)
	}
	for _, ie := range in.Errors {
		fmt.Fprintln(e.stderr, ie.Error())
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
			if rules.ByID(id) == nil {
				return fmt.Errorf("no rule %q (see `palisade rules`)", id)
			}
			rc := cfg.Rules[id]
			v := on
			rc.Enabled = &v
			cfg.Rules[id] = rc
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
	return render(w, o.format, rep, renderOptions{color: color, verbose: f.verbose, showSuppressed: f.showSuppressed})
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
