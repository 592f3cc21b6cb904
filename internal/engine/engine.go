// Package engine runs rules over objects: in parallel, with per-rule
// severities and parameters from the configuration, and with suppressions
// (annotations in manifests and ignores in .palisade.yaml) applied
// afterwards so that suppressed findings stay visible in machine outputs.
//
// A rule that returns an error or panics is reported as a RuleError; the
// engine never treats a rule that could not run as a pass.
package engine

import (
	"cmp"
	"fmt"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/palisade-dev/palisade/internal/config"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
)

// Finding is a rule's finding placed in its source file.
type Finding struct {
	rule.Finding
	// Pos is where Path was written (or its nearest written ancestor).
	Pos object.Position
	// Suppressed says why the finding is suppressed; nil if it is not.
	Suppressed *Suppression
}

// Suppression records what suppressed a finding.
type Suppression struct {
	// Kind is "annotation" or "config".
	Kind   string `json:"kind"`
	Reason string `json:"reason"`
	// Expires is the date after which the suppression lapses; optional.
	Expires string `json:"expires,omitempty"`
	// Source locates the suppression: the annotation key, or the
	// configuration file and line.
	Source string `json:"source"`
}

// RuleError is a rule that could not evaluate an object.
type RuleError struct {
	RuleID string
	Object *object.Object
	Err    error
}

func (e RuleError) Error() string {
	return fmt.Sprintf("%s:%d: rule %s could not evaluate %s: %v", e.Object.Source.File, e.Object.Line, e.RuleID, e.Object.Ref(), e.Err)
}

// Notice is something the user should know that is neither a finding nor an
// error: an expired or malformed suppression, for example.
type Notice struct {
	File    string
	Line    int
	Message string
}

func (n Notice) String() string {
	if n.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", n.File, n.Line, n.Message)
	}
	if n.File != "" {
		return fmt.Sprintf("%s: %s", n.File, n.Message)
	}
	return n.Message
}

// Options control a run.
type Options struct {
	// Rules are the rules to run, already selected and configured (see
	// Select).
	Rules []*Configured
	// RuleOptions are passed to every rule.
	RuleOptions rule.Options
	// Config supplies the ignores; optional.
	Config *config.Config
	// Strict disables suppression annotations in manifests.
	Strict bool
	// Now is the clock used to expire suppressions; nil means time.Now.
	Now func() time.Time
	// Workers bounds parallelism; 0 means GOMAXPROCS.
	Workers int
}

// Result is the outcome of a run.
type Result struct {
	// Findings are sorted by file, line, rule and message.
	Findings   []Finding
	RuleErrors []RuleError
	Notices    []Notice
}

// Run evaluates every rule in opts over every object in set.
func Run(set *object.Set, opts Options) *Result {
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	objs := set.All()
	shards := make([]shard, workers)
	var wg sync.WaitGroup
	next := make(chan int, workers)
	go func() {
		for i := range objs {
			next <- i
		}
		close(next)
	}()
	for w := range workers {
		wg.Add(1)
		go func(sh *shard) {
			defer wg.Done()
			for i := range next {
				sh.eval(objs[i], set, opts)
			}
		}(&shards[w])
	}
	wg.Wait()

	res := &Result{}
	for _, sh := range shards {
		res.Findings = append(res.Findings, sh.findings...)
		res.RuleErrors = append(res.RuleErrors, sh.errs...)
	}
	sup := newSuppressor(opts, now())
	for i := range res.Findings {
		res.Findings[i].Suppressed = sup.match(&res.Findings[i])
	}
	res.Notices = sup.notices()
	sortFindings(res.Findings)
	slices.SortFunc(res.RuleErrors, func(a, b RuleError) int {
		return cmp.Or(cmp.Compare(a.Object.Source.File, b.Object.Source.File), cmp.Compare(a.Object.Line, b.Object.Line), cmp.Compare(a.RuleID, b.RuleID))
	})
	return res
}

// shard is one worker's output; workers share nothing while they run.
type shard struct {
	findings []Finding
	errs     []RuleError
}

// eval runs every rule over one object, turning errors and panics into
// RuleErrors.
func (sh *shard) eval(o *object.Object, set *object.Set, opts Options) {
	for _, c := range opts.Rules {
		pass := rule.NewPass(c.Rule, o, set, opts.RuleOptions, c.Params, func(f rule.Finding) {
			if c.Severity != 0 && f.Severity == c.Rule.Severity {
				f.Severity = c.Severity
			}
			pos, _ := f.Object.Position(f.Path)
			sh.findings = append(sh.findings, Finding{Finding: f, Pos: pos})
		})
		if err := runGuarded(c.Rule, pass); err != nil {
			sh.errs = append(sh.errs, RuleError{RuleID: c.Rule.ID, Object: o, Err: err})
		}
	}
}

func runGuarded(r *rule.Rule, pass *rule.Pass) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
		}
	}()
	return r.Run(pass)
}

func sortFindings(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		return cmp.Or(
			cmp.Compare(a.Object.Source.File, b.Object.Source.File),
			cmp.Compare(a.Object.Source.Doc, b.Object.Source.Doc),
			cmp.Compare(a.Pos.Line, b.Pos.Line),
			cmp.Compare(a.RuleID, b.RuleID),
			cmp.Compare(a.Message, b.Message),
		)
	})
}
