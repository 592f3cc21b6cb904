// Package vuln matches packages against OSV advisories offline.
//
// The database is a directory (given with --db, or filled by `palisade db
// import`) holding OSV JSON files, in any sub-directories, and the
// per-ecosystem all.zip archives that OSV publishes. Nothing is fetched:
// no network is used. Advisories are streamed from it at match time and
// only those naming an installed package are kept in memory.
//
// Matching follows the OSV schema: an advisory affects a package when its
// ecosystem matches (Debian:12 advisories apply to Debian 12; an advisory
// without a release applies to all; SUSE advisories apply to every SUSE
// Linux Enterprise product of the same release, see sameSLERelease; Red
// Hat advisories apply by product stream, the mainline of the image's
// major release and the EUS-like streams of its minor release, see
// redHatStreamApplies), its
// name matches (distribution packages by their source package, Python
// names normalized as PEP 503 says, Maven as group:artifact), and the
// installed version (the source package's, for a distribution package
// matched by its source) is listed in versions or falls in an ECOSYSTEM
// or SEMVER range, compared with the ecosystem's own ordering (see
// Compare).
// Withdrawn advisories are ignored. MAL- advisories (known-malicious
// packages) are reported by their own rule, as critical.
package vuln

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/palisade-dev/palisade/internal/image/check"
	"github.com/palisade-dev/palisade/internal/image/sbom"
	"github.com/palisade-dev/palisade/internal/rule"
)

// Advisory is the part of an OSV record Palisade reads.
type Advisory struct {
	ID      string   `json:"id"`
	Aliases []string `json:"aliases"`
	// Upstream lists the vulnerabilities a distribution's advisory is
	// about: Red Hat's records name their CVEs here, not in Aliases.
	Upstream   []string   `json:"upstream"`
	Summary    string     `json:"summary"`
	Details    string     `json:"details"`
	Withdrawn  string     `json:"withdrawn"`
	Severity   []Severity `json:"severity"`
	Affected   []Affected `json:"affected"`
	DBSpecific struct {
		Severity string `json:"severity"`
	} `json:"database_specific"`
}

// Severity is an OSV severity entry.
type Severity struct {
	Type  string `json:"type"`
	Score string `json:"score"`
}

// Affected is one affected package.
type Affected struct {
	Package struct {
		Ecosystem string `json:"ecosystem"`
		Name      string `json:"name"`
	} `json:"package"`
	Ranges            []Range    `json:"ranges"`
	Versions          []string   `json:"versions"`
	Severity          []Severity `json:"severity"`
	EcosystemSpecific struct {
		Severity string `json:"severity"`
	} `json:"ecosystem_specific"`
}

// Range is an OSV range.
type Range struct {
	Type   string  `json:"type"`
	Events []Event `json:"events"`
}

// Event is an OSV range event.
type Event struct {
	Introduced   string `json:"introduced,omitempty"`
	Fixed        string `json:"fixed,omitempty"`
	LastAffected string `json:"last_affected,omitempty"`
	Limit        string `json:"limit,omitempty"`
}

// DB is an OSV database directory.
type DB struct {
	Dir string
}

// Open checks that dir is a readable directory or file of OSV data.
func Open(dir string) (*DB, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("vulnerability database: %w", err)
	}
	if !st.IsDir() && !strings.HasSuffix(dir, ".zip") && !strings.HasSuffix(dir, ".json") {
		return nil, fmt.Errorf("vulnerability database %s: want a directory, a .zip or a .json file", dir)
	}
	return &DB{Dir: dir}, nil
}

// maxRecord bounds one OSV record.
const maxRecord = 16 << 20

// Each calls fn for every advisory in the database. A file that is not
// valid OSV JSON is an error: a database that cannot be read completely
// must not look clean.
func (db *DB) Each(fn func(*Advisory) error) error {
	return filepath.WalkDir(db.Dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		switch {
		case strings.HasSuffix(p, ".zip"):
			return eachZip(p, fn)
		case strings.HasSuffix(p, ".json"):
			b, err := readLimited(p)
			if err != nil {
				return err
			}
			return decode(p, b, fn)
		}
		return nil
	})
}

func readLimited(p string) ([]byte, error) {
	f, err := os.Open(filepath.Clean(p))
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	b, err := io.ReadAll(io.LimitReader(f, maxRecord+1))
	if err == nil && len(b) > maxRecord {
		err = fmt.Errorf("%s: record larger than %d MiB", p, maxRecord>>20)
	}
	return b, err
}

func eachZip(p string, fn func(*Advisory) error) error {
	zr, err := zip.OpenReader(p)
	if err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	defer func() { _ = zr.Close() }()
	for _, f := range zr.File {
		if !strings.HasSuffix(f.Name, ".json") {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return fmt.Errorf("%s: %s: %w", p, f.Name, err)
		}
		b, err := io.ReadAll(io.LimitReader(rc, maxRecord+1))
		_ = rc.Close()
		if err != nil {
			return fmt.Errorf("%s: %s: %w", p, f.Name, err)
		}
		if err := decode(p+"!"+f.Name, b, fn); err != nil {
			return err
		}
	}
	return nil
}

func decode(name string, b []byte, fn func(*Advisory) error) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		var list []*Advisory
		if err := json.Unmarshal(b, &list); err != nil {
			return fmt.Errorf("%s: not OSV JSON: %w", name, err)
		}
		for _, a := range list {
			if err := fn(a); err != nil {
				return err
			}
		}
		return nil
	}
	var a Advisory
	if err := json.Unmarshal(b, &a); err != nil {
		return fmt.Errorf("%s: not OSV JSON: %w", name, err)
	}
	if a.ID == "" {
		return fmt.Errorf("%s: OSV record without an id", name)
	}
	return fn(&a)
}

// Match is one package affected by one advisory.
type Match struct {
	Package sbom.Package
	Finding check.Finding
}

// key identifies a package for matching: the ecosystem without its
// release, and the normalized name.
type key struct{ eco, name string }

func ecoBase(e string) string { b, _, _ := strings.Cut(e, ":"); return b }

var pep503 = regexp.MustCompile(`[-_.]+`)

func normName(eco, name string) string {
	if ecoBase(eco) == "PyPI" {
		return pep503.ReplaceAllString(strings.ToLower(name), "-")
	}
	return name
}

// filedAs is a name a package is filed under, with the version that
// advisories filed under that name give.
type filedAs struct{ name, version string }

// matchNames are the names a package is filed under. A distribution
// package is filed under its source package, at the source version: a
// subpackage's own version may differ (SUSE's libreadline7 7.0-19.6.1 is
// built from bash 4.4-19.6.1, whose advisories say "fixed in
// 4.4-150300.19.9.1"). Red Hat also files binary packages, at their own
// version.
func matchNames(p sbom.Package) []filedAs {
	switch p.Type {
	case "deb", "apk", "rpm":
		src := filedAs{p.Source, sourceVersion(p)}
		switch {
		case p.Source == "":
			return []filedAs{{p.Name, p.Version}}
		case p.Source != p.Name:
			return []filedAs{src, {p.Name, p.Version}}
		}
		return []filedAs{src}
	case "maven":
		if p.Namespace != "" {
			return []filedAs{{p.Namespace + ":" + p.Name, p.Version}}
		}
	}
	return []filedAs{{p.Name, p.Version}}
}

// sourceVersion is the version of the source package that built p, with
// the epoch that an RPM source package's file name leaves out; the
// package's own version when the source's is unknown.
func sourceVersion(p sbom.Package) string {
	v := p.SourceVersion
	if v == "" {
		return p.Version
	}
	if p.Type == "rpm" && p.Epoch > 0 && !strings.Contains(v, ":") {
		v = strconv.Itoa(p.Epoch) + ":" + v
	}
	return v
}

// Match returns every (package, advisory) pair where the advisory affects
// the installed version, reading the whole database once.
func (db *DB) Match(pkgs []sbom.Package) ([]Match, error) {
	type candidate struct {
		pkg     int
		version string
	}
	want := map[key][]candidate{}
	for i, p := range pkgs {
		if p.Ecosystem == "" || p.Version == "" {
			continue
		}
		for _, n := range matchNames(p) {
			k := key{ecoBase(p.Ecosystem), normName(p.Ecosystem, n.name)}
			want[k] = append(want[k], candidate{i, n.version})
		}
	}
	var out []Match
	seen := map[string]bool{}
	err := db.Each(func(a *Advisory) error {
		if a.Withdrawn != "" {
			return nil
		}
		// Two passes: entries filed for exactly the package's ecosystem
		// first, then those of related streams (another module of the same
		// SLE release, Ubuntu Pro, a Red Hat EUS stream), so that when an
		// advisory lists both, the finding gives the fix of the package's
		// own stream.
		for pass := range 2 {
			for _, af := range a.Affected {
				k := key{ecoBase(af.Package.Ecosystem), normName(af.Package.Ecosystem, af.Package.Name)}
				for _, c := range want[k] {
					p := pkgs[c.pkg]
					if (pass == 0) != (af.Package.Ecosystem == p.Ecosystem) || !ecosystemApplies(af.Package.Ecosystem, p.Ecosystem) {
						continue
					}
					affected, fixed := affects(af, p.Ecosystem, c.version)
					if !affected {
						continue
					}
					dedup := a.ID + "|" + p.PURL + "|" + p.Path
					if seen[dedup] {
						continue
					}
					seen[dedup] = true
					out = append(out, Match{Package: p, Finding: finding(a, af, p, af.Package.Name, c.version, fixed)})
				}
			}
		}
		return nil
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].Finding.Advisory.ID < out[j].Finding.Advisory.ID })
	return out, err
}

// ecosystemApplies reports whether an advisory filed for ecosystem adv
// applies to a package of ecosystem pkg: the same ecosystem, an advisory
// that names no release, a SUSE Linux Enterprise product of the same
// release (see sameSLERelease), or a Red Hat product stream of the RHEL
// release the package is installed on (see redHatStreamApplies).
func ecosystemApplies(adv, pkg string) bool {
	if adv == pkg || (!strings.Contains(adv, ":") && ecoBase(pkg) == adv) {
		return true
	}
	if ecoBase(adv) != ecoBase(pkg) {
		return false
	}
	switch ecoBase(pkg) {
	case "SUSE":
		return sameSLERelease(adv, pkg)
	case "Red Hat":
		return redHatStreamApplies(adv, pkg)
	case "Ubuntu":
		// Ubuntu Pro (ESM) fixes the same packages of the same release
		// for subscribers, and is the only stream that still gets fixes
		// once a release's standard support ends: an image without those
		// fixes is exposed whether or not its owner subscribed, as with
		// SUSE's LTSS. FIPS and other Pro variants are builds of their
		// own and do not apply.
		return strings.TrimPrefix(adv, "Ubuntu:Pro:") == strings.TrimPrefix(pkg, "Ubuntu:")
	}
	return false
}

// sameSLERelease reports whether two SUSE ecosystems name products built
// from the same SUSE Linux Enterprise release.
//
// An exact match is not enough for SUSE, unlike Debian or Rocky Linux: SLE
// 15 is modular, and OSV files each fix under every product that ships the
// package, most often a module rather than the server an image says it
// is. glibc on SLES 15 SP3 is fixed under "SUSE:Linux Enterprise Module
// for Basesystem 15 SP3", "SUSE:Linux Enterprise Server for SAP
// Applications 15 SP3", "SUSE:Linux Enterprise High Performance Computing
// 15 SP3-LTSS" and so on, and often not under "SUSE:Linux Enterprise
// Server 15 SP3" at all. Those products share one code stream, so the same
// package versions, and os-release cannot say which module a package came
// from. So two "Linux Enterprise" products match when their releases (the
// last number and its service pack: "15 SP3", "5.5") are equal once
// support-phase suffixes ("-LTSS", "-ESPOS", "-TERADATA") are dropped.
// Those suffixes name subscriptions to longer support of the same
// packages: an image without their fixes is exposed whether or not its
// owner subscribed.
//
// Releases are compared whole: SLES 15 SP3 does not match 15 SP4, SLE
// Micro 5.5 or SLE 16, whose package versions are separate lines that
// version comparison cannot tell apart (a fix in 16.0 would flag every
// 15 SP3 package for ever). Other SUSE products (SUSE Linux Micro 6, SUSE
// Manager, ...) match only their own name and release. openSUSE
// ecosystems match exactly, as Debian's do: openSUSE advisories name each
// Leap release.
func sameSLERelease(adv, pkg string) bool {
	al, ar := sleProduct(adv)
	pl, pr := sleProduct(pkg)
	if ar == "" || ar != pr {
		return false
	}
	return al == pl || (strings.HasPrefix(al, "Linux Enterprise ") && strings.HasPrefix(pl, "Linux Enterprise "))
}

// sleProduct splits a SUSE ecosystem's product into its line and its
// release, the last number and the service pack after it, without
// support-phase suffixes: "SUSE:Linux Enterprise Server 15 SP3-LTSS" is
// "Linux Enterprise Server" and "15 SP3"; "SUSE:Linux Enterprise Module
// for Python 3 15 SP5" is "Linux Enterprise Module for Python 3" and "15
// SP5".
func sleProduct(eco string) (line, release string) {
	_, product, _ := strings.Cut(eco, ":")
	words := strings.Fields(strings.ReplaceAll(product, "-SP", " SP"))
	for i := len(words) - 1; i >= 0; i-- {
		if w := words[i]; w[0] < '0' || w[0] > '9' {
			continue
		}
		release, _, _ = strings.Cut(words[i], "-")
		if i+1 < len(words) && strings.HasPrefix(words[i+1], "SP") {
			sp, _, _ := strings.Cut(words[i+1], "-")
			release += " " + sp
		}
		return strings.Join(words[:i], " "), release
	}
	return strings.Join(words, " "), ""
}

// affects evaluates an affected entry for one version and returns the
// fixed version of the range that holds it, when known.
func affects(af Affected, eco, version string) (bool, string) {
	for _, v := range af.Versions {
		if v == version {
			return true, ""
		}
	}
	for _, r := range af.Ranges {
		var cmp func(a, b string) int
		switch r.Type {
		case "ECOSYSTEM":
			cmp = func(a, b string) int { return Compare(eco, a, b) }
		case "SEMVER":
			cmp = CompareSemver
		default:
			continue // GIT ranges name commits, not versions
		}
		if ok, fixed := inRange(r.Events, version, cmp); ok {
			return true, fixed
		}
	}
	return false, ""
}

// inRange applies OSV's range algorithm: walk the events in version order,
// entering the affected state at an introduced version and leaving it at a
// fixed version (exclusive) or after a last_affected version.
func inRange(events []Event, v string, cmp func(a, b string) int) (bool, string) {
	affected := false
	fixed := ""
	evs := append([]Event(nil), events...)
	ver := func(e Event) string {
		return e.Introduced + e.Fixed + e.LastAffected + e.Limit
	}
	sort.SliceStable(evs, func(i, j int) bool {
		a, b := ver(evs[i]), ver(evs[j])
		if a == "0" {
			return b != "0"
		}
		if b == "0" {
			return false
		}
		return cmp(a, b) < 0
	})
	for _, e := range evs {
		switch {
		case e.Introduced != "":
			if e.Introduced == "0" || cmp(v, e.Introduced) >= 0 {
				affected, fixed = true, ""
			}
		case e.Fixed != "":
			if cmp(v, e.Fixed) >= 0 {
				affected = false
			} else if affected && fixed == "" {
				fixed = e.Fixed
			}
		case e.LastAffected != "":
			if cmp(v, e.LastAffected) > 0 {
				affected = false
			}
		case e.Limit != "":
			if cmp(v, e.Limit) >= 0 {
				affected = false
			}
		}
	}
	return affected, fixed
}

// finding reports that advisory a affects package p, filed as name at
// version.
func finding(a *Advisory, af Affected, p sbom.Package, name, version, fixed string) check.Finding {
	f := check.Finding{
		Package:  &check.PackageRef{Name: p.Name, Version: p.Version, Ecosystem: p.Ecosystem, PURL: p.PURL},
		Advisory: &check.Advisory{ID: a.ID, Aliases: a.Aliases, Summary: a.Summary, Fixed: fixed},
	}
	if strings.HasPrefix(a.ID, "MAL-") {
		f.RuleID, f.Severity = check.MaliciousPackage.ID, rule.Critical
		f.Message = fmt.Sprintf("%s %s is a known malicious package (%s)", p.Name, p.Version, a.ID)
		if a.Summary != "" {
			f.Message += ": " + strings.TrimSuffix(a.Summary, ".")
		}
		return f
	}
	f.RuleID = check.VulnerablePackage.ID
	f.Severity, f.Advisory.Severity = severityOf(a, af)
	f.Message = fmt.Sprintf("%s %s is affected by %s", p.Name, p.Version, a.ID)
	if version != p.Version {
		// The fixed version below is the source package's.
		f.Message = fmt.Sprintf("%s %s (from %s %s) is affected by %s", p.Name, p.Version, name, version, a.ID)
	}
	if cve := cveOf(a); cve != "" && cve != a.ID {
		f.Message += " (" + cve + ")"
	}
	if fixed != "" {
		f.Message += ", fixed in " + fixed
	}
	return f
}

// cveOf returns the CVE an advisory is, is an alias of or, for a
// distribution's advisory, is about.
func cveOf(a *Advisory) string {
	if strings.HasPrefix(a.ID, "CVE-") {
		return a.ID
	}
	for _, al := range append(append([]string(nil), a.Aliases...), a.Upstream...) {
		if strings.HasPrefix(al, "CVE-") {
			return al
		}
	}
	return ""
}

// severityOf rates an advisory: a CVSS v3 vector's base score, else the
// database's rating, else medium.
func severityOf(a *Advisory, af Affected) (rule.Severity, string) {
	for _, s := range append(append([]Severity{}, af.Severity...), a.Severity...) {
		if s.Type == "CVSS_V3" {
			if score, err := CVSS3Score(s.Score); err == nil {
				return ratingOfScore(score), fmt.Sprintf("%s %.1f", strings.SplitN(s.Score, "/", 2)[0], score)
			}
		}
	}
	for _, r := range []string{af.EcosystemSpecific.Severity, a.DBSpecific.Severity} {
		switch strings.ToUpper(r) {
		case "CRITICAL":
			return rule.Critical, r
		case "HIGH", "IMPORTANT":
			return rule.High, r
		case "MODERATE", "MEDIUM":
			return rule.Medium, r
		case "LOW", "NEGLIGIBLE", "UNIMPORTANT":
			return rule.Low, r
		}
	}
	return rule.Medium, ""
}

func ratingOfScore(s float64) rule.Severity {
	switch {
	case s >= 9:
		return rule.Critical
	case s >= 7:
		return rule.High
	case s >= 4:
		return rule.Medium
	case s > 0:
		return rule.Low
	}
	return rule.Info
}

// Import copies OSV data (an all.zip, a JSON file or a directory of them)
// into the database directory dir, after checking that every record
// parses, and returns how many advisories it holds.
func Import(src, dir string) (int, error) {
	in, err := Open(src)
	if err != nil {
		return 0, err
	}
	n := 0
	if err := in.Each(func(*Advisory) error { n++; return nil }); err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, errors.New("no OSV advisories found in " + src)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return 0, err
	}
	copyFile := func(from, to string) error {
		b, err := os.ReadFile(filepath.Clean(from))
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(to), 0o750); err != nil {
			return err
		}
		tmp := to + ".tmp"
		if err := os.WriteFile(tmp, b, 0o600); err != nil { //nolint:gosec // G703: the user names the database directory
			return err
		}
		return os.Rename(tmp, to)
	}
	st, _ := os.Stat(src)
	if !st.IsDir() {
		return n, copyFile(src, filepath.Join(dir, filepath.Base(src)))
	}
	return n, filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || (!strings.HasSuffix(p, ".json") && !strings.HasSuffix(p, ".zip")) {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		return copyFile(p, filepath.Join(dir, rel))
	})
}

// DefaultDir is where `palisade db import` puts the database when no
// directory is given: the user's cache directory.
func DefaultDir() string {
	d, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(d, "palisade", "osv")
}
