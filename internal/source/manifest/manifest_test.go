package manifest

import (
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf16"
)

func configMap(name string) string {
	return fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n", name)
}

// write creates the file rel under dir with content, making directories.
func write(t *testing.T, dir, rel, content string) string {
	t.Helper()
	p := filepath.Join(dir, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("symlinks not supported: %v", err)
	}
}

// summary lists what was loaded, paths relative to dir, one line per
// object, error and skipped document.
func summary(dir string, in *Input) []string {
	rel := func(p string) string {
		if r, err := filepath.Rel(dir, p); err == nil && !strings.HasPrefix(r, "..") {
			return filepath.ToSlash(r)
		}
		return p
	}
	var out []string
	for _, o := range in.Objects {
		out = append(out, fmt.Sprintf("object %s:%d doc %d %s %s", rel(o.Source.File), o.Line, o.Source.Doc, o.Kind, o.Name))
	}
	for _, e := range in.Errors {
		out = append(out, fmt.Sprintf("error %s:%d %s", rel(e.File), e.Line, e.Msg))
	}
	for _, s := range in.Skipped {
		out = append(out, fmt.Sprintf("skipped %s:%d doc %d", rel(s.File), s.Line, s.Doc))
	}
	return out
}

// load runs Load and fails the test if it does not return in time: loading
// must never block (on a named pipe, say).
func load(t *testing.T, paths []string, opts Options) *Input {
	t.Helper()
	done := make(chan *Input, 1)
	go func() { done <- Load(paths, opts) }()
	select {
	case in := <-done:
		return in
	case <-time.After(30 * time.Second):
		t.Fatal("Load blocked")
		return nil
	}
}

func expect(t *testing.T, got, want []string) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestLoadDirectory(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.yaml", configMap("a"))
	write(t, dir, "b.yml", configMap("b")+"---\n"+configMap("b2"))
	write(t, dir, "c.json", `{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}`)
	write(t, dir, "UPPER.YAML", configMap("upper"))
	write(t, dir, "notes.txt", configMap("txt"))
	write(t, dir, "README.md", "# hello\n")
	write(t, dir, "values.yaml", "replicas: 2\n")
	write(t, dir, ".hidden-file.yaml", configMap("hidden-file"))
	write(t, dir, "sub/d.yaml", configMap("d"))
	write(t, dir, "sub/deeper/e.yaml", configMap("e"))
	write(t, dir, "conf.d.yaml/inner.yaml", configMap("in-dir-named-yaml"))
	write(t, dir, ".git/f.yaml", configMap("in-git"))
	write(t, dir, "sub/.cache/g.yaml", configMap("in-cache"))
	write(t, dir, "node_modules/h.yaml", configMap("in-node-modules"))
	write(t, dir, "vendor/i.yaml", configMap("in-vendor"))
	write(t, dir, "broken.yaml", configMap("ok")+"---\nmetadata:\n\tname: tab\n")
	other := write(t, t.TempDir(), "manifest.txt", configMap("explicit"))

	in := load(t, []string{dir, other}, Options{})
	expect(t, summary(dir, in), []string{
		"object .hidden-file.yaml:1 doc 0 ConfigMap hidden-file",
		"object UPPER.YAML:1 doc 0 ConfigMap upper",
		"object a.yaml:1 doc 0 ConfigMap a",
		"object b.yml:1 doc 0 ConfigMap b",
		"object b.yml:6 doc 1 ConfigMap b2",
		"object broken.yaml:1 doc 0 ConfigMap ok",
		"object c.json:1 doc 0 ConfigMap c",
		"object conf.d.yaml/inner.yaml:1 doc 0 ConfigMap in-dir-named-yaml",
		"object sub/d.yaml:1 doc 0 ConfigMap d",
		"object sub/deeper/e.yaml:1 doc 0 ConfigMap e",
		"object " + other + ":1 doc 0 ConfigMap explicit",
		"error broken.yaml:7 yaml: found character that cannot start any token",
		"skipped values.yaml:1 doc 0",
	})
	if in.Files != 11 {
		t.Errorf("Files = %d, want 11", in.Files)
	}
	// A hidden directory named explicitly is read.
	in = load(t, []string{filepath.Join(dir, ".git")}, Options{})
	if len(in.Objects) != 1 || in.Objects[0].Name != "in-git" {
		t.Errorf("explicit hidden directory: %v", summary(dir, in))
	}
}

func TestLoadStdin(t *testing.T) {
	dir := t.TempDir()
	file := write(t, dir, "a.yaml", configMap("a"))
	in := load(t, []string{"-", file, "-"}, Options{Stdin: strings.NewReader(configMap("from-stdin") + "---\n" + configMap("second"))})
	expect(t, summary(dir, in), []string{
		"object -:1 doc 0 ConfigMap from-stdin",
		"object -:6 doc 1 ConfigMap second",
		"object a.yaml:1 doc 0 ConfigMap a",
	})
	if in.Files != 2 {
		t.Errorf("Files = %d, want 2 (standard input is read once)", in.Files)
	}
}

func TestLoadLimits(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "big.yaml", configMap(strings.Repeat("x", 200)))
	write(t, dir, "small.yaml", configMap("s"))
	write(t, dir, "binary.yaml", "apiVersion: v1\x00\x01\x02")
	in := load(t, []string{dir, "-"}, Options{MaxFileSize: 100, Stdin: strings.NewReader(configMap(strings.Repeat("y", 200)))})
	expect(t, summary(dir, in), []string{
		"object small.yaml:1 doc 0 ConfigMap s",
		"error big.yaml:0 file is 250 bytes, larger than the 100 byte limit",
		"error binary.yaml:0 binary file (contains NUL bytes)",
		"error -:0 input is larger than the 100 byte limit",
	})
}

func utf16File(s string) string {
	units := utf16.Encode([]rune("\ufeff" + s))
	b := make([]byte, 2*len(units))
	for i, u := range units {
		binary.LittleEndian.PutUint16(b[2*i:], u)
	}
	return string(b)
}

func TestLoadUTF16(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "windows.yaml", utf16File(configMap("café")+"---\r\n"+configMap("second")))
	in := load(t, []string{dir}, Options{})
	expect(t, summary(dir, in), []string{
		"object windows.yaml:1 doc 0 ConfigMap café",
		"object windows.yaml:6 doc 1 ConfigMap second",
	})
}

// TestLoadSpecialFiles checks that named pipes, sockets and devices are
// reported without being opened (opening a named pipe blocks), and that
// unreadable files and missing paths are reported.
func TestLoadSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "ok.yaml", configMap("ok"))
	fifo := filepath.Join(dir, "pipe.yaml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	sock := filepath.Join(dir, "sock.yaml")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Skipf("unix socket: %v", err)
	}
	defer l.Close()
	var want []string
	paths := []string{dir, fifo, filepath.Join(dir, "missing.yaml"), filepath.Join(dir, "sub", "missing")}
	if _, err := os.Stat("/dev/null"); err == nil {
		paths = append(paths, "/dev/null")
		want = append(want, "error /dev/null:0 not a regular file (device)")
	}
	if os.Geteuid() != 0 {
		// As root (in CI, in containers) permissions do not stop reading.
		locked := write(t, dir, "locked.yaml", configMap("locked"))
		if err := os.Chmod(locked, 0); err != nil {
			t.Fatal(err)
		}
		want = append(want, "error locked.yaml:0 permission denied")
	}
	in := load(t, paths, Options{})
	got := summary(dir, in)
	want = append([]string{
		"object ok.yaml:1 doc 0 ConfigMap ok",
		"error pipe.yaml:0 not a regular file (named pipe)",
		"error sock.yaml:0 not a regular file (socket)",
		"error missing.yaml:0 no such file or directory",
		"error sub/missing:0 no such file or directory",
	}, want...)
	// Walk errors come first, then read errors; sort for comparison.
	if !sameSet(got, want) {
		t.Errorf("got:\n  %s\nwant (any order):\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}

	// A file list that names a pipe (a name replaced after the walk, say)
	// is not opened either.
	done := make(chan *Input, 1)
	go func() { done <- LoadFiles([]string{fifo, sock}, Options{}) }()
	select {
	case in := <-done:
		expect(t, summary(dir, in), []string{
			"error pipe.yaml:0 not a regular file (named pipe)",
			"error sock.yaml:0 not a regular file (socket)",
		})
	case <-time.After(30 * time.Second):
		t.Fatal("LoadFiles blocked on a named pipe")
	}
	if _, err := readFile(dir, false, Options{MaxFileSize: 10}); err == nil || err.Error() != "is a directory" {
		t.Errorf("reading a directory: %v", err)
	}
}

func sameSet(a, b []string) bool {
	count := map[string]int{}
	for _, s := range a {
		count[s]++
	}
	for _, s := range b {
		count[s]--
	}
	for _, n := range count {
		if n != 0 {
			return false
		}
	}
	return len(a) == len(b)
}

func TestLoadSymlinks(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "apps/a.yaml", configMap("a"))
	write(t, dir, "apps/nested/b.yaml", configMap("b"))
	// A loop: a directory linked to its parent, and one linked to itself.
	symlink(t, "..", filepath.Join(dir, "apps", "nested", "up"))
	symlink(t, ".", filepath.Join(dir, "apps", "self"))
	// Two more links to the same directory, and a link to a file.
	symlink(t, "apps", filepath.Join(dir, "link1"))
	symlink(t, filepath.Join(dir, "apps"), filepath.Join(dir, "link2"))
	symlink(t, filepath.Join("apps", "a.yaml"), filepath.Join(dir, "z-file-link.yaml"))
	// A hidden directory reached through a symlink is still hidden.
	write(t, dir, ".secret/s.yaml", configMap("hidden"))
	symlink(t, ".secret", filepath.Join(dir, ".visible-link"))
	// Broken links, and two links that point at each other.
	symlink(t, "nowhere.yaml", filepath.Join(dir, "broken.yaml"))
	symlink(t, "loop2.yaml", filepath.Join(dir, "loop1.yaml"))
	symlink(t, "loop1.yaml", filepath.Join(dir, "loop2.yaml"))

	in := load(t, []string{dir}, Options{})
	expect(t, summary(dir, in), []string{
		"object apps/a.yaml:1 doc 0 ConfigMap a",
		"object apps/nested/b.yaml:1 doc 0 ConfigMap b",
		"error apps/nested/up:0 symlink loop: links back to a directory being scanned",
		"error apps/self:0 symlink loop: links back to a directory being scanned",
		"error broken.yaml:0 broken symlink: no such file or directory",
		"error loop1.yaml:0 symlink loop",
		"error loop2.yaml:0 symlink loop",
	})

	// Named explicitly: the same tree twice, a file twice, a link to a
	// file and a broken link.
	in = load(t, []string{filepath.Join(dir, "link1"), filepath.Join(dir, "apps"), filepath.Join(dir, "apps", "a.yaml"), filepath.Join(dir, "z-file-link.yaml"), filepath.Join(dir, "broken.yaml")}, Options{})
	expect(t, summary(dir, in), []string{
		"object link1/a.yaml:1 doc 0 ConfigMap a",
		"object link1/nested/b.yaml:1 doc 0 ConfigMap b",
		"error link1/nested/up:0 symlink loop: links back to a directory being scanned",
		"error link1/self:0 symlink loop: links back to a directory being scanned",
		"error broken.yaml:0 broken symlink: no such file or directory",
	})

	// A hard link is the same file.
	if err := os.Link(filepath.Join(dir, "apps", "a.yaml"), filepath.Join(dir, "hard.yaml")); err == nil {
		in = load(t, []string{filepath.Join(dir, "apps", "a.yaml"), filepath.Join(dir, "hard.yaml")}, Options{})
		if len(in.Objects) != 1 {
			t.Errorf("hard link read twice: %v", summary(dir, in))
		}
	}
}

func TestLoadClaim(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.yaml", configMap("a"))
	write(t, dir, "chart/Chart.yaml", "apiVersion: v2\nname: chart\n")
	write(t, dir, "chart/templates/x.yaml", configMap("{{ .Values.name }}"))
	var claimed []string
	in := load(t, []string{dir}, Options{Claim: func(d string) bool {
		claimed = append(claimed, d)
		_, err := os.Stat(filepath.Join(d, "Chart.yaml"))
		return err == nil
	}})
	expect(t, summary(dir, in), []string{"object a.yaml:1 doc 0 ConfigMap a"})
	if len(claimed) != 2 || claimed[0] != dir || claimed[1] != filepath.Join(dir, "chart") {
		t.Errorf("Claim called with %v", claimed)
	}
}

// TestLoadDeterministic loads a tree of many files, some broken, with
// different numbers of workers: the result must not depend on scheduling.
// Run it with -race: the workers share the results slice.
func TestLoadDeterministic(t *testing.T) {
	dir := t.TempDir()
	for i := range 150 {
		var b strings.Builder
		for j := range i % 5 {
			fmt.Fprintf(&b, "---\n%s", configMap(fmt.Sprintf("cm-%d-%d", i, j)))
		}
		if i%7 == 0 {
			b.WriteString("---\nkind: [broken\n")
		}
		if i%11 == 0 {
			b.WriteString("---\njust: values\n")
		}
		// Large files take longer, so workers finish out of order.
		if i%13 == 0 {
			fmt.Fprintf(&b, "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: big-%d}\ndata: {x: %q}\n", i, strings.Repeat("z", 200_000))
		}
		write(t, dir, fmt.Sprintf("d%02d/f%03d.yaml", i%10, i), b.String())
	}
	write(t, dir, "d03/huge.yaml", strings.Repeat("#", 2000))
	var first []string
	for run, workers := range []int{1, 64, 3, 0, 16, 64, 2, 64} {
		in := load(t, []string{dir}, Options{Workers: workers, MaxFileSize: 1000})
		got := summary(dir, in)
		if run == 0 {
			first = got
			if len(in.Objects) < 200 || len(in.Errors) < 20 || len(in.Skipped) < 10 {
				t.Fatalf("only %d objects, %d errors, %d skipped", len(in.Objects), len(in.Errors), len(in.Skipped))
			}
			continue
		}
		if !reflect.DeepEqual(got, first) {
			t.Fatalf("run %d (%d workers) differs from the first", run, workers)
		}
	}
}

func TestLoadEmpty(t *testing.T) {
	in := load(t, nil, Options{})
	if len(in.Objects)+len(in.Errors)+len(in.Skipped)+in.Files != 0 {
		t.Errorf("loading nothing gave %+v", in)
	}
	dir := t.TempDir()
	write(t, dir, "empty.yaml", "")
	write(t, dir, "comments.yaml", "# nothing\n")
	in = load(t, []string{dir}, Options{})
	if len(in.Objects)+len(in.Errors)+len(in.Skipped) != 0 || in.Files != 2 {
		t.Errorf("empty files gave %v, %d files", summary(dir, in), in.Files)
	}
}
