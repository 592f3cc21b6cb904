package vuln

import (
	"archive/zip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/palisade-dev/palisade/internal/image/sbom"
	"github.com/palisade-dev/palisade/internal/rule"
)

// The advisories below are written for these tests: real formats, made-up
// identifiers.
var fixtures = map[string]string{
	"debian/DSA-0001-1.json": `{"id":"DSA-0001-1","aliases":["CVE-2099-0001"],"summary":"openssl: buffer overflow",
		"affected":[{"package":{"ecosystem":"Debian:12","name":"openssl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.0.11-1~deb12u3"}]}]}]}`,
	"debian/DSA-0002-1.json": `{"id":"DSA-0002-1","summary":"openssl: only Debian 11",
		"affected":[{"package":{"ecosystem":"Debian:11","name":"openssl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"9.9"}]}]}]}`,
	"alpine/ALPINE-0003.json": `{"id":"CVE-2099-0003","affected":[{"package":{"ecosystem":"Alpine:v3.19","name":"openssl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.1.4-r6"}]}]}],
		"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]}`,
	"pypi/GHSA-aaaa.json": `{"id":"GHSA-aaaa-bbbb-cccc","aliases":["CVE-2099-0004"],"database_specific":{"severity":"HIGH"},
		"affected":[{"package":{"ecosystem":"PyPI","name":"pyyaml"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"5.1"},{"fixed":"5.4"},{"introduced":"6.0"},{"last_affected":"6.0.1"}]}]}]}`,
	"npm/MAL-2099-1.json": `{"id":"MAL-2099-1","summary":"Malicious code in evil-colors (npm)",
		"affected":[{"package":{"ecosystem":"npm","name":"evil-colors"},"versions":["1.0.1","1.0.2"]}]}`,
	"go/GO-2099-0005.json": `{"id":"GO-2099-0005","affected":[{"package":{"ecosystem":"Go","name":"stdlib"},"ranges":[{"type":"SEMVER","events":[{"introduced":"1.26.0"},{"fixed":"1.26.9"}]}]}]}`,
	"go/GO-2099-0006.json": `{"id":"GO-2099-0006","withdrawn":"2099-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"Go","name":"stdlib"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"}]}]}]}`,
	"maven/GHSA-log4j.json": `{"id":"GHSA-jfh8-c2jp-5v3q","aliases":["CVE-2021-44228"],"database_specific":{"severity":"CRITICAL"},
		"affected":[{"package":{"ecosystem":"Maven","name":"org.apache.logging.log4j:log4j-core"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"2.0-beta9"},{"fixed":"2.15.0"}]}]}]}`,
}

func writeDB(t *testing.T, asZip bool) string {
	dir := t.TempDir()
	if !asZip {
		for name, body := range fixtures {
			p := filepath.Join(dir, name)
			_ = os.MkdirAll(filepath.Dir(p), 0o755)
			if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	f, err := os.Create(filepath.Join(dir, "all.zip"))
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for name, body := range fixtures {
		w, _ := zw.Create(filepath.Base(name))
		_, _ = w.Write([]byte(body))
	}
	_ = zw.Close()
	_ = f.Close()
	return dir
}

func packages() []sbom.Package {
	return sbom.Finalize([]sbom.Package{
		{Name: "libssl3", Version: "3.0.11-1~deb12u2+b1", Type: "deb", Source: "openssl", Path: "/var/lib/dpkg/status"},
		{Name: "pyyaml", Version: "6.0.1", Type: "pypi", Ecosystem: "PyPI", Path: "/x/METADATA"},
		{Name: "PyYAML", Version: "5.4", Type: "pypi", Ecosystem: "PyPI", Path: "/y/METADATA"},
		{Name: "evil-colors", Version: "1.0.2", Type: "npm", Ecosystem: "npm", Path: "/app/node_modules/evil-colors/package.json"},
		{Name: "stdlib", Version: "v1.26.8", Type: "golang", Ecosystem: "Go", Path: "/app/server"},
		{Name: "log4j-core", Namespace: "org.apache.logging.log4j", Version: "2.14.1", Type: "maven", Ecosystem: "Maven", Path: "/app/a.jar"},
	}, &sbom.OS{ID: "debian", VersionID: "12.5"})
}

func TestMatch(t *testing.T) {
	for _, asZip := range []bool{false, true} {
		db, err := Open(writeDB(t, asZip))
		if err != nil {
			t.Fatal(err)
		}
		ms, err := db.Match(packages())
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, m := range ms {
			got[m.Finding.Advisory.ID+" "+m.Package.Name+"@"+m.Package.Version] = m.Finding.RuleID + " " + m.Finding.Severity.String() + " " + m.Finding.Advisory.Fixed
		}
		want := map[string]string{
			"DSA-0001-1 libssl3@3.0.11-1~deb12u2+b1": "vulnerable-package medium 3.0.11-1~deb12u3",
			"GHSA-aaaa-bbbb-cccc pyyaml@6.0.1":       "vulnerable-package high ",
			"MAL-2099-1 evil-colors@1.0.2":           "malicious-package critical ",
			"GO-2099-0005 stdlib@v1.26.8":            "vulnerable-package medium 1.26.9",
			"GHSA-jfh8-c2jp-5v3q log4j-core@2.14.1":  "vulnerable-package critical 2.15.0",
		}
		if len(got) != len(want) {
			t.Errorf("zip=%v: got %v", asZip, got)
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("zip=%v: %s = %q, want %q", asZip, k, got[k], v)
			}
		}
	}
}

func TestSeverityFromCVSS(t *testing.T) {
	db, _ := Open(writeDB(t, false))
	ms, err := db.Match(sbom.Finalize([]sbom.Package{{Name: "libcrypto3", Version: "3.1.4-r5", Type: "apk", Source: "openssl", Path: "/lib/apk/db/installed"}}, &sbom.OS{ID: "alpine", VersionID: "3.19.1"}))
	if err != nil || len(ms) != 1 {
		t.Fatalf("matches = %+v, %v", ms, err)
	}
	if f := ms[0].Finding; f.Severity != rule.Critical || !strings.HasPrefix(f.Advisory.Severity, "CVSS:3.1 9.8") {
		t.Errorf("finding = %+v %+v", f, f.Advisory)
	}
}

func TestBadDatabaseIsAnError(t *testing.T) {
	dir := t.TempDir()
	_ = os.WriteFile(filepath.Join(dir, "x.json"), []byte("{not json"), 0o644)
	db, _ := Open(dir)
	if _, err := db.Match(packages()); err == nil {
		t.Error("a corrupt record must be an error")
	}
	if _, err := Open(filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing database must be an error")
	}
}

func TestImport(t *testing.T) {
	src := writeDB(t, true)
	dst := filepath.Join(t.TempDir(), "db")
	n, err := Import(filepath.Join(src, "all.zip"), dst)
	if err != nil || n != len(fixtures) {
		t.Fatalf("Import = %d, %v", n, err)
	}
	db, _ := Open(dst)
	ms, err := db.Match(packages())
	if err != nil || len(ms) != 5 {
		t.Errorf("after import: %d matches, %v", len(ms), err)
	}
}

// TestMatchSourceVersion compares a subpackage at its source package's
// version when it is matched by the source's name, with the epoch an RPM
// source package's file name leaves out.
func TestMatchSourceVersion(t *testing.T) {
	dir := t.TempDir()
	adv := `{"id":"RLSA-2099:0001","affected":[{"package":{"ecosystem":"Rocky Linux:9","name":"openssl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1:3.0.7-27.el9"}]}]}]}`
	if err := os.WriteFile(filepath.Join(dir, "RLSA-2099-0001.json"), []byte(adv), 0o644); err != nil {
		t.Fatal(err)
	}
	db, _ := Open(dir)
	rocky := &sbom.OS{ID: "rocky", VersionID: "9.3"}
	for _, tc := range []struct {
		version, source string
		affected        bool
	}{
		{"1:3.0.7-25.el9", "3.0.7-25.el9", true},
		{"1:3.0.7-27.el9", "3.0.7-27.el9", false},
	} {
		pkgs := sbom.Finalize([]sbom.Package{{Name: "openssl-libs", Version: tc.version, Epoch: 1, Type: "rpm", Source: "openssl", SourceVersion: tc.source, Path: "/var/lib/rpm/rpmdb.sqlite"}}, rocky)
		ms, err := db.Match(pkgs)
		if err != nil || (len(ms) == 1) != tc.affected {
			t.Errorf("openssl-libs %s: matches %+v, %v; want affected %v", tc.version, ms, err, tc.affected)
		}
	}
}

func TestMatchNames(t *testing.T) {
	for _, tc := range []struct {
		p    sbom.Package
		want []filedAs
	}{
		{sbom.Package{Name: "libreadline7", Version: "7.0-19.6.1", Type: "rpm", Source: "bash", SourceVersion: "4.4-19.6.1"},
			[]filedAs{{"bash", "4.4-19.6.1"}, {"libreadline7", "7.0-19.6.1"}}},
		{sbom.Package{Name: "openssl-libs", Version: "1:3.0.7-25.el9", Epoch: 1, Type: "rpm", Source: "openssl", SourceVersion: "3.0.7-25.el9"},
			[]filedAs{{"openssl", "1:3.0.7-25.el9"}, {"openssl-libs", "1:3.0.7-25.el9"}}},
		{sbom.Package{Name: "glibc", Version: "2.31-9.3.2", Type: "rpm", Source: "glibc", SourceVersion: "2.31-9.3.2"},
			[]filedAs{{"glibc", "2.31-9.3.2"}}},
		{sbom.Package{Name: "libssl3", Version: "3.0.11-1~deb12u2+b1", Type: "deb", Source: "openssl"},
			[]filedAs{{"openssl", "3.0.11-1~deb12u2+b1"}, {"libssl3", "3.0.11-1~deb12u2+b1"}}},
		{sbom.Package{Name: "foo", Version: "1.0-1+b1", Type: "deb", Source: "foo", SourceVersion: "1.0-1"},
			[]filedAs{{"foo", "1.0-1"}}},
		{sbom.Package{Name: "log4j-core", Namespace: "org.apache.logging.log4j", Version: "2.14.1", Type: "maven"},
			[]filedAs{{"org.apache.logging.log4j:log4j-core", "2.14.1"}}},
	} {
		if got := matchNames(tc.p); !slices.Equal(got, tc.want) {
			t.Errorf("matchNames(%s) = %v, want %v", tc.p.Name, got, tc.want)
		}
	}
}
