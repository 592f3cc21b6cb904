package vuln

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/palisade-dev/palisade/internal/image/imagetest"
	"github.com/palisade-dev/palisade/internal/image/sbom"
)

// sles153 is the os-release of the SLE 15 SP3 BCI images.
const sles153 = "NAME=\"SLES\"\nVERSION=\"15-SP3\"\nVERSION_ID=\"15.3\"\nPRETTY_NAME=\"SUSE Linux Enterprise Server 15 SP3\"\nID=\"sles\"\nID_LIKE=\"suse\"\nCPE_NAME=\"cpe:/o:suse:sles:15:sp3\"\n"

func osRelease(t *testing.T, content string) *sbom.OS {
	t.Helper()
	f, err := sbom.Parse("/etc/os-release", 0, []byte(content))
	if err != nil || f == nil || f.OS == nil {
		t.Fatalf("os-release: %+v, %v", f, err)
	}
	return f.OS
}

// sleBCIPackages are packages of the SLE 15 SP3 bci-minimal image, at the
// versions its rpm database holds.
func sleBCIPackages() []sbom.Package {
	return []sbom.Package{
		{Name: "glibc", Version: "2.31-9.3.2", Type: "rpm", Arch: "x86_64", Source: "glibc", SourceVersion: "2.31-9.3.2"},
		{Name: "bash", Version: "4.4-19.6.1", Type: "rpm", Arch: "x86_64", Source: "bash", SourceVersion: "4.4-19.6.1"},
		{Name: "libreadline7", Version: "7.0-19.6.1", Type: "rpm", Arch: "x86_64", Source: "bash", SourceVersion: "4.4-19.6.1"},
		{Name: "liblzma5", Version: "5.2.3-4.3.1", Type: "rpm", Arch: "x86_64", Source: "xz", SourceVersion: "5.2.3-4.3.1"},
		{Name: "ca-certificates-mozilla-prebuilt", Version: "2.44-21.1", Type: "rpm", Arch: "noarch", Source: "ca-certificates-mozilla-prebuilt", SourceVersion: "2.44-21.1"},
	}
}

func matchSUSE(t *testing.T, pkgs []sbom.Package) map[string]string {
	t.Helper()
	return matchIn(t, "suse", pkgs)
}

// sles153Matches are the matches testdata/suse/README.md describes.
var sles153Matches = map[string]string{
	"SUSE-SU-2099:0001-1 glibc@2.31-9.3.2": "2.31-150300.9.9.1",
	"SUSE-SU-2099:0002-1 bash@4.4-19.6.1":  "4.4-150300.19.9.1",
	// Built from bash: compared at bash's version, not its own 7.0.
	"SUSE-SU-2099:0002-1 libreadline7@7.0-19.6.1": "4.4-150300.19.9.1",
	"SUSE-SU-2099:0003-1 liblzma5@5.2.3-4.3.1":    "5.2.3-4.10.1",
}

func checkMatches(t *testing.T, got, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if f, ok := got[k]; !ok || f != v {
			t.Errorf("%s: fixed %q (matched %v), want %q", k, f, ok, v)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected match %s", k)
		}
	}
}

// TestMatchSUSE matches an SLES 15 SP3 image against SUSE advisories filed
// under the server and under other products of the same release, by RPM
// version order, and not against other SUSE releases, openSUSE or Red Hat.
func TestMatchSUSE(t *testing.T) {
	pkgs := sbom.Finalize(sleBCIPackages(), osRelease(t, sles153))
	checkMatches(t, matchSUSE(t, pkgs), sles153Matches)

	db, _ := Open(filepath.Join("testdata", "suse"))
	ms, err := db.Match(pkgs)
	if err != nil {
		t.Fatal(err)
	}
	const want = "libreadline7 7.0-19.6.1 (from bash 4.4-19.6.1) is affected by SUSE-SU-2099:0002-1 (CVE-2099-1002), fixed in 4.4-150300.19.9.1"
	if !slices.ContainsFunc(ms, func(m Match) bool { return m.Finding.Message == want }) {
		t.Errorf("no finding says %q", want)
	}
}

// TestMatchOpenSUSE matches openSUSE Leap images against their own
// release's advisories only.
func TestMatchOpenSUSE(t *testing.T) {
	glibc := func() []sbom.Package {
		return []sbom.Package{{Name: "glibc", Version: "2.31-150300.63.1", Type: "rpm", Arch: "x86_64", Source: "glibc", SourceVersion: "2.31-150300.63.1"}}
	}
	leap := func(v string) string {
		return "NAME=\"openSUSE Leap\"\nVERSION=\"" + v + "\"\nID=\"opensuse-leap\"\nID_LIKE=\"suse opensuse\"\nVERSION_ID=\"" + v + "\"\nPRETTY_NAME=\"openSUSE Leap " + v + "\"\n"
	}
	checkMatches(t, matchSUSE(t, sbom.Finalize(glibc(), osRelease(t, leap("15.5")))), map[string]string{
		"openSUSE-SU-2099:0006-1 glibc@2.31-150300.63.1": "2.31-150300.70.1",
	})
	checkMatches(t, matchSUSE(t, sbom.Finalize(glibc(), osRelease(t, leap("15.4")))), map[string]string{})
}

// TestMatchSUSENDB reads the SLE 15 SP3 bci-minimal rpm database from
// go-rpmdb's test data in the module cache and matches all its packages.
func TestMatchSUSENDB(t *testing.T) {
	db := imagetest.RPMDB(t, "sle15-bci/Packages.db")
	f, err := sbom.Parse("/usr/lib/sysimage/rpm/Packages.db", 0, db)
	if err != nil || f == nil {
		t.Fatalf("Parse: %+v, %v", f, err)
	}
	pkgs := sbom.Finalize(f.Packages, osRelease(t, sles153))
	if !slices.ContainsFunc(pkgs, func(p sbom.Package) bool { return p.Name == "ca-certificates-mozilla-prebuilt" }) {
		t.Fatal("the database has changed: no ca-certificates-mozilla-prebuilt")
	}
	checkMatches(t, matchSUSE(t, pkgs), sles153Matches)
}

func TestEcosystemApplies(t *testing.T) {
	const sles = "SUSE:Linux Enterprise Server 15 SP3"
	checkEcosystemApplies(t, []ecoCase{
		{sles, sles, true},
		{"SUSE", sles, true},
		{"SUSE:Linux Enterprise Module for Basesystem 15 SP3", sles, true},
		{"SUSE:Linux Enterprise Module for Python 3 15 SP3", sles, true},
		{"SUSE:Linux Enterprise Server for SAP Applications 15 SP3", sles, true},
		{"SUSE:Linux Enterprise High Performance Computing 15 SP3-LTSS", sles, true},
		{"SUSE:Linux Enterprise Server 15 SP3-LTSS", sles, true},
		{"SUSE:Linux Enterprise Server LTSS Extended Security 15 SP3", sles, true},
		{"SUSE:Linux Enterprise Server 15 SP3", "SUSE:Linux Enterprise Server for SAP Applications 15 SP3", true},
		{"SUSE:Linux Enterprise Server 15 SP4", sles, false},
		{"SUSE:Linux Enterprise Server 15", sles, false},
		{"SUSE:Linux Enterprise Server 15 SP3", "SUSE:Linux Enterprise Server 15", false},
		{"SUSE:Linux Enterprise Server 5 SP3", sles, false},
		{"SUSE:Linux Enterprise Server 16.0", sles, false},
		{"SUSE:Linux Enterprise Micro 5.3", sles, false},
		{"SUSE:Linux Micro 6.0", sles, false},
		{"SUSE:Linux Enterprise Micro 5.4", "SUSE:Linux Enterprise Micro for Rancher 5.4", true},
		{"SUSE:Linux Enterprise Micro 5.5", "SUSE:Linux Enterprise Micro 5.4", false},
		{"SUSE:Linux Micro 6.0", "SUSE:Linux Micro 6.0", true},
		{"SUSE:Manager Server 5.0", "SUSE:Linux Micro 5.0", false},
		{"SUSE:Manager Server 4.3", "SUSE:Manager Proxy 4.3", false},
		{"openSUSE:Leap 15.3", sles, false},
		{"openSUSE:Leap 15.5", "openSUSE:Leap 15.5", true},
		{"openSUSE:Leap 15.4", "openSUSE:Leap 15.5", false},
		{"openSUSE:Tumbleweed", "openSUSE:Leap 15.5", false},
		{"openSUSE", "openSUSE:Tumbleweed", true},
		{"Red Hat", sles, false},
		{"Red Hat:enterprise_linux:8::baseos", sles, false},
		{"Red Hat", "Red Hat", true},
		{"Debian:12", "Debian:12", true},
		{"Debian:11", "Debian:12", false},
	})
}
