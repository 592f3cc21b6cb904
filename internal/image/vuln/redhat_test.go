package vuln

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/palisade-dev/palisade/internal/image/imagetest"
	"github.com/palisade-dev/palisade/internal/image/sbom"
)

// rhel is the os-release of a RHEL or UBI image of the given release.
func rhel(versionID string) string {
	major, _, _ := strings.Cut(versionID, ".")
	return "NAME=\"Red Hat Enterprise Linux\"\nVERSION=\"" + versionID + "\"\nID=\"rhel\"\nID_LIKE=\"fedora\"\nVERSION_ID=\"" + versionID +
		"\"\nPLATFORM_ID=\"platform:el" + major + "\"\nPRETTY_NAME=\"Red Hat Enterprise Linux " + versionID +
		"\"\nCPE_NAME=\"cpe:/o:redhat:enterprise_linux:" + major + "::baseos\"\n"
}

// ubi9Packages are packages of a UBI 9 image; testdata/redhat/README.md
// says which advisories they are affected by.
func ubi9Packages() []sbom.Package {
	rpm := func(name, version, source string, epoch int) sbom.Package {
		v := version
		if epoch > 0 {
			v = "1:" + version
		}
		return sbom.Package{Name: name, Version: v, Epoch: epoch, Type: "rpm", Arch: "x86_64", Source: source, SourceVersion: version, Path: "/var/lib/rpm/rpmdb.sqlite"}
	}
	return []sbom.Package{
		rpm("openssl-libs", "3.0.7-9.el9", "openssl", 1),
		rpm("glibc", "2.34-60.el9_2.7", "glibc", 0),
		rpm("curl", "7.76.1-26.el9", "curl", 0),
		rpm("libcurl", "7.76.1-26.el9", "curl", 0),
		rpm("sudo", "1.9.5p2-10.el9_3", "sudo", 0),
		rpm("xz-libs", "5.2.5-8.el9", "xz", 0),
		rpm("bash", "5.1.8-6.el9", "bash", 0),
	}
}

func matchIn(t *testing.T, dir string, pkgs []sbom.Package) map[string]string {
	t.Helper()
	db, err := Open(filepath.Join("testdata", dir))
	if err != nil {
		t.Fatal(err)
	}
	ms, err := db.Match(pkgs)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, m := range ms {
		got[m.Finding.Advisory.ID+" "+m.Package.Name+"@"+m.Package.Version] = m.Finding.Advisory.Fixed
	}
	return got
}

// rhel9Matches are the matches of ubi9Packages on every RHEL 9 release.
var rhel9Matches = map[string]string{
	"RHSA-2099:0101 openssl-libs@1:3.0.7-9.el9": "1:3.0.7-27.el9",
	"RHSA-2099:0102 curl@7.76.1-26.el9":         "0:7.76.1-29.el9_4",
	"RHSA-2099:0102 libcurl@7.76.1-26.el9":      "0:7.76.1-29.el9_4",
	"RHSA-2099:0105 xz-libs@5.2.5-8.el9":        "0:5.2.5-9.el9",
}

func with(m map[string]string, k, v string) map[string]string {
	out := map[string]string{k: v}
	for k, v := range m {
		out[k] = v
	}
	return out
}

// TestMatchRedHat matches the same packages under the os-release of
// several RHEL-family images against the advisories in testdata/redhat:
// Red Hat's mainline streams apply to every image of their major release
// and to no other, EUS streams to their minor release only, advisories
// without a stream to every RHEL image, other Red Hat products to none;
// versions compare in RPM order. Rebuilds and other rpm distributions
// match their own ecosystems, never Red Hat's.
func TestMatchRedHat(t *testing.T) {
	for _, tc := range []struct {
		name, osRelease string
		want            map[string]string
	}{
		{"UBI 9.3", rhel("9.3"), rhel9Matches},
		{"UBI 9.2: and the 9.2 EUS stream", rhel("9.2"), with(rhel9Matches, "RHSA-2099:0104 glibc@2.34-60.el9_2.7", "0:2.34-60.el9_2.14")},
		{"UBI 9.4: not the 9.2 EUS stream", rhel("9.4"), rhel9Matches},
		{"UBI 8.9: RHEL 8 streams only", rhel("8.9"), map[string]string{
			"RHSA-2099:0103 sudo@1.9.5p2-10.el9_3": "",
			"RHSA-2099:0105 xz-libs@5.2.5-8.el9":   "0:5.2.5-9.el9",
		}},
		{"AlmaLinux 9.3", "NAME=\"AlmaLinux\"\nID=\"almalinux\"\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"9.3\"\n", map[string]string{
			"ALSA-2099:0108 openssl-libs@1:3.0.7-9.el9": "1:3.0.7-27.el9",
		}},
		{"Rocky Linux 9.3", "NAME=\"Rocky Linux\"\nID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"9.3\"\n", map[string]string{
			"RLSA-2099:0109 openssl-libs@1:3.0.7-9.el9": "1:3.0.7-27.el9",
		}},
		{"CentOS Stream 9", "NAME=\"CentOS Stream\"\nID=\"centos\"\nID_LIKE=\"rhel fedora\"\nVERSION_ID=\"9\"\nPRETTY_NAME=\"CentOS Stream 9\"\n", map[string]string{}},
		{"Fedora 40", "NAME=\"Fedora Linux\"\nID=fedora\nVERSION_ID=40\n", map[string]string{}},
		{"Amazon Linux 2023", "NAME=\"Amazon Linux\"\nID=\"amzn\"\nID_LIKE=\"fedora\"\nVERSION_ID=\"2023\"\n", map[string]string{}},
		{"Oracle Linux 9.3", "NAME=\"Oracle Linux Server\"\nID=\"ol\"\nID_LIKE=\"fedora\"\nVERSION_ID=\"9.3\"\n", map[string]string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pkgs := sbom.Finalize(ubi9Packages(), osRelease(t, tc.osRelease))
			checkMatches(t, matchIn(t, "redhat", pkgs), tc.want)
		})
	}
}

// TestMatchRedHatUBI8DB reads the UBI 8.6 rpm database from go-rpmdb's
// test data in the module cache and matches all its packages.
func TestMatchRedHatUBI8DB(t *testing.T) {
	db := imagetest.RPMDB(t, "ubi8-s390x/Packages")
	f, err := sbom.Parse("/var/lib/rpm/Packages", 0, db)
	if err != nil || f == nil {
		t.Fatalf("Parse: %+v, %v", f, err)
	}
	pkgs := sbom.Finalize(f.Packages, osRelease(t, rhel("8.6")))
	if !slices.ContainsFunc(pkgs, func(p sbom.Package) bool { return p.Name == "redhat-release" && p.Version == "8.6-0.1.el8" }) {
		t.Fatal("the database has changed: no redhat-release 8.6-0.1.el8")
	}
	for _, p := range pkgs {
		if p.Ecosystem != "Red Hat:enterprise_linux:8.6" {
			t.Fatalf("%s: ecosystem %q, want Red Hat:enterprise_linux:8.6", p.Name, p.Ecosystem)
		}
	}
	checkMatches(t, matchIn(t, "redhat", pkgs), map[string]string{
		"RHSA-2099:0101 openssl-libs@1:1.1.1k-6.el8_5": "1:1.1.1k-12.el8_9",
		"RHSA-2099:0105 xz-libs@5.2.4-4.el8_6":         "0:5.2.5-9.el9",
		"RHSA-2099:0110 glibc@2.28-189.1.el8":          "0:2.28-189.5.el8_6",
		// Built from glibc: matched by their source package.
		"RHSA-2099:0110 glibc-common@2.28-189.1.el8":           "0:2.28-189.5.el8_6",
		"RHSA-2099:0110 glibc-minimal-langpack@2.28-189.1.el8": "0:2.28-189.5.el8_6",
	})
}

func TestEcosystemAppliesRedHat(t *testing.T) {
	const (
		rhel93 = "Red Hat:enterprise_linux:9.3"
		rhel92 = "Red Hat:enterprise_linux:9.2"
		rhel89 = "Red Hat:enterprise_linux:8.9"
	)
	checkEcosystemApplies(t, []ecoCase{
		// The mainline of the same major release, any repository.
		{"Red Hat:enterprise_linux:9::appstream", rhel93, true},
		{"Red Hat:enterprise_linux:9::baseos", rhel93, true},
		{"Red Hat:enterprise_linux:9::crb", rhel93, true},
		{"Red Hat:enterprise_linux:9", rhel93, true},
		{"Red Hat:enterprise_linux:8::appstream", rhel89, true},
		{"Red Hat:enterprise_linux:7::server", "Red Hat:enterprise_linux:7.9", true},
		{"Red Hat:enterprise_linux:9::appstream", "Red Hat:enterprise_linux:9", true},
		// RHEL 10's mainline streams name the minor release of the fix.
		{"Red Hat:enterprise_linux:10.1", "Red Hat:enterprise_linux:10.0", true},
		{"Red Hat:enterprise_linux:10.0", "Red Hat:enterprise_linux:10.2", true},
		// Another major release never.
		{"Red Hat:enterprise_linux:8::appstream", rhel93, false},
		{"Red Hat:enterprise_linux:9::baseos", rhel89, false},
		{"Red Hat:enterprise_linux:10.0", rhel93, false},
		{"Red Hat:enterprise_linux:1::baseos", "Red Hat:enterprise_linux:10.0", false},
		// EUS and the like: the same minor release only.
		{"Red Hat:rhel_eus:9.2::baseos", rhel92, true},
		{"Red Hat:rhel_eus:9.2::appstream", rhel92, true},
		{"Red Hat:rhel_eus:9.2::baseos", rhel93, false},
		{"Red Hat:rhel_eus:9.2::baseos", "Red Hat:enterprise_linux:9.4", false},
		{"Red Hat:rhel_eus:9.2::baseos", "Red Hat:enterprise_linux:9", false},
		{"Red Hat:rhel_eus:9.2::baseos", "Red Hat:enterprise_linux:8.2", false},
		{"Red Hat:rhel_aus:8.4::appstream", "Red Hat:enterprise_linux:8.4", true},
		{"Red Hat:rhel_e4s:9.0::baseos", "Red Hat:enterprise_linux:9.0", true},
		{"Red Hat:rhel_tus:8.6::baseos", "Red Hat:enterprise_linux:8.6", true},
		{"Red Hat:rhel_tus:8.6::baseos", rhel89, false},
		{"Red Hat:enterprise_linux_eus:10.0", "Red Hat:enterprise_linux:10.0", true},
		{"Red Hat:enterprise_linux_eus:10.0", "Red Hat:enterprise_linux:10.1", false},
		// Extended Life-cycle Support continues the major release.
		{"Red Hat:rhel_els:7", "Red Hat:enterprise_linux:7.9", true},
		{"Red Hat:rhel_els:7", rhel89, false},
		// No release: every RHEL image, as before.
		{"Red Hat", rhel93, true},
		{"Red Hat", "Red Hat", true},
		// A package without a release matches no stream.
		{"Red Hat:enterprise_linux:9::baseos", "Red Hat", false},
		// Other Red Hat products, even when filed per RHEL release.
		{"Red Hat:openshift:4.14::el9", rhel93, false},
		{"Red Hat:satellite:6.13::el8", rhel89, false},
		{"Red Hat:rhel_extras:7", "Red Hat:enterprise_linux:7.9", false},
		{"Red Hat:enterprise_linux_ai:1.5::el9", rhel93, false},
		// Other distributions never take Red Hat's advisories.
		{"Red Hat:enterprise_linux:9::baseos", "AlmaLinux:9", false},
		{"Red Hat:enterprise_linux:9::baseos", "Rocky Linux:9", false},
		{"Red Hat:enterprise_linux:9::baseos", "CentOS Stream:9", false},
		{"Red Hat:enterprise_linux:9::baseos", "Oracle Linux:9", false},
		{"Red Hat:enterprise_linux:9::baseos", "Fedora:40", false},
		{"Red Hat:enterprise_linux:9::baseos", "Amazon Linux:2023", false},
		{"Red Hat", "Fedora:40", false},
		{"Red Hat", "Amazon Linux:2023", false},
		{"AlmaLinux:9", "AlmaLinux:9", true},
		{"AlmaLinux:8", "AlmaLinux:9", false},
		{"AlmaLinux:9", rhel93, false},
		{"Rocky Linux:9", "Rocky Linux:9", true},
	})
}

// TestCompareRPMDistributions orders the versions of the rpm
// distributions OSV has no ecosystem for as rpm does.
func TestCompareRPMDistributions(t *testing.T) {
	for _, eco := range []string{"Red Hat:enterprise_linux:9.3", "Fedora:40", "CentOS:7", "CentOS Stream:9", "Amazon Linux:2023", "Oracle Linux:9"} {
		if got := Compare(eco, "3.0.7-9.el9", "3.0.7-27.el9"); got != -1 {
			t.Errorf("%s: Compare(3.0.7-9.el9, 3.0.7-27.el9) = %d, want -1", eco, got)
		}
		if got := Compare(eco, "0:1.9.5p2-10.el9_3", "1.9.5p2-10.el9_3"); got != 0 {
			t.Errorf("%s: Compare(0:1.9.5p2-10.el9_3, 1.9.5p2-10.el9_3) = %d, want 0", eco, got)
		}
	}
}

// TestRedHatMessageNamesUpstreamCVE names the CVE of a Red Hat advisory,
// which Red Hat's records list under "upstream", not "aliases".
func TestRedHatMessageNamesUpstreamCVE(t *testing.T) {
	db, err := Open(filepath.Join("testdata", "redhat", "RHSA-2099-0101.json"))
	if err != nil {
		t.Fatal(err)
	}
	ms, err := db.Match(sbom.Finalize(ubi9Packages(), osRelease(t, rhel("9.3"))))
	if err != nil || len(ms) != 1 {
		t.Fatalf("matches = %+v, %v", ms, err)
	}
	const want = "openssl-libs 1:3.0.7-9.el9 is affected by RHSA-2099:0101 (CVE-2099-2101), fixed in 1:3.0.7-27.el9"
	if got := ms[0].Finding.Message; got != want {
		t.Errorf("message = %q, want %q", got, want)
	}
}
