package engine

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
)

// TestMergeRunsIsStable checks the two-ended merge against a stable sort of
// the runs laid end to end, with many equal findings: each finding carries
// its run and position in Container, which the order does not look at.
func TestMergeRunsIsStable(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	objs := []*object.Object{
		{Source: object.Source{File: "a.yaml"}, Kind: "Pod", Name: "x"},
		{Source: object.Source{File: "a.yaml", Doc: 1}, Kind: "Pod", Name: "y"},
		{Source: object.Source{File: "b.yaml"}, Kind: "Service", Name: "x"},
	}
	for _, size := range []int{0, 1, 2, 1023, 1024, 1025, 4099} {
		for nruns := 1; nruns <= 3; nruns++ {
			var runs [][]*Finding
			var all []*Finding
			for ri := range nruns {
				run := make([]*Finding, size/nruns+ri%2)
				for i := range run {
					run[i] = &Finding{Finding: rule.Finding{
						Object:    objs[r.IntN(len(objs))],
						RuleID:    []string{"r1", "r2"}[r.IntN(2)],
						Message:   []string{"m", "n"}[r.IntN(2)],
						Container: fmt.Sprintf("run %d item %d", ri, i),
					}}
					run[i].Pos.Line = r.IntN(3)
				}
				slices.SortStableFunc(run, compareFindings)
				runs = append(runs, run)
				all = append(all, run...)
			}
			want := slices.Clone(all)
			slices.SortStableFunc(want, compareFindings)
			// A fresh result, and one written into a used buffer with room
			// to spare, whose old findings must all be overwritten.
			used := make([]Finding, len(all)+5)
			for i := range used {
				used[i].Container = "stale"
			}
			for _, into := range [][]Finding{nil, used[:2]} {
				got := mergeRuns(slices.Clone(runs), len(all), into)
				if len(got) != len(want) {
					t.Fatalf("size %d, %d runs: got %d findings, want %d", size, nruns, len(got), len(want))
				}
				if into != nil && len(got) > 0 && &got[0] != &used[0] {
					t.Fatalf("size %d, %d runs: a buffer with room was not used", size, nruns)
				}
				for i := range got {
					if got[i].Container != want[i].Container {
						t.Fatalf("size %d, %d runs: finding %d is %q, want %q", size, nruns, i, got[i].Container, want[i].Container)
					}
				}
			}
		}
	}
}
