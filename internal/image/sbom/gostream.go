package sbom

import (
	"bytes"
	"encoding/binary"
	"runtime/debug"
)

// goMagic starts the build information section of a Go binary; the
// section is 16-byte aligned in the file.
var goMagic = []byte("\xff Go buildinf:")

// maxBuildInfo bounds the bytes collected after the magic.
const maxBuildInfo = 1 << 20

// GoStream finds the build information of a Go binary fed to it in pieces,
// for binaries too large to hold in memory. It understands the format of
// Go 1.18 and later, where the version and module strings follow the
// header inline.
type GoStream struct {
	tail      []byte // the end of the previous piece, for a magic split across pieces
	tailOff   int64
	collected []byte
	done      bool
	pkgs      []Package
}

// Feed gives the next piece, which starts at file offset off.
func (g *GoStream) Feed(b []byte, off int64) {
	if g.done {
		return
	}
	if g.collected != nil {
		g.collected = append(g.collected, b[:min(len(b), maxBuildInfo-len(g.collected))]...)
		g.try()
		return
	}
	// A magic split between the previous piece and this one.
	if len(g.tail) > 0 {
		joint := append(append([]byte(nil), g.tail...), b[:min(len(b), len(goMagic)-1)]...)
		if at := findAligned(joint, g.tailOff); at >= 0 {
			g.collected = append(joint[at:], b[min(len(b), len(goMagic)-1):min(len(b), maxBuildInfo)]...)
			g.try()
			return
		}
	}
	if at := findAligned(b, off); at >= 0 {
		g.collected = append([]byte(nil), b[at:min(len(b), at+maxBuildInfo)]...)
		g.try()
		return
	}
	keep := min(len(b), len(goMagic)-1)
	g.tail = append(g.tail[:0], b[len(b)-keep:]...)
	g.tailOff = off + int64(len(b)-keep)
}

// findAligned returns the index of the first 16-byte aligned magic in b,
// whose first byte is at file offset base, or -1.
func findAligned(b []byte, base int64) int {
	for i := 0; ; {
		j := bytes.Index(b[i:], goMagic)
		if j < 0 {
			return -1
		}
		if (base+int64(i+j))%16 == 0 {
			return i + j
		}
		i += j + 1
	}
}

// try parses the collected bytes once enough of them are there.
func (g *GoStream) try() {
	c := g.collected
	if len(c) < 32 {
		return
	}
	if c[15]&2 == 0 {
		g.done = true // the pre-1.18 format points into the binary: not read in pieces
		return
	}
	rest := c[32:]
	str := func() (string, bool) {
		n, k := binary.Uvarint(rest)
		if k <= 0 || n > maxBuildInfo || int(n) > len(rest)-k { //nolint:gosec // G115: n is at most maxBuildInfo here
			return "", false
		}
		end := k + int(n) //nolint:gosec // G115: n is at most maxBuildInfo
		s := string(rest[k:end])
		rest = rest[end:]
		return s, true
	}
	vers, ok := str()
	if !ok {
		g.done = len(c) >= maxBuildInfo
		return
	}
	mod, ok := str()
	if !ok {
		g.done = len(c) >= maxBuildInfo
		return
	}
	g.done = true
	if len(mod) >= 33 && mod[len(mod)-17] == '\n' {
		mod = mod[16 : len(mod)-16]
	}
	bi, err := debug.ParseBuildInfo(mod)
	if err != nil {
		bi = &debug.BuildInfo{}
	}
	bi.GoVersion = vers
	g.pkgs = goPackages(bi)
}

// Packages returns what was found, once the whole binary was fed.
func (g *GoStream) Packages() []Package { return g.pkgs }
