// Package profiling writes the CPU and heap profiles that the commands'
// hidden --cpuprofile and --memprofile flags, and the benchmark tools, ask
// for: the numbers in performance reports come from these.
package profiling

import (
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
)

// StartCPU profiles the process's CPU use into file until stop is called.
func StartCPU(file string) (stop func(), err error) {
	return record(file, pprof.StartCPUProfile, pprof.StopCPUProfile)
}

// StartTrace records an execution trace into file until stop is called:
// every goroutine switch, system call and garbage collection phase, which
// is what explains a latency tail that a CPU profile averages away.
func StartTrace(file string) (stop func(), err error) {
	return record(file, trace.Start, trace.Stop)
}

// record creates file, starts writing to it with begin, and returns the
// function that ends the recording and closes the file.
func record(file string, begin func(io.Writer) error, end func()) (stop func(), err error) {
	out, err := os.Create(filepath.Clean(file))
	if err != nil {
		return nil, err
	}
	if err := begin(out); err != nil {
		_ = out.Close()
		return nil, err
	}
	return func() {
		end()
		_ = out.Close()
	}, nil
}

// WriteHeap writes what is live on the heap now (after a collection, so
// that garbage does not count) and what was allocated so far.
func WriteHeap(file string) (err error) {
	out, err := os.Create(filepath.Clean(file))
	if err != nil {
		return err
	}
	defer func() {
		if cerr := out.Close(); err == nil {
			err = cerr
		}
	}()
	runtime.GC()
	return pprof.Lookup("heap").WriteTo(out, 0)
}
