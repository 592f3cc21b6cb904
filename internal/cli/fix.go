package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/palisade-dev/palisade/internal/config"
	"github.com/palisade-dev/palisade/internal/engine"
	"github.com/palisade-dev/palisade/internal/fix"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/report"
	"github.com/palisade-dev/palisade/internal/rule"
	"github.com/palisade-dev/palisade/internal/rules"
	"github.com/palisade-dev/palisade/internal/source/manifest"
)

type fixFlags struct {
	diff        bool
	rules       []string
	severity    string
	unsafe      bool
	failOn      string
	pssLevel    string
	pssVersion  string
	kubeVersion string
	configFile  string
	noConfig    bool
	strict      bool
}

func newFixCommand(e *env) *cobra.Command {
	var f fixFlags
	cmd := &cobra.Command{
		Use:   "fix PATH... | -",
		Short: "Fix security problems in manifests, in place",
		Long: `Apply the fixes of the findings that carry one, editing the files in place (- reads standard
input and writes the fixed manifests to standard output). Each file keeps its comments, key
order, indentation, quoting, anchors and line endings, and documents without a fix stay byte for
byte the same. A file that does not parse, or whose fix fails a check, is left as it was.

Fixes that can stop an application (a read-only root filesystem, dropped capabilities, a
default-deny NetworkPolicy) are applied only with --unsafe; each skipped fix says what to check.
Suppressed findings are not fixed. When two fixes change the same field, the one of the more
severe finding wins (then the lower rule ID) and the other is reported.

Exit codes:
  0  no unsuppressed finding of the selected rules at or above --fail-on remains
  1  such findings remain (they have no fix, or their fix was skipped)
  2  usage error, input that could not be read, parsed or fixed, or a rule that could not run`,
		Example: `  palisade fix --diff deploy/          # show what would change
  palisade fix deploy/
  palisade fix --unsafe --rules read-only-root-filesystem,resources-missing deploy/web.yaml`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError{fmt.Errorf("fix needs at least one path (or - for standard input)")}
			}
			return runFix(e, f, args)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&f.diff, "diff", false, "print a unified diff of the changes instead of making them")
	fl.StringSliceVar(&f.rules, "rules", nil, "fix only the findings of these rule `IDs` (comma-separated)")
	fl.StringVar(&f.severity, "severity", "info", "fix only findings at or above `SEVERITY`")
	fl.BoolVar(&f.unsafe, "unsafe", false, "also apply fixes that can break a running application")
	fl.StringVar(&f.failOn, "fail-on", "", "lowest `SEVERITY` of remaining findings that fails the run (default high)")
	fl.StringVar(&f.pssLevel, "pss-level", "", "Pod Security Standards level: baseline or restricted (default restricted)")
	fl.StringVar(&f.pssVersion, "pss-version", "", "Pod Security Standards version, e.g. v1.30 (default latest)")
	fl.StringVar(&f.kubeVersion, "kube-version", "", "target Kubernetes version for API removal checks, e.g. v1.29")
	fl.StringVar(&f.configFile, "config", "", "configuration `FILE` (default: .palisade.yaml found upward from the first path)")
	fl.BoolVar(&f.noConfig, "no-config", false, "ignore any .palisade.yaml")
	fl.BoolVar(&f.strict, "strict", false, "ignore suppression annotations in manifests")
	return cmd
}

// fixRun is the state of one `palisade fix`.
type fixRun struct {
	e        *env
	f        fixFlags
	selected []*engine.Configured
	ropts    rule.Options
	cfg      *config.Config
	minSev   rule.Severity
	only     map[string]bool // rule IDs of --rules; nil for all
	// files are the input files in load order, with their current objects.
	files   []string
	objects map[string][]*object.Object
	stdin   []byte
	// claims are the new objects each file creates.
	claims map[fix.ObjectKey]string
}

func runFix(e *env, f fixFlags, paths []string) error {
	if slices.Contains(paths, "-") && len(paths) > 1 {
		return usageError{fmt.Errorf("- (standard input) cannot be fixed together with other paths")}
	}
	r := &fixRun{e: e, f: f, objects: map[string][]*object.Object{}, claims: map[fix.ObjectKey]string{}}
	cfg, err := loadConfig(scanFlags{configFile: f.configFile, noConfig: f.noConfig}, paths)
	if err != nil {
		return err
	}
	r.cfg = cfg
	failOn, err := rule.ParseSeverity(firstNonEmpty(f.failOn, cfg.FailOn, "high"))
	if err != nil {
		return usageError{fmt.Errorf("--fail-on: %w", err)}
	}
	if r.minSev, err = rule.ParseSeverity(f.severity); err != nil {
		return usageError{fmt.Errorf("--severity: %w", err)}
	}
	if r.ropts, err = ruleOptions(cfg, f.pssLevel, f.pssVersion, f.kubeVersion); err != nil {
		return usageError{err}
	}
	if len(f.rules) > 0 {
		r.only = map[string]bool{}
		for _, id := range f.rules {
			rl := rules.ByID(id)
			if rl == nil {
				return usageError{fmt.Errorf("--rules: no rule %q (see `palisade rules`)", id)}
			}
			if !rl.Fixable {
				_, _ = fmt.Fprintf(e.stderr, "palisade: rule %s has no automatic fix\n", rl.ID)
			}
			r.only[rl.ID] = true
		}
		// Rules named explicitly run even when they are off by default.
		if err := applyRuleFlags(cfg, f.rules, nil); err != nil {
			return usageError{err}
		}
	}
	if r.selected, err = engine.Select(rules.All(), cfg); err != nil {
		return usageError{err}
	}

	opts := manifest.Options{Stdin: e.stdin}
	if paths[0] == "-" {
		if r.stdin, err = io.ReadAll(e.stdin); err != nil {
			return err
		}
		opts.Stdin = bytes.NewReader(r.stdin)
	}
	in := manifest.Load(paths, opts)
	for _, o := range in.Objects {
		file := o.Source.File
		if _, ok := r.objects[file]; !ok {
			r.files = append(r.files, file)
		}
		r.objects[file] = append(r.objects[file], o)
	}
	failed, echoed := false, false
	for _, ie := range in.Errors {
		// Files that do not parse are reported and left alone.
		_, _ = fmt.Fprintf(e.stderr, "%s (not fixed)\n", ie.Error())
		failed = true
		if ie.File == "-" && !f.diff && !echoed {
			_, _ = e.stdout.Write(r.stdin) // a filter passes on what it cannot fix
			echoed = true
		}
		if _, ok := r.objects[ie.File]; ok {
			delete(r.objects, ie.File)
			r.files = slices.DeleteFunc(r.files, func(f string) bool { return f == ie.File })
		}
	}

	out := e.stdout
	if f.diff || paths[0] == "-" {
		out = e.stderr // the diff or the manifests go to standard output
	}
	var sum fixSummary
	for _, file := range r.files {
		res, ok := r.fixFile(file)
		failed = failed || !ok
		sum.add(res)
		r.printFile(out, res)
	}

	// The findings left, from a scan of every file as fixed.
	var all []*object.Object
	for _, file := range r.files {
		all = append(all, r.objects[file]...)
	}
	final := engine.Run(object.NewSet(all), engine.Options{
		Rules: r.selected, RuleOptions: r.ropts, Config: r.cfg, Strict: f.strict || r.cfg.Strict, Now: now,
	})
	for _, re := range final.RuleErrors {
		_, _ = fmt.Fprintln(e.stderr, re.Error())
		failed = true
	}
	for _, fd := range final.Findings {
		if fd.Suppressed != nil || (r.only != nil && !r.only[fd.RuleID]) {
			continue
		}
		sum.remaining++
		if fd.Severity >= failOn {
			sum.failing++
		}
	}
	sum.print(out, f.diff, failOn)
	switch {
	case failed:
		return exitError{report.ExitError}
	case sum.failing > 0:
		return exitError{report.ExitFindings}
	}
	return nil
}

// ruleOptions returns the rule options from the flags and the
// configuration, as scan computes them.
func ruleOptions(cfg *config.Config, level, version, kube string) (rule.Options, error) {
	ropts := rule.Options{
		PSSLevel:    firstNonEmpty(level, cfg.PSS.Level, "restricted"),
		PSSVersion:  firstNonEmpty(version, cfg.PSS.Version, "latest"),
		KubeVersion: firstNonEmpty(kube, cfg.KubeVersion),
	}
	if ropts.PSSLevel != "baseline" && ropts.PSSLevel != "restricted" {
		return ropts, fmt.Errorf("--pss-level must be baseline or restricted, not %q", ropts.PSSLevel)
	}
	if !config.ValidPSSVersion(ropts.PSSVersion) {
		return ropts, fmt.Errorf("--pss-version must be latest or a version such as v1.30, not %q", ropts.PSSVersion)
	}
	if ropts.KubeVersion != "" {
		v, ok := config.NormalizeKubeVersion(ropts.KubeVersion)
		if !ok {
			return ropts, fmt.Errorf("--kube-version must be latest or a version such as v1.30, not %q", ropts.KubeVersion)
		}
		ropts.KubeVersion = v
	}
	return ropts, nil
}

// fixFile fixes one file, writes it (or its diff) and reports whether all
// went well.
func (r *fixRun) fixFile(file string) (*fix.Result, bool) {
	var data []byte
	var err error
	if file == "-" {
		data = r.stdin
	} else if data, err = os.ReadFile(file); err != nil { //nolint:gosec // the user's own input file
		return &fix.Result{File: file, Err: err}, false
	}
	var claimed []fix.ObjectKey
	res := fix.File(file, data, fix.Options{
		Scan:     func(objs []*object.Object) *engine.Result { return r.scan(file, objs) },
		Want:     r.want,
		Unsafe:   r.f.unsafe,
		Editable: fix.Generated,
		Claim: func(owner string, key fix.ObjectKey) error {
			if other, ok := r.claims[key]; ok && other != owner {
				return fmt.Errorf("the fix of %s adds %s", other, key)
			}
			for _, f := range r.files {
				for _, o := range r.objects[f] {
					if f != owner && o.Kind == key.Kind && o.Name == key.Name && o.RawNamespace == key.Namespace {
						return fmt.Errorf("%s already exists in %s", key, f)
					}
				}
			}
			r.claims[key] = owner
			claimed = append(claimed, key)
			return nil
		},
	})
	if res.Err != nil {
		for _, k := range claimed {
			delete(r.claims, k)
		}
		if file == "-" && !r.f.diff {
			_, _ = r.e.stdout.Write(data) // a filter passes on what it cannot fix
		}
		return res, false
	}
	if !res.Changed() {
		if file == "-" && !r.f.diff {
			if _, err := r.e.stdout.Write(data); err != nil {
				res.Err = err
				return res, false
			}
		}
		return res, true
	}
	// Later files are fixed with this one's objects as context.
	r.objects[file] = object.Decode(file, res.After).Objects
	switch {
	case file == "-":
		if r.f.diff {
			err = fix.Diff(r.e.stdout, "-", res.Before, res.After)
		} else {
			_, err = r.e.stdout.Write(res.After)
		}
	case r.f.diff:
		err = fix.Diff(r.e.stdout, file, res.Before, res.After)
	default:
		err = fix.WriteFile(file, res.Before, res.After)
	}
	if err != nil {
		res.Err = err
		return res, false
	}
	return res, true
}

// want selects the findings whose fixes run: those of --rules, at or above
// --severity.
func (r *fixRun) want(f *engine.Finding) bool {
	return f.Severity >= r.minSev && (r.only == nil || r.only[f.RuleID])
}

// scan evaluates objs, the current objects of file, with every other file
// as context, in load order.
func (r *fixRun) scan(file string, objs []*object.Object) *engine.Result {
	var all []*object.Object
	for _, f := range r.files {
		if f == file {
			all = append(all, objs...)
		} else {
			all = append(all, r.objects[f]...)
		}
	}
	return engine.Run(object.NewSet(all), engine.Options{
		Rules: r.selected, RuleOptions: r.ropts, Config: r.cfg, Strict: r.f.strict || r.cfg.Strict, Now: now,
		Objects: objs,
	})
}

// printFile reports what happened to one file.
func (r *fixRun) printFile(w io.Writer, res *fix.Result) {
	if res.Err != nil {
		_, _ = fmt.Fprintf(w, "%s: not fixed: %v\n", res.File, res.Err)
		return
	}
	if len(res.Applied) == 0 && len(res.Skipped) == 0 {
		return
	}
	verb := "fixed"
	if r.f.diff {
		verb = "would fix"
	}
	_, _ = fmt.Fprintf(w, "%s: %d %s, %d skipped\n", res.File, len(res.Applied), plural(len(res.Applied), "fix", "fixes"), len(res.Skipped))
	for _, c := range res.Applied {
		line := fmt.Sprintf("  %-9s %s:%d %s %s", verb, res.File, c.Finding.Pos.Line, c.Finding.RuleID, c.Finding.Message)
		if c.Created != nil {
			line += " (adds " + describe(c.Created) + ")"
		}
		_, _ = fmt.Fprintln(w, line)
	}
	for _, c := range res.Skipped {
		_, _ = fmt.Fprintf(w, "  %-9s %s:%d %s %s\n            why: %s\n", "skipped", res.File, c.Finding.Pos.Line, c.Finding.RuleID, c.Finding.Message, c.Reason)
	}
}

func describe(v any) string {
	m, _ := v.(map[string]any)
	md, _ := m["metadata"].(map[string]any)
	kind, _ := m["kind"].(string)
	name, _ := md["name"].(string)
	if ns, _ := md["namespace"].(string); ns != "" {
		return fmt.Sprintf("%s %s/%s", kind, ns, name)
	}
	return kind + " " + name
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// fixSummary counts the outcome of a run.
type fixSummary struct {
	files, applied, skipped, notFixed int
	remaining, failing                int
}

func (s *fixSummary) add(res *fix.Result) {
	if res.Err != nil {
		s.notFixed++
		return
	}
	if res.Changed() {
		s.files++
	}
	s.applied += len(res.Applied)
	s.skipped += len(res.Skipped)
}

func (s *fixSummary) print(w io.Writer, diff bool, failOn rule.Severity) {
	var b strings.Builder
	verb := "changed"
	if diff {
		verb = "would change"
	}
	fmt.Fprintf(&b, "%d %s %s, %d %s applied, %d skipped", s.files, plural(s.files, "file", "files"), verb,
		s.applied, plural(s.applied, "fix", "fixes"), s.skipped)
	if s.notFixed > 0 {
		fmt.Fprintf(&b, ", %d %s not fixed", s.notFixed, plural(s.notFixed, "file", "files"))
	}
	fmt.Fprintf(&b, "; %d %s remain", s.remaining, plural(s.remaining, "finding", "findings"))
	if s.failing > 0 {
		fmt.Fprintf(&b, ", %d at or above %s", s.failing, failOn)
	}
	_, _ = fmt.Fprintln(w, b.String())
}
