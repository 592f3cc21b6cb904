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
	// Claim, when set, is called with each directory found while walking
	// (a directory named in paths included). A directory it claims belongs
	// to another source, such as a Helm chart, and is not walked.
	Claim func(dir string) bool
	// Found, when set, is called by Files with each file as it is found,
	// in the order of the list Files returns, so that a Loader can start
	// decoding while the walk goes on.
	Found func(file string)
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
// symlinks without looping) and "-" for standard input. Walking a directory
// reads the files with one of Extensions and skips hidden directories,
// node_modules and vendor; a file named explicitly is read whatever its
// name. Only regular files are read: named pipes and devices are reported,
// never opened. Objects and errors come in the order of paths and of the
// sorted directory entries, whatever the parallelism.
func Load(paths []string, opts Options) *Input {
	l := NewLoader(opts)
	found := opts.Found
	opts.Found = func(f string) {
		if found != nil {
			found(f)
		}
		l.Add(f)
	}
	_, errs := Files(paths, opts)
	in := l.Input()
	in.Errors = append(errs, in.Errors...)
	return in
}

// Files returns the files Load reads for paths, in order, and the problems
// found while walking directories. A file or directory reached more than
// once (named twice, or through symlinks or hard links) is listed once,
// where it is first reached.
func Files(paths []string, opts Options) ([]string, []*object.InputError) {
	w := walker{visited: map[fileID]bool{}, stack: map[fileID]bool{}, claim: opts.Claim, onFound: opts.Found}
	stdin := false
	for _, p := range paths {
		if p == "-" {
			if !stdin {
				w.found(p)
			}
			stdin = true
			continue
		}
		w.walk(p, true)
	}
	return w.files, w.errs
}

// LoadFiles reads and decodes files in parallel; the result lists objects
// and errors in the order of files.
func LoadFiles(files []string, opts Options) *Input {
	l := NewLoader(opts)
	for _, f := range files {
		l.add(f, false)
	}
	return l.Input()
}

// Loader reads and decodes files in parallel as they are added, so that
// decoding overlaps whatever finds the files (the directory walk). Add is
// called from one goroutine; Results and Input wait for the files added so
// far and report them in the order they were added.
type Loader struct {
	opts  Options
	slots []*loadSlot
	jobs  chan *loadSlot
	wg    sync.WaitGroup
}

type loadSlot struct {
	file    string
	checked bool // stat found a regular file (see Add)
	res     *object.Result
}

// NewLoader starts the workers of a Loader.
func NewLoader(opts Options) *Loader {
	if opts.MaxFileSize <= 0 {
		opts.MaxFileSize = DefaultMaxFileSize
	}
	if opts.Stdin == nil {
		opts.Stdin = os.Stdin
	}
	workers := opts.Workers
	if workers <= 0 {
		// Opening and reading files blocks in system calls, which are slow
		// on some file systems; more goroutines than CPUs keep the CPUs busy
		// decoding while others wait for the kernel.
		workers = 4 * runtime.GOMAXPROCS(0)
	}
	l := &Loader{opts: opts, jobs: make(chan *loadSlot, 64)}
	for range workers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for s := range l.jobs {
				s.res = loadFile(s.file, s.checked, l.opts)
			}
		}()
	}
	return l
}

// Add queues a file that Files found. Files has checked with stat that it
// is a regular file (or it is "-"), so it is opened without a second stat:
// of the six system calls a file would cost, that is one fewer for each
// of thousands of files.
func (l *Loader) Add(file string) { l.add(file, true) }

// add queues a file; checked says stat has found it to be a regular file.
func (l *Loader) add(file string, checked bool) {
	s := &loadSlot{file: file, checked: checked}
	l.slots = append(l.slots, s)
	l.jobs <- s
}

// Results waits for every file added and returns their results in the
// order of Add. No file may be added afterwards.
func (l *Loader) Results() []*object.Result {
	close(l.jobs)
	l.wg.Wait()
	out := make([]*object.Result, len(l.slots))
	for i, s := range l.slots {
		out[i] = s.res
	}
	return out
}

// Input waits for every file added and gathers their objects, errors and
// skipped documents in the order of Add.
func (l *Loader) Input() *Input {
	return Gather(l.Results())
}

// Gather joins the results of files into one Input, in order.
func Gather(results []*object.Result) *Input {
	in := &Input{Files: len(results)}
	for _, r := range results {
		in.Objects = append(in.Objects, r.Objects...)
		in.Errors = append(in.Errors, r.Errors...)
		in.Skipped = append(in.Skipped, r.Skipped...)
	}
	return in
}

func loadFile(name string, checked bool, opts Options) *object.Result {
	data, err := readFile(name, checked, opts)
	if err != nil {
		return &object.Result{Errors: []*object.InputError{{File: name, Msg: err.Error()}}}
	}
	return object.Decode(name, data)
}

// readFile reads at most MaxFileSize bytes and rejects binary content. For
// regular files (readRegular) it sizes the buffer from Stat, so a file
// costs one read call.
//
// Only regular files are opened: opening a named pipe blocks until a
// writer comes, and reading a device may never end. The mode is checked
// before opening (here, unless checked says the walk has done it), and
// again on the open file (opened without blocking) in case the name was
// replaced in between.
func readFile(name string, checked bool, opts Options) ([]byte, error) {
	var data []byte
	var err error
	if name == "-" {
		data, err = readAll(io.LimitReader(opts.Stdin, opts.MaxFileSize+1), 0)
		if err != nil {
			err = describe(err)
		}
	} else {
		data, err = readRegular(name, checked, opts.MaxFileSize)
	}
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > opts.MaxFileSize {
		return nil, fmt.Errorf("input is larger than the %d byte limit", opts.MaxFileSize)
	}
	// UTF-16 text is full of NUL bytes; object.Decode transcodes it.
	utf16 := len(data) >= 2 && (data[0] == 0xff && data[1] == 0xfe || data[0] == 0xfe && data[1] == 0xff)
	if !utf16 && bytes.IndexByte(data[:min(len(data), 8000)], 0) >= 0 {
		return nil, fmt.Errorf("binary file (contains NUL bytes)")
	}
	return data, nil
}

// regular returns an error for anything but a regular file.
func regular(fi fs.FileInfo) error {
	m := fi.Mode()
	switch {
	case m.IsRegular():
		return nil
	case m.IsDir():
		return fmt.Errorf("is a directory")
	case m&fs.ModeNamedPipe != 0:
		return fmt.Errorf("not a regular file (named pipe)")
	case m&fs.ModeSocket != 0:
		return fmt.Errorf("not a regular file (socket)")
	case m&fs.ModeDevice != 0:
		return fmt.Errorf("not a regular file (device)")
	}
	return fmt.Errorf("not a regular file")
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

// walker collects the files under paths. visited holds the directories
// entered and the files listed (by device and inode), and stack the
// directories on the current descent: a directory on the stack is a symlink
// loop (an error), one merely visited is a second link to the same tree
// (skipped, so its objects are not reported twice).
type walker struct {
	visited map[fileID]bool
	stack   map[fileID]bool
	dirs    []fs.FileInfo // the descent, where files have no identity
	files   []string
	errs    []*object.InputError
	claim   func(dir string) bool
	onFound func(file string)
}

// found lists a file, and tells the Found hook.
func (w *walker) found(p string) {
	w.files = append(w.files, p)
	if w.onFound != nil {
		w.onFound(p)
	}
}

func (w *walker) walk(p string, explicit bool) {
	fi, err := os.Stat(p) // follows symlinks
	if err != nil {
		msg := describe(err).Error()
		if !errors.Is(err, syscall.ELOOP) && isBrokenLink(p) {
			msg = "broken symlink: " + msg
		}
		w.errs = append(w.errs, &object.InputError{File: p, Msg: msg})
		return
	}
	if !fi.IsDir() {
		if !explicit && !hasManifestExt(p) {
			return
		}
		if id, ok := idOf(fi); ok {
			if w.visited[id] {
				return
			}
			w.visited[id] = true
		}
		if err := regular(fi); err != nil {
			w.errs = append(w.errs, &object.InputError{File: p, Msg: err.Error()})
			return
		}
		w.found(p)
		return
	}
	if name := filepath.Base(p); !explicit && (strings.HasPrefix(name, ".") || name == "node_modules" || name == "vendor") {
		return // also when reached through a symlink
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
	} else {
		// No device and inode on this platform: compare with the
		// directories on the current descent instead.
		for _, d := range w.dirs {
			if os.SameFile(d, fi) {
				w.errs = append(w.errs, &object.InputError{File: p, Msg: "symlink loop: links back to a directory being scanned"})
				return
			}
		}
		w.dirs = append(w.dirs, fi)
		defer func() { w.dirs = w.dirs[:len(w.dirs)-1] }()
	}
	if w.claim != nil && w.claim(p) {
		return
	}
	entries, err := os.ReadDir(p)
	if err != nil {
		w.errs = append(w.errs, &object.InputError{File: p, Msg: describe(err).Error()})
		return
	}
	for _, e := range entries {
		w.walk(filepath.Join(p, e.Name()), false)
	}
}

func isBrokenLink(p string) bool {
	fi, err := os.Lstat(p)
	return err == nil && fi.Mode()&fs.ModeSymlink != 0
}

func hasManifestExt(p string) bool {
	return slices.Contains(Extensions, strings.ToLower(filepath.Ext(p)))
}
