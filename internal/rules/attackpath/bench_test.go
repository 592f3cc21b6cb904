package attackpath

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	ap "github.com/palisade-dev/palisade/internal/attackpath"
	"github.com/palisade-dev/palisade/internal/object"
)

// BenchmarkBuildCorpusX40 builds the attack-path graph of the shared
// corpus decoded 40 times (10,560 objects, each name 40 times), the set of
// the speed target, with the rule's real inputs. The indexes Build shares
// with other rules (RBAC, workload labels) are built before the timer
// starts, as they are in a scan by the time the graph is needed.
//
// To compare core counts set GOMAXPROCS in the environment rather than
// passing -cpu: with b.Loop the first -cpu value is measured at the
// default GOMAXPROCS.
func BenchmarkBuildCorpusX40(b *testing.B) {
	files, err := filepath.Glob(filepath.Join("..", "..", "..", "..", "shared", "corpus", "k8s-examples", "*"))
	if err != nil || len(files) == 0 {
		b.Skip("shared corpus not found")
	}
	var objs []*object.Object
	for k := 1; k <= 40; k++ {
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				b.Fatal(err)
			}
			objs = append(objs, object.Decode(fmt.Sprintf("%d-%s", k, filepath.Base(f)), data).Objects...)
		}
	}
	set := object.NewSet(objs)
	paths := len(ap.Build(set, inputs).Paths)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		ap.Build(set, inputs)
	}
	b.ReportMetric(float64(len(objs)), "objects")
	b.ReportMetric(float64(paths), "paths")
}
