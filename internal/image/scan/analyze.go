package scan

import (
	"bufio"
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/palisade-dev/palisade/internal/image/check"
	"github.com/palisade-dev/palisade/internal/image/malware"
	"github.com/palisade-dev/palisade/internal/image/sbom"
	"github.com/palisade-dev/palisade/internal/image/walk"
)

// LayerData is what the analyzers find in one layer. It is cached per
// layer DiffID, so it holds no layer index: Layer fields are filled in
// when layers are merged.
type LayerData struct {
	Malware []FileHit            `json:"malware,omitempty"`
	Secrets []FileHit            `json:"secrets,omitempty"`
	Found   []*sbom.Found        `json:"found,omitempty"`
	Preload []check.PreloadEntry `json:"preload,omitempty"`
	Readdir []check.ELFFact      `json:"readdir,omitempty"`
	// Streamed counts files above the content bound, which were only
	// searched for literals and Go build information.
	Streamed int `json:"streamed,omitempty"`
	// Problems are files that could not be parsed (corrupt package
	// databases, archives).
	Problems []string `json:"problems,omitempty"`
}

// FileHit is a finding in one file of a layer.
type FileHit struct {
	RuleID   string `json:"rule"`
	Path     string `json:"path"`
	Line     int    `json:"line,omitempty"`
	Offset   int64  `json:"offset,omitempty"`
	Message  string `json:"message,omitempty"`
	Evidence string `json:"evidence,omitempty"`
}

// analyzer runs every per-file analysis over one layer.
type analyzer struct {
	s    *Scanner
	data LayerData
	buf  []byte
}

func (a *analyzer) Result() LayerData { return a.data }

// chunk is the piece size for files above the content bound.
const chunk = 1 << 20

func (a *analyzer) Visit(f *walk.File, r io.Reader) error {
	if r == nil || f.Size == 0 {
		return nil
	}
	if f.Size > a.s.opts.MaxFileBytes {
		return a.stream(f, r)
	}
	if int64(cap(a.buf)) < f.Size {
		// Grow by powers of two, so a layer of growing files leaves
		// little garbage behind.
		a.buf = make([]byte, max(64<<10, roundPow2(f.Size)))
	}
	b := a.buf[:f.Size]
	if _, err := io.ReadFull(r, b); err != nil {
		return err
	}
	typ := malware.Classify(b)
	if !compressed(b) {
		for _, h := range a.s.engine.ScanFile(f.Path, b, typ) {
			a.data.Malware = append(a.data.Malware, FileHit{RuleID: h.Rule.ID, Path: f.Path, Line: h.Line, Offset: h.Offset, Evidence: h.Evidence})
		}
	}
	if (typ == malware.Text || typ == malware.Script) && f.Size <= a.s.opts.MaxSecretFileBytes && !a.s.secrets.Skip(f.Path) {
		for _, h := range a.s.secrets.Scan(f.Path, b) {
			a.data.Secrets = append(a.data.Secrets, FileHit{RuleID: h.Rule.ID, Path: f.Path, Line: h.Line, Message: h.Message, Evidence: h.Evidence})
		}
	}
	switch kind := sbom.Wants(f.Path); {
	case kind == sbom.Content, kind == sbom.Binary && (typ == malware.ELF || isExecutable(b)):
		found, err := sbom.Parse(f.Path, 0, b)
		if err != nil {
			a.data.Problems = append(a.data.Problems, fmt.Sprintf("%s: %v", f.Path, err))
		}
		if found != nil {
			a.data.Found = append(a.data.Found, found)
		}
	}
	if typ == malware.ELF {
		a.elf(f, b)
	}
	if f.Path == "/etc/ld.so.preload" {
		for i, line := range strings.Split(string(b), "\n") {
			for _, lib := range strings.FieldsFunc(line, func(r rune) bool { return r == ' ' || r == '\t' || r == ':' }) {
				if strings.HasPrefix(lib, "#") {
					break
				}
				a.data.Preload = append(a.data.Preload, check.PreloadEntry{Line: i + 1, Library: lib})
			}
		}
	}
	return nil
}

// compressedMagics start compressed files and archives (gzip, xz, bzip2,
// zstd, zip and jar, PNG, JPEG, GIF, WOFF): no rule's literal can appear in
// their bytes other than by chance, so they are not searched. Their names
// still count (executables named after attack tools are ELF files), and
// archives are still read for packages.
var compressedMagics = [][]byte{
	{0x1f, 0x8b}, {0xfd, '7', 'z', 'X', 'Z', 0}, []byte("BZh"), {0x28, 0xb5, 0x2f, 0xfd}, []byte("PK\x03\x04"),
	[]byte("\x89PNG"), {0xff, 0xd8, 0xff}, []byte("GIF8"), []byte("wOFF"), []byte("wOF2"),
}

func compressed(b []byte) bool {
	for _, m := range compressedMagics {
		if bytes.HasPrefix(b, m) {
			return true
		}
	}
	return false
}

func roundPow2(n int64) int64 {
	p := int64(1)
	for p < n {
		p <<= 1
	}
	return p
}

// isExecutable tells Mach-O and PE binaries, which may be Go binaries too.
func isExecutable(b []byte) bool {
	return bytes.HasPrefix(b, []byte("MZ")) || bytes.HasPrefix(b, []byte{0xcf, 0xfa, 0xed, 0xfe}) || bytes.HasPrefix(b, []byte{0xfe, 0xed, 0xfa, 0xcf})
}

// libcNames are the C libraries and the runtimes that legitimately define
// readdir (sanitizers and fakeroot intercept it for testing).
// The list holds the C libraries (glibc, musl, gcompat), the sanitizer
// runtimes, fakeroot, fakechroot, pseudo, Valgrind's preload libraries and
// gprofng's I/O tracer.
var libcNames = []string{"libc.so", "libc-", "libc.musl", "ld-musl", "libgcompat", "libasan", "libtsan", "libmsan", "liblsan", "libhwasan",
	"libfakeroot", "libfakechroot", "libpseudo", "libc_malloc_debug", "vgpreload_", "libgp-"}

// elf records shared objects that define readdir.
func (a *analyzer) elf(f *walk.File, b []byte) {
	base := path.Base(f.Path)
	if !strings.Contains(base, ".so") {
		return
	}
	for _, n := range libcNames {
		if strings.HasPrefix(base, n) {
			return
		}
	}
	ef, err := elf.NewFile(bytes.NewReader(b))
	if err != nil || ef.Type != elf.ET_DYN {
		return
	}
	syms, err := ef.DynamicSymbols()
	if err != nil {
		return
	}
	for _, s := range syms {
		if (s.Name == "readdir" || s.Name == "readdir64") && s.Section != elf.SHN_UNDEF && elf.ST_TYPE(s.Info) == elf.STT_FUNC {
			a.data.Readdir = append(a.data.Readdir, check.ELFFact{Path: f.Path, Symbol: s.Name})
			return
		}
	}
}

// stream handles a file above the content bound: its pieces are searched
// for the malware rules' literals and for Go build information.
func (a *analyzer) stream(f *walk.File, r io.Reader) error {
	a.data.Streamed++
	overlap := a.s.engine.MaxLiteral() - 1
	if cap(a.buf) < chunk+overlap {
		a.buf = make([]byte, chunk+overlap)
	}
	buf := a.buf[:chunk+overlap]
	br := bufio.NewReaderSize(r, 4096)
	head, _ := br.Peek(1024)
	typ := malware.Classify(head)
	fs := a.s.engine.Start(f.Path, f.Size, typ)
	var gs sbom.GoStream
	var off int64
	carry := 0
	for {
		n, err := io.ReadFull(br, buf[carry:])
		if n > 0 {
			piece := buf[:carry+n]
			fs.Feed(piece, off-int64(carry), carry)
			if typ == malware.ELF {
				gs.Feed(piece[carry:], off)
			}
			off += int64(n)
			carry = min(overlap, len(piece))
			copy(buf, piece[len(piece)-carry:])
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			break
		}
		if err != nil {
			return err
		}
	}
	for _, h := range fs.Finish() {
		a.data.Malware = append(a.data.Malware, FileHit{RuleID: h.Rule.ID, Path: f.Path, Line: h.Line, Offset: h.Offset, Evidence: h.Evidence})
	}
	if pkgs := gs.Packages(); len(pkgs) > 0 {
		for i := range pkgs {
			pkgs[i].Path = f.Path
		}
		a.data.Found = append(a.data.Found, &sbom.Found{Path: f.Path, Packages: pkgs})
	}
	return nil
}
