// Package manifest loads Kubernetes objects from files, directories and
// standard input. Files are read and decoded in parallel; each file's bytes
// are dropped as soon as it is decoded. Every problem (unreadable,
// oversized or binary files, symlink loops, broken documents) becomes an
// InputError naming the file and line, and loading carries on.
package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"

	"github.com/palisade-dev/palisade/internal/object"
)

// DefaultMaxFileSize bounds the size of one input file. Real manifests are
// far smaller; anything larger is almost certainly not a manifest and would
// only cost memory.
const DefaultMaxFileSize = 32 << 20

// Options control loading.
type Options struct {
	// MaxFileSize is the largest file read; 0 means DefaultMaxFileSize.
	MaxFileSize int64
	// Workers bounds parallel reading and decoding; 0 means four per CPU.
	Workers int
	// Stdin is read for the path "-"; nil means os.Stdin.
	Stdin io.Reader
}

// Input is everything loaded.
type Input struct {
	Objects []*object.Object
	Errors  []*object.InputError
	Skipped []object.Skipped
	// Files is the number of files read.
	Files int
}

// Extensions are the file name endings read when walking a directory.
// Files named explicitly are read whatever their name.
var Extensions = []string{".yaml", ".yml", ".json"}

// Load reads every path: files, directories (recursively, following
// symlinks without looping) and "-" for standard input.
func Load(paths []string, opts Options) *Input {
	if opts.MaxFileSize <= 0 {
		opts.MaxFileSize = DefaultMaxFileSize
	}
	if opts.Stdin == nil {
		opts.Stdin = os.Stdin
	}
	in := &Input{}
	var files []string
	for _, p := range paths {
		if p == "-" {
			files = append(files, p)
			continue
		}
		w := walker{visited: map[fileID]bool{}, stack: map[fileID]bool{}}
		w.walk(p, true)
		files = append(files, w.files...)
		in.Errors = append(in.Errors, w.errs...)
	}
	in.Files = len(files)
	results := make([]*object.Result, len(files))
	workers := opts.Workers
	if workers <= 0 {
		// Opening and reading files blocks in system calls, which are slow
		// on some file systems; more goroutines than CPUs keep the CPUs busy
		// decoding while others wait for the kernel.
		workers = 4 * runtime.GOMAXPROCS(0)
	}
	var wg sync.WaitGroup
	next := make(chan int)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				results[i] = loadFile(files[i], opts)
			}
		}()
	}
	for i := range files {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, r := range results {
		in.Objects = append(in.Objects, r.Objects...)
		in.Errors = append(in.Errors, r.Errors...)
		in.Skipped = append(in.Skipped, r.Skipped...)
	}
	return in
}

func loadFile(name string, opts Options) *object.Result {
	data, err := readFile(name, opts)
	if err != nil {
		return &object.Result{Errors: []*object.InputError{{File: name, Msg: err.Error()}}}
	}
	return object.Decode(name, data)
}

// readFile reads at most MaxFileSize bytes and rejects binary content. For
// regular files it sizes the buffer from Stat, so a file costs one read
// call plus the one that sees EOF.
func readFile(name string, opts Options) ([]byte, error) {
	var r io.Reader = opts.Stdin
	size := int64(0)
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, describe(err)
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			return nil, describe(err)
		}
		if !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("not a regular file")
		}
		if fi.Size() > opts.MaxFileSize {
			return nil, fmt.Errorf("file is %d bytes, larger than the %d byte limit", fi.Size(), opts.MaxFileSize)
		}
		r, size = f, fi.Size()
	}
	data, err := readAll(io.LimitReader(r, opts.MaxFileSize+1), size)
	if err != nil {
		return nil, describe(err)
	}
	if int64(len(data)) > opts.MaxFileSize {
		return nil, fmt.Errorf("input is larger than the %d byte limit", opts.MaxFileSize)
	}
	if bytes.IndexByte(data[:min(len(data), 8000)], 0) >= 0 {
		return nil, fmt.Errorf("binary file (contains NUL bytes)")
	}
	return data, nil
}

// readAll reads r to EOF into a buffer that starts with room for sizeHint
// bytes.
func readAll(r io.Reader, sizeHint int64) ([]byte, error) {
	buf := make([]byte, 0, sizeHint+512)
	for {
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
	}
}

func describe(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	if errors.Is(err, syscall.ELOOP) {
		return fmt.Errorf("symlink loop")
	}
	return err
}

type fileID struct{ dev, ino uint64 }

// walker collects the files under a path. visited holds the directories
// already entered (by device and inode) and stack those on the current
// descent: a directory on the stack is a symlink loop (an error), one merely
// visited is a second link to the same tree (skipped, so its objects are not
// reported twice).
type walker struct {
	visited map[fileID]bool
	stack   map[fileID]bool
	files   []string
	errs    []*object.InputError
}

func (w *walker) walk(p string, explicit bool) {
	fi, err := os.Stat(p) // follows symlinks
	if err != nil {
		if explicit || !isBrokenLink(p) {
			w.errs = append(w.errs, &object.InputError{File: p, Msg: describe(err).Error()})
		} else {
			w.errs = append(w.errs, &object.InputError{File: p, Msg: "broken symlink: " + describe(err).Error()})
		}
		return
	}
	if !fi.IsDir() {
		if explicit || hasManifestExt(p) {
			w.files = append(w.files, p)
		}
		return
	}
	if id, ok := idOf(fi); ok {
		if w.stack[id] {
			w.errs = append(w.errs, &object.InputError{File: p, Msg: "symlink loop: links back to a directory being scanned"})
			return
		}
		if w.visited[id] {
			return
		}
		w.visited[id], w.stack[id] = true, true
		defer delete(w.stack, id)
	}
	entries, err := os.ReadDir(p)
	if err != nil {
		w.errs = append(w.errs, &object.InputError{File: p, Msg: describe(err).Error()})
		return
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() && (strings.HasPrefix(name, ".") || name == "node_modules" || name == "vendor") {
			continue
		}
		w.walk(filepath.Join(p, name), false)
	}
}

func isBrokenLink(p string) bool {
	fi, err := os.Lstat(p)
	return err == nil && fi.Mode()&fs.ModeSymlink != 0
}

func hasManifestExt(p string) bool {
	return slices.Contains(Extensions, strings.ToLower(filepath.Ext(p)))
}

func idOf(fi fs.FileInfo) (fileID, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileID{}, false
	}
	return fileID{dev: uint64(st.Dev), ino: st.Ino}, true //nolint:unconvert // Dev is int32 on some platforms
}
