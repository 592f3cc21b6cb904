package cli

import (
	"math"
	"runtime/debug"
	"testing"
)

// TestHeapTarget: the flag wins; without it, an operator's GOGC stands;
// else a third of the memory limit, or the default without one.
func TestHeapTarget(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(math.MaxInt64))
	for _, tc := range []struct {
		name    string
		flag    int
		flagSet bool
		gogc    string
		limit   int64
		want    uint64
	}{
		{"flag", 64, true, "", 1 << 30, 64 << 20},
		{"flag beats GOGC", 64, true, "200", math.MaxInt64, 64 << 20},
		{"flag zero turns it off", 0, true, "", 1 << 30, 0},
		{"GOGC set", 0, false, "200", 1 << 30, 0},
		{"a third of the memory limit", 0, false, "", 384 << 20, 128 << 20},
		{"no limit", 0, false, "", math.MaxInt64, defaultHeapTarget},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("GOGC", tc.gogc)
			debug.SetMemoryLimit(tc.limit)
			if got := heapTarget(tc.flag, tc.flagSet); got != tc.want {
				t.Errorf("heapTarget = %d, want %d", got, tc.want)
			}
		})
	}
}
