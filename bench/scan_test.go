package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/palisade-dev/palisade/internal/engine"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
	"github.com/palisade-dev/palisade/internal/rules"
	"github.com/palisade-dev/palisade/internal/source/manifest"
)

// corpusX40 copies the shared corpus 40 times into a temporary directory,
// the layout the speed target is defined on.
func corpusX40(b *testing.B) string {
	b.Helper()
	src := filepath.Join("..", "..", "shared", "corpus", "k8s-examples")
	files, err := filepath.Glob(filepath.Join(src, "*"))
	if err != nil || len(files) == 0 {
		b.Skipf("shared corpus not found at %s", src)
	}
	dir := b.TempDir()
	for k := 1; k <= 40; k++ {
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				b.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%d-%s", k, filepath.Base(f))), data, 0o600); err != nil {
				b.Fatal(err)
			}
		}
	}
	return dir
}

// BenchmarkScanCorpusX40 loads, decodes and evaluates every rule over the
// corpus copied 40 times (about 10,800 objects): the work of one
// `palisade scan` minus writing the report.
func BenchmarkScanCorpusX40(b *testing.B) {
	dir := corpusX40(b)
	selected, err := engine.Select(rules.All(), nil)
	if err != nil {
		b.Fatal(err)
	}
	opts := engine.Options{Rules: selected, RuleOptions: rule.Options{PSSLevel: "restricted", PSSVersion: "latest"}}
	b.ReportAllocs()
	b.ResetTimer()
	var objects, findings int
	for b.Loop() {
		in := manifest.Load([]string{dir}, manifest.Options{})
		res := engine.Run(object.NewSet(in.Objects), opts)
		objects, findings = len(in.Objects), len(res.Findings)
	}
	b.ReportMetric(float64(objects), "objects")
	b.ReportMetric(float64(findings), "findings")
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapSys)/(1<<20), "heap-sys-MB")
}

// BenchmarkDecodeCorpusX40 measures loading and decoding alone.
func BenchmarkDecodeCorpusX40(b *testing.B) {
	dir := corpusX40(b)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		manifest.Load([]string{dir}, manifest.Options{})
	}
}
