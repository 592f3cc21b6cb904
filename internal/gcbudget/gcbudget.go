// Package gcbudget lets a server whose heap is mostly short-lived garbage
// collect when its heap reaches a size budget, instead of in proportion to
// its live heap.
//
// The Go collector runs when the heap has grown by GOGC percent over what
// the last cycle found live. The admission webhook keeps a few megabytes
// live and allocates tens of kilobytes per request that die with it, so at
// any fixed GOGC it collects several times a second; each cycle costs a
// fixed amount of work and slows the requests it overlaps, which shows in
// the latency tail. Trading about a hundred megabytes for far fewer cycles is
// the better deal for such a server.
//
// A budget alone would be unsafe: if the live heap grew to the budget, the
// collector would run without pause. So the package sets GOGC after every
// cycle, from the live heap the cycle found, to whatever puts the next
// collection at the budget, but never below MinPercent: a large live heap
// is collected in proportion again, as Go would by default. The process's
// memory limit (GOMEMLIMIT), if any, still applies on top.
package gcbudget

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// MinPercent is the lowest GOGC the tuner sets: Go's default.
const MinPercent = 100

// MaxPercent bounds GOGC. The percent set after one cycle applies to the
// live heap of the next, so a live heap that grew in between overshoots
// the budget by as much as it grew; the bound limits how far a nearly
// empty heap can take that.
const MaxPercent = 5000

// Start tunes the collector to the budget (bytes of heap) until stop is
// called, which restores the GOGC in force before. Only one tuner should
// run in a process. Call it once the program has built its long-lived
// state: it collects once to measure that.
func Start(budget uint64) (stop func()) {
	t := &tuner{budget: budget, before: debug.SetGCPercent(MinPercent)}
	t.samples = []metrics.Sample{{Name: liveMetric}, {Name: globalsMetric}, {Name: stacksMetric}}
	runtime.GC()
	t.tune()
	t.arm()
	return t.stop
}

const (
	liveMetric    = "/gc/heap/live:bytes"
	globalsMetric = "/gc/scan/globals:bytes"
	stacksMetric  = "/gc/scan/stack:bytes"
)

type tuner struct {
	budget  uint64
	before  int
	samples []metrics.Sample

	mu      sync.Mutex
	stopped bool
}

// arm runs tune after the next collection: the cleanup of an object that
// nothing references runs once a cycle has found it unreachable. The
// object is 16 bytes so that it is not batched with others by the tiny
// allocator, which would tie its cleanup to theirs.
func (t *tuner) arm() {
	runtime.AddCleanup(new([16]byte), func(t *tuner) {
		t.mu.Lock()
		defer t.mu.Unlock()
		if t.stopped {
			return
		}
		t.tuneLocked()
		t.arm()
	}, t)
}

func (t *tuner) tune() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.tuneLocked()
}

func (t *tuner) tuneLocked() {
	metrics.Read(t.samples)
	live, globals, stacks := value(t.samples[0]), value(t.samples[1]), value(t.samples[2])
	debug.SetGCPercent(Percent(t.budget, live, globals+stacks))
}

func (t *tuner) stop() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.stopped {
		t.stopped = true
		debug.SetGCPercent(t.before)
	}
}

func value(s metrics.Sample) uint64 {
	if s.Value.Kind() != metrics.KindUint64 {
		return 0 // not reported by this runtime: count it as nothing
	}
	return s.Value.Uint64()
}

// Percent is the GOGC that puts the next collection at a heap of budget
// bytes, given the live heap and the other memory the collector scans
// (globals and stacks), within [MinPercent, MaxPercent]. Go's heap goal is
// live + (live + roots) × GOGC / 100.
func Percent(budget, live, roots uint64) int {
	scanned := live + roots
	if budget <= live || scanned == 0 {
		return MinPercent
	}
	p := (budget - live) * 100 / scanned
	return int(max(MinPercent, min(p, MaxPercent)))
}
