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
	"sync/atomic"
	"time"

	"github.com/palisade-dev/palisade/internal/config"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
)

// Finding is a rule's finding placed in its source file.
type Finding struct {
	rule.Finding
	// Pos is where Path was written (or its nearest written ancestor) in
	// the file File names: for a generated object, in its Origin's file.
	Pos object.Position
	// Origin is set for findings on generated objects (rendered from a
	// Helm chart, built by Kustomize): the template, patch or base file
	// and line that produced the field, and for Helm the values key and
	// file that set it. nil for objects read from manifests.
	Origin *object.Origin
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
	// Objects, when not nil, are the objects to evaluate, which must be in
	// the set; the rest of the set is context for the rules that look
	// across objects. Nil means every object of the set. `palisade fix`
	// rescans one file this way.
	Objects []*object.Object
	// Into, when its capacity is enough, receives the result's findings
	// instead of a new slice. A caller that evaluates one small object
	// after another (the webhook, per request) hands the same buffer back
	// once it is done with a result. Optional.
	Into []Finding
	// External are findings about objects of the set that come from
	// outside the rules: the image scanner's findings about the images a
	// workload runs (`palisade scan --images`). The engine places,
	// suppresses and sorts them like the rules' findings, so that
	// annotations and ignores apply to them too. Optional.
	External []rule.Finding
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
	if opts.Objects != nil {
		objs = opts.Objects
	}
	workers = min(workers, max(len(objs), 1))
	shards := make([]shard, workers)
	if workers == 1 {
		// One object (an admission request) or one worker: evaluating
		// in the calling goroutine spares two goroutines and a channel
		// per run, which is most of the engine's fixed cost.
		for _, o := range objs {
			shards[0].eval(o, set, opts)
		}
		shards[0].sort()
		return finish(shards, opts, now)
	}
	// Workers take the next object from a shared counter: a channel fed
	// by another goroutine would cost a handoff, and often a wakeup, for
	// each of thousands of objects.
	var wg sync.WaitGroup
	var next atomic.Int64
	for w := range workers {
		wg.Add(1)
		go func(sh *shard) {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(objs) {
					break
				}
				sh.eval(objs[i], set, opts)
			}
			sh.sort()
		}(&shards[w])
	}
	wg.Wait()
	return finish(shards, opts, now)
}

// finish merges the workers' output, applies suppressions and sorts. Each
// worker has already sorted its own findings (see shard.sort), in parallel;
// finish merges the sorted runs, which gives the same order as one stable
// sort of the workers' findings taken in worker order, at a fraction of the
// serial cost.
func finish(shards []shard, opts Options, now func() time.Time) *Result {
	res := &Result{}
	runs := make([][]*Finding, 0, len(shards)+1)
	n := 0
	for i := range shards {
		runs = append(runs, shards[i].order)
		n += len(shards[i].order)
		res.RuleErrors = append(res.RuleErrors, shards[i].errs...)
	}
	if len(opts.External) > 0 {
		ext := make([]Finding, len(opts.External))
		for i, f := range opts.External {
			ext[i] = place(f)
		}
		runs = append(runs, sortedView([][]Finding{ext}))
		n += len(ext)
	}
	if n > 0 {
		res.Findings = mergeRuns(runs, n, opts.Into)
	}
	for i := range shards {
		shards[i].release()
	}
	sup := newSuppressor(opts, now())
	for i := range res.Findings {
		res.Findings[i].Suppressed = sup.match(&res.Findings[i])
	}
	res.Notices = sup.notices()
	slices.SortFunc(res.RuleErrors, func(a, b RuleError) int {
		return cmp.Or(cmp.Compare(a.Object.Source.File, b.Object.Source.File), cmp.Compare(a.Object.Line, b.Object.Line), cmp.Compare(a.RuleID, b.RuleID))
	})
	return res
}

// mergeRuns merges sorted runs of findings (n in all) into one sorted
// slice. Of equal findings, the one from the earlier run comes first, as a
// stable sort of the runs laid end to end would have it.
//
// Two goroutines share the work: one merges from the front into the first
// half of the result, taking the smallest finding (the earlier run's on a
// tie), the other from the back into the second half, taking the largest
// (the later run's on a tie). Each produces its half of the one stable
// order, so the halves meet exactly; the copying, a large scan's biggest
// serial step, takes half the time.
func mergeRuns(runs [][]*Finding, n int, into []Finding) []Finding {
	var out []Finding
	if cap(into) >= n {
		out = into[:n] // every element is written below
	} else {
		out = make([]Finding, n)
	}
	if n < 1024 {
		mergeFront(slices.Clone(runs), out)
		return out
	}
	half := n / 2
	var wg sync.WaitGroup
	wg.Go(func() { mergeBack(slices.Clone(runs), out[half:]) })
	mergeFront(slices.Clone(runs), out[:half])
	wg.Wait()
	return out
}

// mergeFront fills out with the smallest findings of runs, in order.
func mergeFront(runs [][]*Finding, out []Finding) {
	for k := range out {
		best := -1
		for i, r := range runs {
			if len(r) > 0 && (best < 0 || compareFindings(r[0], runs[best][0]) < 0) {
				best = i
			}
		}
		out[k] = *runs[best][0]
		runs[best] = runs[best][1:]
	}
}

// mergeBack fills out with the largest findings of runs, in order, from
// its end.
func mergeBack(runs [][]*Finding, out []Finding) {
	for k := len(out) - 1; k >= 0; k-- {
		best := -1
		for i, r := range runs {
			if len(r) > 0 && (best < 0 || compareFindings(r[len(r)-1], runs[best][len(runs[best])-1]) >= 0) {
				best = i
			}
		}
		r := runs[best]
		out[k] = *r[len(r)-1]
		runs[best] = r[:len(r)-1]
	}
}

// sortedView returns pointers to the findings of chunks, stably sorted.
// Sorting pointers rather than the findings themselves moves a word per
// swap instead of a whole finding.
func sortedView(chunks [][]Finding) []*Finding {
	n := 0
	for _, c := range chunks {
		n += len(c)
	}
	view := make([]*Finding, 0, n)
	for _, c := range chunks {
		for i := range c {
			view = append(view, &c[i])
		}
	}
	slices.SortStableFunc(view, compareFindings)
	return view
}

// shard is one worker's output; workers share nothing while they run.
// Findings are kept in chunks of findingChunk, so that a scan with many
// findings never copies them to grow one slice; finish copies each once
// into the result and hands the chunks back to chunkPool.
type shard struct {
	findings [][]Finding
	// order is findings sorted, set by sort once the worker is done.
	order   []*Finding
	errs    []RuleError
	pass    *rule.Pass
	current *Configured
}

// chunkPool keeps finding chunks from one run to the next. A run's
// chunks are dead once finish has copied their findings into the result,
// and the webhook runs the engine thousands of times a second: allocating
// them anew was a tenth of the bytes it allocated per request, and so of
// the garbage collector's work.
var chunkPool = sync.Pool{New: func() any { return new([]Finding) }}

// newChunk returns an empty chunk, from the pool when it has one.
func newChunk() []Finding {
	c := *chunkPool.Get().(*[]Finding)
	if cap(c) == 0 {
		c = make([]Finding, 0, findingChunk)
	}
	return c
}

// release hands the shard's chunks back to the pool, cleared, so that a
// pooled chunk keeps no object, message or fix alive.
func (sh *shard) release() {
	for _, c := range sh.findings {
		clear(c)
		c = c[:0]
		chunkPool.Put(&c)
	}
	sh.findings, sh.order = nil, nil
}

// eval runs every rule over one object, turning errors and panics into
// RuleErrors. One Pass per worker is reused for every rule and object: a
// scan makes rules×objects passes, and allocating each would dominate the
// run.
func (sh *shard) eval(o *object.Object, set *object.Set, opts Options) {
	if sh.pass == nil {
		sh.pass = rule.NewPass(nil, nil, set, opts.RuleOptions, nil, sh.collect)
	}
	for _, c := range opts.Rules {
		sh.current = c
		sh.pass.Rule, sh.pass.Object, sh.pass.Params = c.Rule, o, c.Params
		if err := runGuarded(c.Rule, sh.pass); err != nil {
			sh.errs = append(sh.errs, RuleError{RuleID: c.Rule.ID, Object: o, Err: err})
		}
	}
}

// sort sorts the shard's findings, in the worker's goroutine, so that the
// workers share the sorting and finish only merges.
func (sh *shard) sort() {
	sh.order = sortedView(sh.findings)
}

// collect receives the findings of the rule in sh.current.
func (sh *shard) collect(f rule.Finding) {
	if c := sh.current; c.Severity != 0 && f.Severity == c.Rule.Severity {
		f.Severity = c.Severity
	}
	fd := place(f)
	if k := len(sh.findings); k == 0 || len(sh.findings[k-1]) == cap(sh.findings[k-1]) {
		sh.findings = append(sh.findings, newChunk())
	}
	last := &sh.findings[len(sh.findings)-1]
	*last = append(*last, fd)
}

// findingChunk is the size of a chunk of findings. Chunks are pooled, so
// a small scan (an admission request) pays for its first chunk only once.
const findingChunk = 1024

// place locates a finding in its object's source, or for generated
// objects in the file a person edits.
func place(f rule.Finding) Finding {
	pos, _ := f.Object.Position(f.Path)
	fd := Finding{Finding: f, Pos: pos}
	if org := f.Object.Origin(f.Path); org != nil {
		if org.Line == 0 {
			// Only the file is known: point at the object.
			org.File, org.Line, org.Column, org.Approximate = f.Object.Source.File, f.Object.Line, 0, true
		}
		fd.Origin, fd.Pos = org, org.Location()
	}
	return fd
}

// File is the file a person edits to address the finding: the Origin's
// file for generated objects, else the object's source file. Pos is a
// position in it.
func (f *Finding) File() string {
	if f.Origin != nil && f.Origin.File != "" {
		return f.Origin.File
	}
	return f.Object.Source.File
}

func runGuarded(r *rule.Rule, pass *rule.Pass) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
		}
	}()
	return r.Run(pass)
}

// compareFindings orders findings by file, object and line, then rule and
// message. It returns at the first difference: cmp.Or would evaluate every
// comparison, strings included, for each of the million or so comparisons
// that sorting a large scan's findings makes.
func compareFindings(a, b *Finding) int {
	ao, bo := a.Object, b.Object
	if ao != bo {
		if c := cmp.Compare(ao.Source.File, bo.Source.File); c != 0 {
			return c
		}
		if c := cmp.Compare(ao.Source.Doc, bo.Source.Doc); c != 0 {
			return c
		}
		// Objects built from the same file (one base in two Kustomize
		// overlays) share file and document: keep each one's findings
		// together.
		if c := cmp.Compare(ao.Line, bo.Line); c != 0 {
			return c
		}
		if c := cmp.Compare(ao.RawNamespace, bo.RawNamespace); c != 0 {
			return c
		}
		if c := cmp.Compare(ao.Name, bo.Name); c != 0 {
			return c
		}
		if c := cmp.Compare(ao.Kind, bo.Kind); c != 0 {
			return c
		}
	}
	if c := cmp.Compare(a.Pos.Line, b.Pos.Line); c != 0 {
		return c
	}
	if c := cmp.Compare(a.RuleID, b.RuleID); c != 0 {
		return c
	}
	return cmp.Compare(a.Message, b.Message)
}
