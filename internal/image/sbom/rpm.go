package sbom

import (
	"bytes"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/knqyf263/go-rpmdb/pkg/bdb"
	"github.com/knqyf263/go-rpmdb/pkg/ndb"
	_ "modernc.org/sqlite" // the pure-Go SQLite driver, for rpmdb.sqlite
)

// RPM databases come in three formats: Berkeley DB (Packages, RHEL 8 and
// older), SQLite (rpmdb.sqlite, RHEL 9 and Fedora) and NDB (Packages.db,
// SUSE). The format is chosen by file name and confirmed by the file's
// magic number; each format holds one header blob per package, which
// ParseRPMHeader reads.
//
//   - Berkeley DB is walked in memory here with the page parsers of
//     github.com/knqyf263/go-rpmdb/pkg/bdb. That package's own reader is
//     not used: it runs in a goroutine that recover cannot reach, indexes
//     pages without bounds checks and loops for ever on an overflow chain
//     that reaches a page of another type (a few mutated bytes in a CentOS
//     7 database are enough).
//   - NDB is read with github.com/knqyf263/go-rpmdb/pkg/ndb after
//     checkNDB has validated every slot and blob header that package will
//     follow.
//   - SQLite is read with modernc.org/sqlite.
//
// go-rpmdb's root package is not imported: it links a second SQLite
// driver registered under the same name as ours, a panic at start-up. The
// NDB and SQLite readers need a file, so the database is copied into a
// private temporary directory under a fixed name, read and removed.
func isRPMDB(p string) bool {
	switch p {
	case "/var/lib/rpm/Packages", "/var/lib/rpm/rpmdb.sqlite", "/var/lib/rpm/Packages.db",
		"/usr/lib/sysimage/rpm/Packages", "/usr/lib/sysimage/rpm/rpmdb.sqlite", "/usr/lib/sysimage/rpm/Packages.db":
		return true
	}
	return false
}

func parseRPMDB(p string, content []byte) ([]Package, error) {
	var read func(file string) ([]Package, error)
	switch path.Base(p) {
	case "rpmdb.sqlite":
		if !bytes.HasPrefix(content, []byte("SQLite format 3\x00")) {
			return nil, errors.New("not an SQLite rpm database: bad magic number")
		}
		read = readRPMSQLite
	case "Packages.db":
		if err := checkNDB(content); err != nil {
			return nil, err
		}
		read = readRPMNDB
	default:
		return readRPMBDB(content)
	}
	dir, err := os.MkdirTemp("", "palisade-rpmdb-*")
	if err != nil {
		return nil, err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	// The file name is fixed, never taken from the image.
	file := filepath.Join(dir, "rpmdb")
	if err := os.WriteFile(file, content, 0o600); err != nil { //nolint:gosec // G703: a fixed name in our own temporary directory
		return nil, err
	}
	return read(file)
}

// readRPMBDB reads a Berkeley DB hash database as bdb.BerkeleyDB.Read
// does: every hash page's values that are stored off-page, each the
// concatenation of a chain of overflow pages. Every offset is checked and
// the overflow pages walked in all are bounded by the number of pages, so
// a corrupt database is an error, never a panic or an endless loop.
func readRPMBDB(b []byte) (out []Package, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("corrupt rpm database: %v", r)
		}
	}()
	if len(b) < 512 {
		return nil, errors.New("not a Berkeley DB rpm database: too short")
	}
	meta, err := bdb.ParseHashMetadataPage(b[:512])
	if err != nil {
		return nil, fmt.Errorf("not a Berkeley DB rpm database: %w", err)
	}
	size := uint64(meta.PageSize)
	if size < 512 || size > 65536 || size&(size-1) != 0 {
		return nil, fmt.Errorf("corrupt Berkeley DB rpm database: page size %d", size)
	}
	pages := uint64(len(b)) / size
	if uint64(meta.LastPageNo) >= pages {
		return nil, fmt.Errorf("corrupt Berkeley DB rpm database: %d pages in %d bytes", uint64(meta.LastPageNo)+1, len(b))
	}
	var order binary.ByteOrder = binary.LittleEndian
	if meta.Swapped {
		order = binary.BigEndian
	}
	page := func(n uint64) ([]byte, *bdb.HashPage, error) {
		if n >= pages {
			return nil, nil, fmt.Errorf("corrupt Berkeley DB rpm database: page %d is outside the file", n)
		}
		data := b[n*size : (n+1)*size]
		h, err := bdb.ParseHashPage(data, meta.Swapped)
		return data, h, err
	}
	budget := pages // overflow pages left to walk; each belongs to one value
	value := func(first uint32) ([]byte, error) {
		var v []byte
		for n := uint64(first); n != 0; {
			if budget == 0 {
				return nil, errors.New("corrupt Berkeley DB rpm database: overflow pages loop")
			}
			budget--
			data, h, err := page(n)
			if err != nil {
				return nil, err
			}
			if h.PageType != bdb.OverflowPageType {
				return nil, fmt.Errorf("corrupt Berkeley DB rpm database: page %d is not an overflow page", n)
			}
			end := uint64(len(data))
			if h.NextPageNo == 0 {
				end = bdb.PageHeaderSize + uint64(h.FreeAreaOffset)
				if end > uint64(len(data)) {
					return nil, fmt.Errorf("corrupt Berkeley DB rpm database: page %d overflows", n)
				}
			}
			v = append(v, data[bdb.PageHeaderSize:end]...)
			n = uint64(h.NextPageNo)
		}
		return v, nil
	}
	for n := uint64(0); n <= uint64(meta.LastPageNo); n++ {
		data, h, err := page(n)
		if err != nil {
			return nil, err
		}
		if h.PageType != bdb.HashUnsortedPageType && h.PageType != bdb.HashPageType {
			continue
		}
		// The index holds key and value offsets in pairs; the values are
		// the odd entries.
		entries := int(h.NumEntries)
		if entries%2 != 0 || bdb.PageHeaderSize+entries*bdb.HashIndexEntrySize > len(data) {
			return nil, fmt.Errorf("corrupt Berkeley DB rpm database: page %d has a bad index", n)
		}
		for i := 1; i < entries; i += 2 {
			off := int(order.Uint16(data[bdb.PageHeaderSize+i*bdb.HashIndexEntrySize:]))
			if off >= len(data) {
				return nil, fmt.Errorf("corrupt Berkeley DB rpm database: page %d has a bad index", n)
			}
			// Only values stored off-page hold package headers.
			if data[off] != bdb.HashOffIndexPageType {
				continue
			}
			if off+bdb.HashOffPageSize > len(data) {
				return nil, fmt.Errorf("corrupt Berkeley DB rpm database: page %d has a bad index", n)
			}
			entry, err := bdb.ParseHashOffPageEntry(data[off:off+bdb.HashOffPageSize], meta.Swapped)
			if err != nil {
				return nil, err
			}
			blob, err := value(entry.PageNo)
			if err != nil {
				return nil, err
			}
			if out, err = appendRPMBlob(out, blob); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// checkNDB validates an NDB database in memory before the ndb package
// reads it. That package follows the slots and blob headers without
// bounds checks, allocates whatever length a blob header claims and
// prints to standard output on a bad slot, all in a goroutine that
// recover cannot reach; every slot and blob header it will follow is
// checked here first. The layout is rpm's lib/backend/ndb/rpmpkg.c: a
// 32-byte header (magic "RpmP", version 0, generation, number of 4 KiB
// slot pages), then the slot pages (16-byte slots: magic "Slot", package
// index, block offset, block count; the header fills the first two), and
// blobs addressed in 16-byte blocks, each a 16-byte header (magic "BlbS",
// package index, checksum, length) and the header blob.
func checkNDB(b []byte) error {
	const (
		headerMagic = 'R' | 'p'<<8 | 'm'<<16 | 'P'<<24
		slotMagic   = 'S' | 'l'<<8 | 'o'<<16 | 't'<<24
		blobMagic   = 'B' | 'l'<<8 | 'b'<<16 | 'S'<<24
		pageSize    = 4096
		blockSize   = 16
		maxPages    = 2048 // the ndb package's own limit
	)
	le := binary.LittleEndian
	if len(b) < 32 || le.Uint32(b[0:4]) != headerMagic {
		return errors.New("not an NDB rpm database: bad magic number")
	}
	if v := le.Uint32(b[4:8]); v != 0 {
		return fmt.Errorf("unsupported NDB rpm database version %d", v)
	}
	pages := le.Uint32(b[12:16])
	if pages == 0 || pages > maxPages || uint64(pages)*pageSize > uint64(len(b)) {
		return fmt.Errorf("corrupt NDB rpm database: %d slot pages in %d bytes", pages, len(b))
	}
	size := uint64(len(b))
	for off := 32; off < int(pages)*pageSize; off += 16 {
		slot := b[off : off+16]
		if le.Uint32(slot[0:4]) != slotMagic {
			return fmt.Errorf("corrupt NDB rpm database: bad slot at offset %d", off)
		}
		pkg := le.Uint32(slot[4:8])
		if pkg == 0 {
			continue // a free slot
		}
		at := uint64(le.Uint32(slot[8:12])) * blockSize
		if at+blockSize > size {
			return fmt.Errorf("corrupt NDB rpm database: package %d is outside the file", pkg)
		}
		blob := b[at : at+blockSize]
		if le.Uint32(blob[0:4]) != blobMagic || le.Uint32(blob[4:8]) != pkg {
			return fmt.Errorf("corrupt NDB rpm database: bad blob header for package %d", pkg)
		}
		if uint64(le.Uint32(blob[12:16])) > size-at-blockSize {
			return fmt.Errorf("corrupt NDB rpm database: package %d is longer than the file", pkg)
		}
	}
	return nil
}

// readRPMNDB reads an NDB database that checkNDB accepted.
func readRPMNDB(file string) (out []Package, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("corrupt rpm database: %v", r)
		}
	}()
	db, err := ndb.Open(file)
	if err != nil {
		return nil, err
	}
	defer func() { _ = db.Close() }()
	entries := db.Read()
	// Read sends from a goroutine until it is done; drain the channel on
	// every path so that the goroutine never blocks for ever. This runs
	// before Close.
	defer func() {
		for range entries {
		}
	}()
	for e := range entries {
		if e.Err != nil {
			return nil, e.Err
		}
		if out, err = appendRPMBlob(out, e.Value); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// appendRPMBlob appends the package a header blob describes to out, which
// all three database formats store; what is not an installed package
// (gpg-pubkey entries, nameless headers) is skipped.
func appendRPMBlob(out []Package, blob []byte) ([]Package, error) {
	h, err := ParseRPMHeader(blob)
	if err != nil {
		return out, err
	}
	if h.Name == "" || h.Name == "gpg-pubkey" {
		return out, nil
	}
	return append(out, rpmPackage(h.Name, h.Version, h.Release, h.Arch, h.SourceRPM, h.License, h.Epoch)), nil
}

func readRPMSQLite(file string) ([]Package, error) {
	db, err := sql.Open("sqlite", "file:"+file+"?mode=ro&immutable=1")
	if err != nil {
		return nil, err
	}
	defer func() { _ = db.Close() }()
	rows, err := db.Query("SELECT blob FROM Packages")
	if err != nil {
		return nil, fmt.Errorf("rpm sqlite database: %w", err)
	}
	defer func() { _ = rows.Close() }()
	var out []Package
	for rows.Next() {
		var blob []byte
		if err := rows.Scan(&blob); err != nil {
			return nil, err
		}
		if out, err = appendRPMBlob(out, blob); err != nil {
			return nil, err
		}
	}
	return out, rows.Err()
}

func rpmPackage(name, version, release, arch, srpm, license string, epoch int) Package {
	v := version
	if release != "" {
		v += "-" + release
	}
	p := Package{Name: name, Version: v, Type: "rpm", Arch: arch, Epoch: epoch, Source: name, SourceVersion: v}
	if epoch > 0 {
		p.Version = fmt.Sprintf("%d:%s", epoch, v)
	}
	if srpm != "" {
		// name-version-release.src.rpm
		s := strings.TrimSuffix(strings.TrimSuffix(srpm, ".rpm"), ".src")
		s = strings.TrimSuffix(s, ".nosrc")
		if i := strings.LastIndexByte(s, '-'); i > 0 {
			if j := strings.LastIndexByte(s[:i], '-'); j > 0 {
				p.Source, p.SourceVersion = s[:j], s[j+1:]
			}
		}
	}
	if license != "" {
		p.Licenses = []string{license}
	}
	return p
}

// RPMHeader is what Palisade reads of an RPM header.
type RPMHeader struct {
	Name, Version, Release, Arch, SourceRPM, License string
	Epoch                                            int
}

// RPM header tags and types.
const (
	rpmTagName      = 1000
	rpmTagVersion   = 1001
	rpmTagRelease   = 1002
	rpmTagEpoch     = 1003
	rpmTagLicense   = 1014
	rpmTagArch      = 1022
	rpmTagSourceRPM = 1044

	rpmTypeInt32  = 4
	rpmTypeString = 6
	rpmTypeI18N   = 9
)

// ParseRPMHeader parses a header blob as the rpm database stores it: the
// index length and data length (big-endian 32-bit), the index entries
// (tag, type, offset, count) and the data store.
func ParseRPMHeader(b []byte) (*RPMHeader, error) {
	if len(b) < 8 {
		return nil, errors.New("rpm header too short")
	}
	il := binary.BigEndian.Uint32(b[0:4])
	dl := binary.BigEndian.Uint32(b[4:8])
	if il > 1<<16 || dl > 256<<20 || 8+uint64(il)*16+uint64(dl) > uint64(len(b)) {
		return nil, errors.New("rpm header sizes out of range")
	}
	data := b[8+il*16 : 8+il*16+dl]
	h := &RPMHeader{}
	for i := range il {
		e := b[8+i*16 : 8+i*16+16]
		tag := binary.BigEndian.Uint32(e[0:4])
		typ := binary.BigEndian.Uint32(e[4:8])
		off := binary.BigEndian.Uint32(e[8:12])
		if off >= dl {
			continue
		}
		str := func() string {
			if typ != rpmTypeString && typ != rpmTypeI18N {
				return ""
			}
			end := off
			for end < dl && data[end] != 0 {
				end++
			}
			return string(data[off:end])
		}
		switch tag {
		case rpmTagName:
			h.Name = str()
		case rpmTagVersion:
			h.Version = str()
		case rpmTagRelease:
			h.Release = str()
		case rpmTagArch:
			h.Arch = str()
		case rpmTagSourceRPM:
			h.SourceRPM = str()
		case rpmTagLicense:
			h.License = str()
		case rpmTagEpoch:
			if typ == rpmTypeInt32 && off+4 <= dl {
				h.Epoch = int(binary.BigEndian.Uint32(data[off : off+4]))
			}
		}
	}
	return h, nil
}
