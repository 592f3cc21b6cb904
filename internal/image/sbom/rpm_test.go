package sbom

import (
	"bytes"
	"database/sql"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/knqyf263/go-rpmdb/pkg/bdb"

	"github.com/palisade-dev/palisade/internal/image/imagetest"
)

// rpmHeader encodes a header blob with string tags (and an int32 epoch).
func rpmHeader(tags map[uint32]string, epoch int) []byte {
	var index, data bytes.Buffer
	keys := make([]uint32, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	entry := func(tag, typ uint32, off int) {
		_ = binary.Write(&index, binary.BigEndian, [4]uint32{tag, typ, uint32(off), 1})
	}
	if epoch > 0 {
		entry(rpmTagEpoch, rpmTypeInt32, data.Len())
		_ = binary.Write(&data, binary.BigEndian, uint32(epoch))
	}
	for _, k := range keys {
		entry(k, rpmTypeString, data.Len())
		data.WriteString(tags[k] + "\x00")
	}
	var out bytes.Buffer
	_ = binary.Write(&out, binary.BigEndian, [2]uint32{uint32(index.Len() / 16), uint32(data.Len())})
	out.Write(index.Bytes())
	out.Write(data.Bytes())
	return out.Bytes()
}

// sampleRPMHeaders are two packages and a signing key, as rpm stores them.
func sampleRPMHeaders() [][]byte {
	return [][]byte{
		rpmHeader(map[uint32]string{rpmTagName: "openssl-libs", rpmTagVersion: "3.0.7", rpmTagRelease: "25.el9_3", rpmTagArch: "x86_64", rpmTagSourceRPM: "openssl-3.0.7-25.el9_3.src.rpm", rpmTagLicense: "ASL 2.0"}, 1),
		rpmHeader(map[uint32]string{rpmTagName: "bash", rpmTagVersion: "5.1.8", rpmTagRelease: "6.el9", rpmTagArch: "x86_64", rpmTagSourceRPM: "bash-5.1.8-6.el9.src.rpm"}, 0),
		rpmHeader(map[uint32]string{rpmTagName: "gpg-pubkey", rpmTagVersion: "fd431d51", rpmTagRelease: "4ae0493b"}, 0),
	}
}

// checkSamplePackages checks what sampleRPMHeaders should have yielded.
func checkSamplePackages(t *testing.T, pkgs []Package) {
	t.Helper()
	if got := names(pkgs); !slices.Equal(got, []string{"openssl-libs@1:3.0.7-25.el9_3", "bash@5.1.8-6.el9"}) {
		t.Fatalf("packages = %v", got)
	}
	if p := pkgs[0]; p.Source != "openssl" || p.SourceVersion != "3.0.7-25.el9_3" || p.Epoch != 1 || p.Arch != "x86_64" || !slices.Equal(p.Licenses, []string{"ASL 2.0"}) {
		t.Errorf("openssl-libs = %+v", p)
	}
}

// ndbFile encodes header blobs as an NDB database (rpm's
// lib/backend/ndb/rpmpkg.c): the header and one page of slots, then each
// blob behind its blob header, in 16-byte blocks.
func ndbFile(blobs ...[]byte) []byte {
	le := binary.LittleEndian
	b := make([]byte, 4096)
	copy(b, "RpmP")
	le.PutUint32(b[12:], 1) // slot pages
	for off := 32; off < len(b); off += 16 {
		copy(b[off:], "Slot")
	}
	for i, blob := range blobs {
		pkg, start := uint32(i+1), len(b)
		head := make([]byte, 16)
		copy(head, "BlbS")
		le.PutUint32(head[4:], pkg)
		le.PutUint32(head[12:], uint32(len(blob)))
		b = append(append(b, head...), blob...)
		b = append(b, make([]byte, 12)...) // rpm's blob tail
		for len(b)%16 != 0 {
			b = append(b, 0)
		}
		slot := b[32+16*i:]
		le.PutUint32(slot[4:], pkg)
		le.PutUint32(slot[8:], uint32(start/16))
		le.PutUint32(slot[12:], uint32((len(b)-start)/16))
	}
	return b
}

// bdbFile encodes header blobs as a little-endian Berkeley DB hash
// database of 512-byte pages: the metadata page, one hash page whose
// values are off-page items, and each blob in a chain of overflow pages.
func bdbFile(blobs ...[]byte) []byte {
	const size = 512
	le := binary.LittleEndian
	page := func(typ byte) []byte {
		p := make([]byte, size)
		p[25] = typ
		return p
	}
	meta := page(bdb.HashMetadataPageType)
	le.PutUint32(meta[12:], bdb.HashMagicNumber)
	le.PutUint32(meta[16:], 9) // version
	le.PutUint32(meta[20:], size)
	hash := page(bdb.HashPageType)
	le.PutUint16(hash[20:], uint16(2*len(blobs)))
	pages := [][]byte{meta, hash}
	end := size
	for i, blob := range blobs {
		end -= 8 // the key, an on-page item
		hash[end] = 1
		le.PutUint16(hash[bdb.PageHeaderSize+4*i:], uint16(end))
		end -= bdb.HashOffPageSize
		hash[end] = bdb.HashOffIndexPageType
		le.PutUint32(hash[end+4:], uint32(len(pages)))
		le.PutUint32(hash[end+8:], uint32(len(blob)))
		le.PutUint16(hash[bdb.PageHeaderSize+4*i+2:], uint16(end))
		for len(blob) > 0 {
			p := page(bdb.OverflowPageType)
			n := copy(p[bdb.PageHeaderSize:], blob)
			if blob = blob[n:]; len(blob) > 0 {
				le.PutUint32(p[16:], uint32(len(pages)+1))
			} else {
				le.PutUint16(p[22:], uint16(n))
			}
			pages = append(pages, p)
		}
	}
	le.PutUint32(meta[32:], uint32(len(pages)-1))
	return bytes.Join(pages, nil)
}

func TestRPMSQLite(t *testing.T) {
	file := filepath.Join(t.TempDir(), "rpmdb.sqlite")
	db, err := sql.Open("sqlite", file)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	for _, h := range sampleRPMHeaders() {
		if _, err := db.Exec("INSERT INTO Packages (blob) VALUES (?)", h); err != nil {
			t.Fatal(err)
		}
	}
	_ = db.Close()
	content, _ := os.ReadFile(file)
	checkSamplePackages(t, mustParse(t, "/var/lib/rpm/rpmdb.sqlite", content).Packages)
	if _, err := Parse("/var/lib/rpm/rpmdb.sqlite", 0, []byte("garbage")); err == nil {
		t.Error("a corrupt database must be an error")
	}
}

// TestRPMBerkeleyDB reads a CentOS 7 database from go-rpmdb's own test
// data in the module cache.
func TestRPMBerkeleyDB(t *testing.T) {
	content := imagetest.RPMDB(t, "centos7-plain/Packages")
	f := mustParse(t, "/var/lib/rpm/Packages", content)
	if len(f.Packages) < 100 || !slices.ContainsFunc(f.Packages, func(p Package) bool { return p.Name == "bash" && strings.HasPrefix(p.Version, "4.2.46") }) {
		t.Errorf("%d packages: %v", len(f.Packages), names(f.Packages)[:min(5, len(f.Packages))])
	}
}

// TestRPMBerkeleyDBSynthetic reads a database that bdbFile encoded, and
// checks that go-rpmdb's own reader sees the same blobs in it.
func TestRPMBerkeleyDBSynthetic(t *testing.T) {
	// A blob longer than a page spans several overflow pages.
	long := rpmHeader(map[uint32]string{rpmTagName: "long", rpmTagVersion: "1", rpmTagRelease: "1", rpmTagLicense: strings.Repeat("MIT or ", 200) + "MIT"}, 0)
	headers := append(sampleRPMHeaders(), long)
	content := bdbFile(headers...)
	f := mustParse(t, "/usr/lib/sysimage/rpm/Packages", content)
	checkSamplePackages(t, f.Packages[:2])
	if len(f.Packages) != 3 || f.Packages[2].Name != "long" || len(f.Packages[2].Licenses[0]) != 7*200+3 {
		t.Errorf("packages = %v", names(f.Packages))
	}

	file := filepath.Join(t.TempDir(), "Packages")
	_ = os.WriteFile(file, content, 0o600)
	db, err := bdb.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	var blobs [][]byte
	for e := range db.Read() {
		if e.Err != nil {
			t.Fatal(e.Err)
		}
		blobs = append(blobs, e.Value)
	}
	if !slices.EqualFunc(blobs, headers, bytes.Equal) {
		t.Errorf("go-rpmdb read %d blobs, want the %d encoded", len(blobs), len(headers))
	}
}

// TestRPMCorruptBerkeleyDB feeds databases that make go-rpmdb's own
// Berkeley DB reader panic in its goroutine or loop for ever.
func TestRPMCorruptBerkeleyDB(t *testing.T) {
	le := binary.LittleEndian
	const (
		hashPage     = 512
		hashIndex    = hashPage + bdb.PageHeaderSize
		overflowPage = 2 * 512
	)
	valueOffset := func(b []byte) int { return hashPage + int(le.Uint16(b[hashIndex+2:])) }
	for name, corrupt := range map[string]func(b []byte) []byte{
		"garbage":   func([]byte) []byte { return []byte("garbage") },
		"zeros":     func([]byte) []byte { return make([]byte, 4096) },
		"truncated": func(b []byte) []byte { return b[:len(b)-100] },
		"page size": func(b []byte) []byte { le.PutUint32(b[20:], 1000); return b },
		"last page beyond the file": func(b []byte) []byte {
			le.PutUint32(b[32:], 1<<30)
			return b
		},
		"index longer than the page": func(b []byte) []byte {
			le.PutUint16(b[hashPage+20:], 0xfffe)
			return b
		},
		"index offset beyond the page": func(b []byte) []byte {
			le.PutUint16(b[hashIndex+2:], 0xffff)
			return b
		},
		"off-page item at the end of the page": func(b []byte) []byte {
			le.PutUint16(b[hashIndex+2:], 511)
			b[hashPage+511] = bdb.HashOffIndexPageType
			return b
		},
		"chain beyond the file": func(b []byte) []byte {
			le.PutUint32(b[valueOffset(b)+4:], 1<<30)
			return b
		},
		// go-rpmdb loops for ever on these two.
		"chain into a hash page": func(b []byte) []byte {
			le.PutUint32(b[valueOffset(b)+4:], 1)
			return b
		},
		"chain loop": func(b []byte) []byte {
			le.PutUint32(b[overflowPage+16:], 2)
			return b
		},
		"last overflow page overflows": func(b []byte) []byte {
			le.PutUint16(b[overflowPage+22:], 0xffff)
			return b
		},
		"bad header blob": func(b []byte) []byte {
			le.PutUint32(b[overflowPage+bdb.PageHeaderSize:], 1<<20)
			return b
		},
	} {
		t.Run(name, func(t *testing.T) {
			content := corrupt(bdbFile(sampleRPMHeaders()[1]))
			_, err := Parse("/var/lib/rpm/Packages", 0, content)
			if err == nil || strings.Contains(err.Error(), "runtime error") {
				t.Errorf("err = %v, want a corrupt database error", err)
			}
		})
	}
}

// TestRPMNDB reads the SUSE Linux Enterprise 15 SP3 (bci-minimal)
// database from go-rpmdb's own test data in the module cache. The
// expected packages are those `rpm -qa` listed for go-rpmdb's test.
func TestRPMNDB(t *testing.T) {
	content := imagetest.RPMDB(t, "sle15-bci/Packages.db")
	f := mustParse(t, "/usr/lib/sysimage/rpm/Packages.db", content)
	if len(f.Packages) != 35 {
		t.Errorf("%d packages, want 35: %v", len(f.Packages), names(f.Packages))
	}
	byName := map[string]Package{}
	for _, p := range f.Packages {
		byName[p.Name] = p
	}
	for _, want := range []Package{
		{Name: "system-user-root", Version: "20190513-3.3.1", Arch: "noarch", Source: "system-user-root", SourceVersion: "20190513-3.3.1", Licenses: []string{"MIT"}},
		{Name: "glibc", Version: "2.31-9.3.2", Arch: "x86_64", Source: "glibc", SourceVersion: "2.31-9.3.2", Licenses: []string{"LGPL-2.1-or-later AND LGPL-2.1-or-later WITH GCC-exception-2.0 AND GPL-2.0-or-later"}},
		{Name: "libstdc++6", Version: "11.2.1+git610-1.3.9", Arch: "x86_64", Source: "gcc11", SourceVersion: "11.2.1+git610-1.3.9", Licenses: []string{"GPL-3.0-or-later WITH GCC-exception-3.1"}},
		{Name: "libreadline7", Version: "7.0-19.6.1", Arch: "x86_64", Source: "bash", SourceVersion: "4.4-19.6.1", Licenses: []string{"GPL-3.0-or-later"}},
		{Name: "ca-certificates-mozilla-prebuilt", Version: "2.44-21.1", Arch: "noarch", Source: "ca-certificates-mozilla-prebuilt", SourceVersion: "2.44-21.1", Licenses: []string{"MPL-2.0"}},
		{Name: "liblzma5", Version: "5.2.3-4.3.1", Arch: "x86_64", Source: "xz", SourceVersion: "5.2.3-4.3.1", Licenses: []string{"SUSE-Public-Domain"}},
		{Name: "rpm-ndb", Version: "4.14.3-40.1", Arch: "x86_64", Source: "rpm-ndb", SourceVersion: "4.14.3-40.1", Licenses: []string{"GPL-2.0-or-later"}},
	} {
		got, ok := byName[want.Name]
		if !ok {
			t.Errorf("no %s", want.Name)
			continue
		}
		if got.Version != want.Version || got.Arch != want.Arch || got.Source != want.Source || got.SourceVersion != want.SourceVersion ||
			got.Type != "rpm" || got.Epoch != 0 || !slices.Equal(got.Licenses, want.Licenses) {
			t.Errorf("%s = %+v, want %+v", want.Name, got, want)
		}
	}
	pk := Finalize(f.Packages, &OS{ID: "sles", VersionID: "15.3"})
	if !slices.ContainsFunc(pk, func(p Package) bool {
		return p.PURL == "pkg:rpm/sles/glibc@2.31-9.3.2?arch=x86_64&distro=sles-15.3"
	}) {
		t.Errorf("no glibc purl among %d packages", len(pk))
	}
	for _, p := range pk {
		if p.Ecosystem != "SUSE:Linux Enterprise Server 15 SP3" {
			t.Errorf("%s: ecosystem %q, want SUSE:Linux Enterprise Server 15 SP3", p.Name, p.Ecosystem)
		}
	}
}

// TestRPMNDBSynthetic reads a database that ndbFile encoded, at both
// places rpm keeps it.
func TestRPMNDBSynthetic(t *testing.T) {
	for _, p := range []string{"/usr/lib/sysimage/rpm/Packages.db", "/var/lib/rpm/Packages.db"} {
		checkSamplePackages(t, mustParse(t, p, ndbFile(sampleRPMHeaders()...)).Packages)
	}
}

// TestRPMCorruptNDB feeds databases that go-rpmdb's NDB reader would
// follow out of bounds, allocate for or print about.
func TestRPMCorruptNDB(t *testing.T) {
	le := binary.LittleEndian
	const slot, blob = 32, 4096 // the first package's slot and blob header
	for name, corrupt := range map[string]func(b []byte) []byte{
		"magic only":            func([]byte) []byte { return []byte("RpmP") },
		"garbage":               func([]byte) []byte { return bytes.Repeat([]byte("garbage!"), 1024) },
		"a Berkeley DB":         func([]byte) []byte { return bdbFile(sampleRPMHeaders()...) },
		"version":               func(b []byte) []byte { b[4] = 1; return b },
		"no slot pages":         func(b []byte) []byte { le.PutUint32(b[12:], 0); return b },
		"slots beyond the file": func(b []byte) []byte { le.PutUint32(b[12:], 2048); return b },
		"too many slot pages":   func(b []byte) []byte { le.PutUint32(b[12:], 1<<30); return b },
		"slot magic":            func(b []byte) []byte { copy(b[slot+16*5:], "Slop"); return b },
		"blob beyond the file":  func(b []byte) []byte { le.PutUint32(b[slot+8:], 1<<28); return b },
		"blob magic":            func(b []byte) []byte { copy(b[blob:], "BlbX"); return b },
		"blob package":          func(b []byte) []byte { le.PutUint32(b[blob+4:], 7); return b },
		"blob length":           func(b []byte) []byte { le.PutUint32(b[blob+12:], 0xffffffff); return b },
		"bad header blob":       func(b []byte) []byte { le.PutUint32(b[blob+16:], 1<<20); return b },
		"truncated":             func(b []byte) []byte { return b[:blob+20] },
	} {
		t.Run(name, func(t *testing.T) {
			content := corrupt(ndbFile(sampleRPMHeaders()...))
			_, err := Parse("/usr/lib/sysimage/rpm/Packages.db", 0, content)
			if err == nil || strings.Contains(err.Error(), "runtime error") {
				t.Errorf("err = %v, want a corrupt database error", err)
			}
		})
	}
}

// FuzzRPMDB feeds Berkeley DB and NDB databases to Parse, which must
// return an error for what it cannot read; the recover guards must never
// be what stops a panic.
func FuzzRPMDB(f *testing.F) {
	headers := sampleRPMHeaders()
	f.Add(false, bdbFile(headers...))
	f.Add(false, bdbFile(headers[0]))
	f.Add(true, ndbFile(headers...))
	f.Add(true, ndbFile(headers[1]))
	f.Fuzz(func(t *testing.T, ndb bool, content []byte) {
		p := "/var/lib/rpm/Packages"
		if ndb {
			p += ".db"
		}
		if _, err := Parse(p, 0, content); err != nil && strings.Contains(err.Error(), "runtime error") {
			t.Fatal(err)
		}
	})
}
