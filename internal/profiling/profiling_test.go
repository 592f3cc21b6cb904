package profiling

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestRecordingsHaveTheirFormats(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name  string
		start func(string) (func(), error)
		magic []byte
	}{
		{"cpu.pprof", StartCPU, []byte{0x1f, 0x8b}}, // gzipped protobuf
		{"exec.trace", StartTrace, []byte("go 1.")},
	} {
		file := filepath.Join(dir, tc.name)
		stop, err := tc.start(file)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		sum := 0
		for i := range 1_000_000 {
			sum += i % 7
		}
		_ = sum
		stop()
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(b, tc.magic) {
			t.Errorf("%s starts with %q, want %q", tc.name, b[:min(len(b), 8)], tc.magic)
		}
	}
	if _, err := StartTrace(filepath.Join(dir, "missing", "x")); err == nil {
		t.Error("StartTrace into a missing directory: no error")
	}
}
