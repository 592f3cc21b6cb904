package walk

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/palisade-dev/palisade/internal/image/source"
)

// Type is the kind of a layer entry.
type Type byte

// Entry types. Whiteout and Opaque are the OCI markers that delete lower
// layers' files; they are never present at run time themselves.
const (
	Regular  Type = 'f'
	Dir      Type = 'd'
	Symlink  Type = 'l'
	Hardlink Type = 'h'
	Whiteout Type = 'w'
	Opaque   Type = 'o'
	Other    Type = 'x' // devices, FIFOs
)

// File is one entry of a layer.
type File struct {
	// Path is absolute and clean, such as "/etc/passwd". For a whiteout
	// it is the path deleted; for an opaque marker, the directory.
	Path string `json:"p"`
	Type Type   `json:"t"`
	// Size is the content size of a regular file.
	Size int64 `json:"s,omitempty"`
	// Mode holds the permission and special bits (setuid, setgid, sticky).
	Mode fs.FileMode `json:"m,omitempty"`
	// Link is the target of a symbolic link as written, or the absolute
	// path of a hard link's target.
	Link string `json:"l,omitempty"`
	// UID is the owner's user ID.
	UID int `json:"u,omitempty"`
}

// Executable reports whether anyone may execute a regular file.
func (f *File) Executable() bool { return f.Type == Regular && f.Mode&0o111 != 0 }

// Anomaly is something in a layer's tar stream that no image builder
// writes and that targets extraction tools: an entry whose name climbs out
// of the root.
type Anomaly struct {
	// Kind is "path-traversal".
	Kind string `json:"kind"`
	// Name is the entry name as written in the tar stream.
	Name string `json:"name"`
	// Detail explains it.
	Detail string `json:"detail"`
}

// Analyzer looks at the entries of one layer. One Analyzer is created per
// layer and used by one goroutine.
type Analyzer[R any] interface {
	// Visit is called for each entry in stream order. content is non-nil
	// for regular files only and yields at most f.Size bytes; the
	// analyzer may read any part of it, and what it leaves unread is
	// skipped. An error stops the walk of the layer.
	Visit(f *File, content io.Reader) error
	// Result returns what the analyzer found, once every entry was
	// visited (or the walk stopped). It must be JSON-encodable when a
	// Cache is used.
	Result() R
}

// Options bound a walk. Zero values take the defaults.
type Options struct {
	// Workers is how many layers are walked at once; default
	// min(GOMAXPROCS, 4).
	Workers int
	// MaxLayerBytes caps the decompressed bytes of one layer; default
	// DefaultMaxLayerBytes.
	MaxLayerBytes int64
	// MaxRatio caps the expansion ratio of a compressed layer once it has
	// produced more than ratioFloor bytes; default DefaultMaxRatio.
	MaxRatio int64
	// MaxEntries caps the entries of one layer; default DefaultMaxEntries.
	MaxEntries int
	// Cache stores results per layer DiffID; optional.
	Cache Cache
	// CacheKey distinguishes analyzers (and their settings) sharing a
	// cache; it must change whenever their results would. Required with
	// a Cache.
	CacheKey string
}

// Defaults for Options.
const (
	DefaultMaxLayerBytes = 16 << 30
	DefaultMaxRatio      = 1000
	DefaultMaxEntries    = 2_000_000
)

// ratioFloor is how many decompressed bytes a layer may produce before its
// expansion ratio is checked: small layers of sparse files compress
// extremely well and are harmless. A variable for tests.
var ratioFloor int64 = 256 << 20

func (o *Options) defaults() {
	if o.Workers <= 0 {
		o.Workers = min(runtime.GOMAXPROCS(0), 4)
	}
	if o.MaxLayerBytes <= 0 {
		o.MaxLayerBytes = DefaultMaxLayerBytes
	}
	if o.MaxRatio <= 0 {
		o.MaxRatio = DefaultMaxRatio
	}
	if o.MaxEntries <= 0 {
		o.MaxEntries = DefaultMaxEntries
	}
}

// Stats describe the walk of one layer.
type Stats struct {
	Entries int `json:"entries"`
	// Bytes is the size of the decompressed tar stream.
	Bytes int64 `json:"bytes"`
	// Compression is "gzip", "zstd" or "none".
	Compression string `json:"compression"`
}

// LayerResult is the outcome of walking one layer.
type LayerResult[R any] struct {
	Layer     source.Layer `json:"-"`
	Files     []File       `json:"files"`
	Anomalies []Anomaly    `json:"anomalies,omitempty"`
	Stats     Stats        `json:"stats"`
	Data      R            `json:"data"`
	// Err is why the layer could not be read to its end; Files and Data
	// then hold what was seen before. Never cached.
	Err error `json:"-"`
	// Cached says the result came from the cache.
	Cached bool `json:"-"`
}

// Walk walks every layer with a fresh analyzer from newAnalyzer and returns
// the results in layer order. It returns an error only when ctx is done;
// a layer that cannot be read has its LayerResult.Err set and the others
// are still walked.
func Walk[R any](ctx context.Context, layers []source.Layer, opts Options, newAnalyzer func(source.Layer) Analyzer[R]) ([]*LayerResult[R], error) {
	opts.defaults()
	results := make([]*LayerResult[R], len(layers))
	// Largest layers first: the walk takes as long as its longest
	// worker, and starting the big layers early balances the workers.
	order := make([]int, len(layers))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return layers[order[a]].Size > layers[order[b]].Size })
	next := make(chan int, len(layers))
	for _, i := range order {
		next <- i
	}
	close(next)
	var wg sync.WaitGroup
	for range min(opts.Workers, len(layers)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if ctx.Err() != nil {
					results[i] = &LayerResult[R]{Layer: layers[i], Err: ctx.Err()}
					continue
				}
				results[i] = walkCached(ctx, layers[i], opts, newAnalyzer)
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return results, err
	}
	return results, nil
}

func walkCached[R any](ctx context.Context, l source.Layer, opts Options, newAnalyzer func(source.Layer) Analyzer[R]) *LayerResult[R] {
	key := ""
	if opts.Cache != nil && l.DiffID != "" {
		key = opts.CacheKey + "/" + l.DiffID
		if b, ok := opts.Cache.Get(key); ok {
			res := &LayerResult[R]{}
			if err := json.Unmarshal(b, res); err == nil {
				res.Layer, res.Cached = l, true
				return res
			}
		}
	}
	a := newAnalyzer(l)
	res := &LayerResult[R]{Layer: l}
	res.Err = walkLayer(ctx, l, opts, a, res)
	res.Data = a.Result()
	if res.Err == nil && key != "" {
		if b, err := json.Marshal(res); err == nil {
			opts.Cache.Put(key, b)
		}
	}
	return res
}

// LayerError is an error reading one layer.
type LayerError struct {
	Index  int
	Digest string
	// Entry is the last entry read before the error, if any.
	Entry string
	Err   error
}

func (e *LayerError) Error() string {
	s := fmt.Sprintf("layer %d (%s)", e.Index, short(e.Digest))
	if e.Entry != "" {
		s += fmt.Sprintf(" after %s", e.Entry)
	}
	return s + ": " + e.Err.Error()
}

func (e *LayerError) Unwrap() error { return e.Err }

// Errors a walk can return, wrapped in a LayerError.
var (
	ErrTooLarge   = errors.New("decompressed layer exceeds the size limit")
	ErrBomb       = errors.New("layer expands more than the allowed ratio (a decompression bomb?)")
	ErrTooMany    = errors.New("layer has more entries than the limit")
	ErrCorruptTar = errors.New("corrupt or truncated layer tar stream")
)

func short(d string) string {
	if i := strings.IndexByte(d, ':'); i >= 0 && len(d) > i+13 {
		return d[:i+13]
	}
	return d
}

func walkLayer[R any](ctx context.Context, l source.Layer, opts Options, a Analyzer[R], res *LayerResult[R]) (err error) {
	lastEntry := ""
	wrap := func(e error) error {
		if e == nil {
			return nil
		}
		return &LayerError{Index: l.Index, Digest: l.ID(), Entry: lastEntry, Err: e}
	}
	defer func() {
		if r := recover(); r != nil {
			err = wrap(fmt.Errorf("internal error: %v", r))
		}
	}()
	if l.Open == nil {
		return wrap(errors.New("layer cannot be opened"))
	}
	raw, err := l.Open()
	if err != nil {
		return wrap(err)
	}
	defer func() { _ = raw.Close() }()
	st, err := newStream(ctx, raw, opts.MaxLayerBytes, opts.MaxRatio)
	if err != nil {
		return wrap(err)
	}
	defer st.Close()
	res.Stats.Compression = st.compression
	tr := tar.NewReader(st)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return wrap(st.cause(err))
		}
		res.Stats.Entries++
		if res.Stats.Entries > opts.MaxEntries {
			return wrap(ErrTooMany)
		}
		f, anomaly := fileOf(h)
		if anomaly != nil {
			res.Anomalies = append(res.Anomalies, *anomaly)
			continue
		}
		if f == nil {
			continue
		}
		lastEntry = f.Path
		res.Files = append(res.Files, *f)
		var content io.Reader
		if f.Type == Regular {
			content = tr
		}
		if err := a.Visit(&res.Files[len(res.Files)-1], content); err != nil {
			return wrap(st.cause(err))
		}
	}
	// Drain what follows the tar's end marker, so that the digest of a
	// remote blob is verified and trailing garbage counted.
	if _, err := io.Copy(io.Discard, st); err != nil {
		return wrap(st.cause(err))
	}
	res.Stats.Bytes = st.n
	return nil
}

// fileOf converts a tar header. It returns nil for entries that carry no
// file (PAX global headers), and an anomaly for names that climb out of
// the root.
func fileOf(h *tar.Header) (*File, *Anomaly) {
	p, ok := cleanPath(h.Name)
	if !ok {
		return nil, &Anomaly{Kind: "path-traversal", Name: h.Name, Detail: "the entry name climbs out of the root with ../"}
	}
	f := &File{Path: p, Size: h.Size, Mode: fs.FileMode(h.Mode & 0o777), UID: h.Uid}
	if h.Mode&0o4000 != 0 {
		f.Mode |= fs.ModeSetuid
	}
	if h.Mode&0o2000 != 0 {
		f.Mode |= fs.ModeSetgid
	}
	if h.Mode&0o1000 != 0 {
		f.Mode |= fs.ModeSticky
	}
	dir, base := splitPath(p)
	switch {
	case base == ".wh..wh..opq":
		f.Type, f.Path, f.Size = Opaque, dir, 0
		return f, nil
	case strings.HasPrefix(base, ".wh."):
		f.Type, f.Size = Whiteout, 0
		f.Path = joinPath(dir, strings.TrimPrefix(base, ".wh."))
		return f, nil
	}
	switch h.Typeflag {
	case tar.TypeReg, tar.TypeGNUSparse: // the reader reports the old TypeRegA as TypeReg
		f.Type = Regular
	case tar.TypeDir:
		f.Type, f.Size = Dir, 0
	case tar.TypeSymlink:
		f.Type, f.Size, f.Link = Symlink, 0, h.Linkname
	case tar.TypeLink:
		t, ok := cleanPath(h.Linkname)
		if !ok {
			return nil, &Anomaly{Kind: "path-traversal", Name: h.Name, Detail: "a hard link whose target " + h.Linkname + " climbs out of the root"}
		}
		f.Type, f.Size, f.Link = Hardlink, 0, t
	case tar.TypeXGlobalHeader, tar.TypeXHeader, tar.TypeGNULongName, tar.TypeGNULongLink:
		return nil, nil
	default:
		f.Type, f.Size = Other, 0
	}
	if p == "/" {
		return nil, nil
	}
	return f, nil
}

// cleanPath makes a tar entry name absolute and clean. It reports false
// when a ".." would climb above the root.
func cleanPath(name string) (string, bool) {
	var parts []string
	for _, c := range strings.Split(name, "/") {
		switch c {
		case "", ".":
		case "..":
			if len(parts) == 0 {
				return "", false
			}
			parts = parts[:len(parts)-1]
		default:
			parts = append(parts, c)
		}
	}
	return "/" + strings.Join(parts, "/"), true
}

func splitPath(p string) (dir, base string) {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return "/", p[i+1:]
	}
	return p[:i], p[i+1:]
}

func joinPath(dir, base string) string {
	if dir == "/" {
		return "/" + base
	}
	return dir + "/" + base
}
