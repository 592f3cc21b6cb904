package object

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkDecode decodes the shared corpus of real-world manifests (about
// 270 objects), the decoder's share of a scan.
func BenchmarkDecode(b *testing.B) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "..", "shared", "corpus", "k8s-examples", "*"))
	if len(files) == 0 {
		b.Skip("shared corpus not found")
	}
	data := make([][]byte, len(files))
	size := 0
	for i, f := range files {
		d, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		data[i] = d
		size += len(d)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		for i, d := range data {
			Decode(files[i], d)
		}
	}
}
