package sbom

import (
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	rpmdb "github.com/knqyf263/go-rpmdb/pkg"
	_ "modernc.org/sqlite" // the pure-Go SQLite driver, for rpmdb.sqlite
)

// RPM databases come in three formats: Berkeley DB (Packages, RHEL 8 and
// older), SQLite (rpmdb.sqlite, RHEL 9 and Fedora) and NDB (Packages.db,
// SUSE). Berkeley DB files are read with github.com/knqyf263/go-rpmdb and
// SQLite files with modernc.org/sqlite; both need a file, so the database
// is copied into a private temporary directory, read and removed. NDB is
// not supported yet: such a database is reported as an error rather than
// silently read as empty.
func isRPMDB(p string) bool {
	switch p {
	case "/var/lib/rpm/Packages", "/var/lib/rpm/rpmdb.sqlite", "/var/lib/rpm/Packages.db",
		"/usr/lib/sysimage/rpm/Packages", "/usr/lib/sysimage/rpm/rpmdb.sqlite", "/usr/lib/sysimage/rpm/Packages.db":
		return true
	}
	return false
}

func parseRPMDB(p string, content []byte) ([]Package, error) {
	dir, err := os.MkdirTemp("", "palisade-rpmdb-*")
	if err != nil {
		return nil, err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	// The file name is fixed, never taken from the image.
	file := filepath.Join(dir, "rpmdb")
	switch path.Base(p) {
	case "rpmdb.sqlite":
		if err := os.WriteFile(file, content, 0o600); err != nil { //nolint:gosec // G703: a fixed name in our own temporary directory
			return nil, err
		}
		return readRPMSQLite(file)
	case "Packages.db":
		return nil, fmt.Errorf("%s: NDB rpm databases are not supported yet", p)
	}
	if err := os.WriteFile(file, content, 0o600); err != nil { //nolint:gosec // G703: a fixed name in our own temporary directory
		return nil, err
	}
	return readRPMBDB(file)
}

func readRPMBDB(file string) (out []Package, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("corrupt rpm database: %v", r)
		}
	}()
	db, err := rpmdb.Open(file)
	if err != nil {
		return nil, err
	}
	pkgs, err := db.ListPackages()
	if err != nil {
		return nil, err
	}
	for _, p := range pkgs {
		out = append(out, rpmPackage(p.Name, p.Version, p.Release, p.Arch, p.SourceRpm, p.License, p.Epoch))
	}
	return out, nil
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
		h, err := ParseRPMHeader(blob)
		if err != nil {
			return nil, err
		}
		if h.Name == "" || h.Name == "gpg-pubkey" {
			continue
		}
		out = append(out, rpmPackage(h.Name, h.Version, h.Release, h.Arch, h.SourceRPM, h.License, h.Epoch))
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
