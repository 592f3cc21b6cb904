package attackpath

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	ap "github.com/palisade-dev/palisade/internal/attackpath"
	"github.com/palisade-dev/palisade/internal/object"
)

// TestGraphConcurrent builds the graph of the fixtures, copied until Build
// splits them among goroutines, with one and with four Ps: the rule's
// inputs are called concurrently (run it with -race) and the graph must
// not change.
func TestGraphConcurrent(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "attack-path", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatal("no fixtures", err)
	}
	var objs []*object.Object
	for k := range 20 {
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			objs = append(objs, object.Decode(fmt.Sprintf("%d-%s", k, f), data).Objects...)
		}
	}
	if len(objs) <= 256 {
		t.Fatalf("%d objects: too few for Build to split them", len(objs))
	}
	set := object.NewSet(objs)
	describe := func(procs int) string {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		g := ap.Build(set, inputs)
		index := map[*object.Object]int{nil: -1}
		for i, o := range objs {
			index[o] = i
		}
		var b strings.Builder
		for _, p := range g.Paths {
			fmt.Fprintf(&b, "path %v\n", p.Severity)
			for _, s := range p.Steps {
				fmt.Fprintf(&b, "  %q %v %q %d %q\n", s.Node.ID, s.Node.Kind, s.Node.Label, index[s.Node.Object], s.Why)
			}
		}
		for _, n := range g.Nodes {
			fmt.Fprintf(&b, "node %q %v %q %d\n", n.ID, n.Kind, n.Label, index[n.Object])
		}
		for _, e := range g.Edges {
			fmt.Fprintf(&b, "edge %q %q %q\n", e.From.ID, e.To.ID, e.Why)
		}
		for i, o := range objs {
			if n := len(g.PathsFrom(o)); n > 0 {
				fmt.Fprintf(&b, "object %d: %d paths, first %s\n", i, n, g.PathsFrom(o)[0].Summary())
			}
		}
		return b.String()
	}
	want := describe(1)
	if !strings.Contains(want, "path critical") {
		t.Fatalf("no critical path:\n%s", want)
	}
	if got := describe(4); got != want {
		t.Errorf("graph with 4 Ps differs\n got:\n%s\nwant:\n%s", got, want)
	}
}
