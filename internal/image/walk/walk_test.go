package walk

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/palisade-dev/palisade/internal/image/imagetest"
	"github.com/palisade-dev/palisade/internal/image/source"
)

// recorder is an Analyzer that keeps the content of small files.
type recorder struct {
	Contents map[string]string
}

func (r *recorder) Visit(f *File, content io.Reader) error {
	if content != nil && f.Size < 1<<20 {
		b, err := io.ReadAll(content)
		if err != nil {
			return err
		}
		r.Contents[f.Path] = string(b)
	}
	return nil
}

func (r *recorder) Result() map[string]string { return r.Contents }

func newRecorder(source.Layer) Analyzer[map[string]string] {
	return &recorder{Contents: map[string]string{}}
}

func layerOf(i int, data []byte) source.Layer {
	return source.Layer{Index: i, DiffID: "sha256:layer" + string(rune('a'+i)), Open: func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}}
}

func walkBytes(t *testing.T, opts Options, data ...[]byte) []*LayerResult[map[string]string] {
	t.Helper()
	var layers []source.Layer
	for i, d := range data {
		layers = append(layers, layerOf(i, d))
	}
	res, err := Walk(context.Background(), layers, opts, newRecorder)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestWalkRecordsEntriesAndContent(t *testing.T) {
	tarBytes := imagetest.Tar(t,
		imagetest.Dir("etc/"),
		imagetest.File("etc/os-release", "ID=debian\n"),
		imagetest.Exec("./usr/bin/tool", "#!/bin/sh\necho hi\n"),
		imagetest.Symlink("bin", "usr/bin"),
		imagetest.Entry{Name: "usr/bin/su", Body: "x", Mode: 0o4755},
	)
	for name, data := range map[string][]byte{"plain": tarBytes, "gzip": imagetest.Gzip(t, tarBytes)} {
		t.Run(name, func(t *testing.T) {
			res := walkBytes(t, Options{}, data)[0]
			if res.Err != nil {
				t.Fatal(res.Err)
			}
			want := map[string]Type{"/etc": Dir, "/etc/os-release": Regular, "/usr/bin/tool": Regular, "/bin": Symlink, "/usr/bin/su": Regular}
			if len(res.Files) != len(want) {
				t.Fatalf("files = %+v", res.Files)
			}
			for _, f := range res.Files {
				if want[f.Path] != f.Type {
					t.Errorf("%s: type %c, want %c", f.Path, f.Type, want[f.Path])
				}
				if f.Path == "/usr/bin/tool" && !f.Executable() {
					t.Errorf("%s not executable: %v", f.Path, f.Mode)
				}
				if f.Path == "/usr/bin/su" && f.Mode&(1<<23) == 0 && !strings.Contains(f.Mode.String(), "u") {
					t.Errorf("setuid lost: %v", f.Mode)
				}
			}
			if res.Data["/etc/os-release"] != "ID=debian\n" {
				t.Errorf("content = %q", res.Data["/etc/os-release"])
			}
			if wantC := map[string]string{"plain": "none", "gzip": "gzip"}[name]; res.Stats.Compression != wantC {
				t.Errorf("compression %q", res.Stats.Compression)
			}
		})
	}
}

func TestWalkBadInput(t *testing.T) {
	good := imagetest.Tar(t, imagetest.File("a", strings.Repeat("x", 5000)), imagetest.File("b", "y"))
	gz := imagetest.Gzip(t, good)
	corruptGz := bytes.Clone(gz)
	corruptGz[len(corruptGz)/2] ^= 0xff
	corruptGz[len(corruptGz)/2+1] ^= 0xff
	tests := []struct {
		name string
		data []byte
		opts Options
		want string
	}{
		{"truncated tar", good[:700], Options{}, "corrupt or truncated"},
		{"truncated gzip", gz[:len(gz)/2], Options{}, "corrupt or truncated"},
		{"corrupt gzip", corruptGz, Options{}, "corrupt gzip"},
		{"not a tar", []byte(strings.Repeat("garbage!", 200)), Options{}, "corrupt or truncated"},
		{"size cap", gz, Options{MaxLayerBytes: 1024}, "exceeds the size limit"},
		{"entry cap", gz, Options{MaxEntries: 1}, "more entries"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := walkBytes(t, tt.opts, tt.data)[0]
			if res.Err == nil || !strings.Contains(res.Err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", res.Err, tt.want)
			}
			var le *LayerError
			if !errors.As(res.Err, &le) || le.Index != 0 {
				t.Errorf("not a LayerError: %T", res.Err)
			}
		})
	}
}

// TestDecompressionBomb feeds a small gzip stream that expands to far more
// than its ratio allows; the walk must stop early with ErrBomb.
func TestDecompressionBomb(t *testing.T) {
	defer func(old int64) { ratioFloor = old }(ratioFloor)
	ratioFloor = 1 << 20
	zeros := make([]byte, 1<<20)
	// A tar entry of 64 MiB of zeros, streamed into gzip.
	pr, pw := io.Pipe()
	go func() { _ = pw.CloseWithError(writeZeroTar(pw, 64<<20, zeros)) }()
	gz := gzipStream(t, pr)
	res := walkBytes(t, Options{MaxRatio: 100}, gz)[0]
	if !errors.Is(res.Err, ErrBomb) {
		t.Fatalf("err = %v, want ErrBomb", res.Err)
	}
}

func TestPathTraversalIsAnAnomaly(t *testing.T) {
	data := imagetest.Tar(t,
		imagetest.File("../../etc/cron.d/evil", "* * * * * root sh\n"),
		imagetest.File("ok/../../x", "y"),
		imagetest.Entry{Name: "link", Type: '1', Link: "../../../etc/shadow"},
		imagetest.File("usr/./lib/../bin/fine", "z"),
	)
	res := walkBytes(t, Options{}, data)[0]
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if len(res.Anomalies) != 3 {
		t.Fatalf("anomalies = %+v", res.Anomalies)
	}
	if len(res.Files) != 1 || res.Files[0].Path != "/usr/bin/fine" {
		t.Fatalf("files = %+v", res.Files)
	}
}

func TestIndexWhiteoutsAndOpaqueDirs(t *testing.T) {
	base := imagetest.Tar(t,
		imagetest.File("etc/keep", "1"),
		imagetest.File("etc/gone", "1"),
		imagetest.File("opt/app/old1", "1"),
		imagetest.File("opt/app/sub/old2", "1"),
		imagetest.File("var/dir/a", "1"),
		imagetest.File("replaced", "1"),
	)
	upper := imagetest.Tar(t,
		imagetest.File("opt/app/new", "2"),
		imagetest.File("opt/app/.wh..wh..opq", ""), // after a sibling: still keeps it
		imagetest.File("etc/.wh.gone", ""),
		imagetest.File(".wh.var", ""),
		imagetest.File("replaced", "2"),
	)
	res := walkBytes(t, Options{}, base, upper)
	ix := BuildIndex([][]File{res[0].Files, res[1].Files})
	present := map[string]int{"/etc/keep": 0, "/opt/app/new": 1, "/replaced": 1}
	for p, layer := range present {
		if !ix.Present(p, layer) {
			t.Errorf("%s from layer %d not present", p, layer)
		}
	}
	for _, p := range []string{"/etc/gone", "/opt/app/old1", "/opt/app/sub/old2", "/var/dir/a", "/var"} {
		if _, _, ok := ix.Lookup(p); ok {
			t.Errorf("%s present, want deleted", p)
		}
	}
	if ix.Present("/replaced", 0) {
		t.Error("/replaced from layer 0 is shadowed by layer 1")
	}
	var paths []string
	ix.Walk(func(p string, f *File, _ int) {
		if f != nil && f.Type == Regular {
			paths = append(paths, p)
		}
	})
	if got := strings.Join(paths, " "); got != "/etc/keep /opt/app/new /replaced" {
		t.Errorf("walk = %s", got)
	}
}

func TestIndexResolve(t *testing.T) {
	data := imagetest.Tar(t,
		imagetest.File("usr/lib/libx.so.1", "elf"),
		imagetest.Symlink("lib", "usr/lib"),
		imagetest.Symlink("usr/lib/libx.so", "libx.so.1"),
		imagetest.Symlink("etc/abs", "/usr/lib/libx.so"),
		imagetest.Symlink("etc/escape", "../../../../usr/lib/libx.so.1"),
		imagetest.Symlink("loop/a", "b"),
		imagetest.Symlink("loop/b", "a"),
		imagetest.Symlink("self", "/self"),
	)
	res := walkBytes(t, Options{}, data)
	ix := BuildIndex([][]File{res[0].Files})
	for _, p := range []string{"/lib/libx.so", "/etc/abs", "/etc/escape"} {
		got, f, _, err := ix.Resolve(p)
		if err != nil || got != "/usr/lib/libx.so.1" || f == nil || f.Type != Regular {
			t.Errorf("Resolve(%s) = %s, %+v, %v", p, got, f, err)
		}
	}
	for _, p := range []string{"/loop/a", "/self"} {
		if _, _, _, err := ix.Resolve(p); !errors.Is(err, ErrLinkLoop) {
			t.Errorf("Resolve(%s) err = %v, want a loop", p, err)
		}
	}
}

func TestCache(t *testing.T) {
	data := imagetest.Tar(t, imagetest.File("a", "1"))
	cache := NewMemCache()
	calls := 0
	newA := func(l source.Layer) Analyzer[map[string]string] { calls++; return newRecorder(l) }
	layers := []source.Layer{layerOf(0, data)}
	for range 2 {
		res, err := Walk(context.Background(), layers, Options{Cache: cache, CacheKey: "v1"}, newA)
		if err != nil || res[0].Err != nil || res[0].Data["/a"] != "1" {
			t.Fatalf("res = %+v, %v", res[0], err)
		}
	}
	if calls != 1 {
		t.Errorf("analyzer created %d times, want 1 (cached)", calls)
	}
	dc := DirCache{Dir: t.TempDir()}
	dc.Put("k", []byte("v"))
	if v, ok := dc.Get("k"); !ok || string(v) != "v" {
		t.Errorf("DirCache.Get = %q, %v", v, ok)
	}
}

// TestParallelLayers walks many layers at once (run with -race).
func TestParallelLayers(t *testing.T) {
	var data [][]byte
	for i := range 12 {
		data = append(data, imagetest.Gzip(t, imagetest.Tar(t,
			imagetest.File("f", strings.Repeat(string(rune('a'+i)), 300_000)),
			imagetest.File("g", "x"))))
	}
	res := walkBytes(t, Options{Workers: 4}, data...)
	for i, r := range res {
		if r.Err != nil || len(r.Data["/f"]) != 300_000 || r.Data["/f"][0] != byte('a'+i) {
			t.Fatalf("layer %d: %v", i, r.Err)
		}
	}
}
