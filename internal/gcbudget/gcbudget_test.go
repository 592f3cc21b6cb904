package gcbudget

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

func TestPercent(t *testing.T) {
	const mib = 1 << 20
	for _, tc := range []struct {
		budget, live, roots uint64
		want                int
	}{
		{128 * mib, 4 * mib, 1 * mib, 2480},  // (128-4)/(4+1)
		{128 * mib, 30 * mib, 2 * mib, 306},  // (128-30)/(30+2), rounded down
		{128 * mib, 64 * mib, 0, MinPercent}, // the budget is only twice the live heap
		{128 * mib, 200 * mib, 0, MinPercent},
		{128 * mib, 128 * mib, 0, MinPercent},
		{128 * mib, 1000, 0, MaxPercent},
		{128 * mib, 2 * mib, 0, MaxPercent}, // 6300 wanted
		{128 * mib, 0, 0, MinPercent},       // nothing measured yet
	} {
		if got := Percent(tc.budget, tc.live, tc.roots); got != tc.want {
			t.Errorf("Percent(%d, %d, %d) = %d, want %d", tc.budget, tc.live, tc.roots, got, tc.want)
		}
	}
}

// TestStartFollowsTheLiveHeap runs the tuner in this process: with a small
// live heap GOGC goes up to meet the budget, after a cycle that finds a
// large live heap it comes down to MinPercent, and stop restores GOGC.
func TestStartFollowsTheLiveHeap(t *testing.T) {
	before := debug.SetGCPercent(100)
	defer debug.SetGCPercent(before)
	debug.SetGCPercent(77)
	stop := Start(256 << 20)
	if got := waitForGOGC(t, func(p int) bool { return p > 1000 }); got <= 1000 {
		t.Fatalf("GOGC with a small live heap = %d, want the budget to raise it above 1000", got)
	}
	live := make([][]byte, 200)
	for i := range live {
		live[i] = make([]byte, 1<<20)
	}
	if got := waitForGOGC(t, func(p int) bool { return p == MinPercent }); got != MinPercent {
		t.Errorf("GOGC with 200 MiB live of a 256 MiB budget = %d, want %d", got, MinPercent)
	}
	runtime.KeepAlive(live) // and no longer
	if got := waitForGOGC(t, func(p int) bool { return p > 1000 }); got <= 1000 {
		t.Errorf("GOGC once the large heap died = %d, want above 1000 again", got)
	}
	stop()
	if got := gogc(); got != 77 {
		t.Errorf("GOGC after stop = %d, want the 77 in force before", got)
	}
	runtime.GC()
	time.Sleep(50 * time.Millisecond)
	if got := gogc(); got != 77 {
		t.Errorf("GOGC after a cycle past stop = %d, want 77: the tuner still runs", got)
	}
}

// waitForGOGC collects and polls GOGC until ok holds or a second has
// passed. The tuner runs in a cleanup some time after a collection, and
// may see the cycle before the last, as a server collecting all the time
// would not notice: so the test keeps collecting too.
func waitForGOGC(t *testing.T, ok func(int) bool) int {
	t.Helper()
	deadline := time.Now().Add(time.Second)
	for {
		runtime.GC()
		time.Sleep(5 * time.Millisecond)
		p := gogc()
		if ok(p) || time.Now().After(deadline) {
			return p
		}
	}
}

func gogc() int {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return int(s[0].Value.Uint64())
}
