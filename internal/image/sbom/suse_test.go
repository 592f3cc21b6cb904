package sbom

import "testing"

// TestSUSEEcosystem maps os-release files, as SUSE's images ship them, to
// the OSV ecosystems their advisories are filed under and to purls.
func TestSUSEEcosystem(t *testing.T) {
	for _, tc := range []struct {
		name, osRelease, ecosystem, purl string
	}{
		{
			name:      "SLES 15 SP3 (BCI)",
			osRelease: "NAME=\"SLES\"\nVERSION=\"15-SP3\"\nVERSION_ID=\"15.3\"\nPRETTY_NAME=\"SUSE Linux Enterprise Server 15 SP3\"\nID=\"sles\"\nID_LIKE=\"suse\"\nANSI_COLOR=\"0;32\"\nCPE_NAME=\"cpe:/o:suse:sles:15:sp3\"\n",
			ecosystem: "SUSE:Linux Enterprise Server 15 SP3",
			purl:      "pkg:rpm/sles/glibc@2.31-9.3.2?arch=x86_64&distro=sles-15.3",
		},
		{
			name:      "SLES 15 GA",
			osRelease: "NAME=\"SLES\"\nVERSION=\"15\"\nVERSION_ID=\"15\"\nPRETTY_NAME=\"SUSE Linux Enterprise Server 15\"\nID=\"sles\"\nID_LIKE=\"suse\"\n",
			ecosystem: "SUSE:Linux Enterprise Server 15",
			purl:      "pkg:rpm/sles/glibc@2.31-9.3.2?arch=x86_64&distro=sles-15",
		},
		{
			name:      "SLES 12 SP5",
			osRelease: "NAME=\"SLES\"\nVERSION=\"12-SP5\"\nVERSION_ID=\"12.5\"\nPRETTY_NAME=\"SUSE Linux Enterprise Server 12 SP5\"\nID=\"sles\"\n",
			ecosystem: "SUSE:Linux Enterprise Server 12 SP5",
			purl:      "pkg:rpm/sles/glibc@2.31-9.3.2?arch=x86_64&distro=sles-12.5",
		},
		{
			name:      "SLES 16.0 has no service packs",
			osRelease: "NAME=\"SLES\"\nVERSION=\"16.0\"\nVERSION_ID=\"16.0\"\nPRETTY_NAME=\"SUSE Linux Enterprise Server 16.0\"\nID=\"sles\"\nID_LIKE=\"suse\"\n",
			ecosystem: "SUSE:Linux Enterprise Server 16.0",
			purl:      "pkg:rpm/sles/glibc@2.31-9.3.2?arch=x86_64&distro=sles-16.0",
		},
		{
			name:      "SLES for SAP Applications 15 SP5",
			osRelease: "NAME=\"SLES_SAP\"\nVERSION=\"15-SP5\"\nVERSION_ID=\"15.5\"\nPRETTY_NAME=\"SUSE Linux Enterprise Server for SAP Applications 15 SP5\"\nID=\"sles_sap\"\nID_LIKE=\"suse\"\n",
			ecosystem: "SUSE:Linux Enterprise Server for SAP Applications 15 SP5",
			purl:      "pkg:rpm/sles_sap/glibc@2.31-9.3.2?arch=x86_64&distro=sles_sap-15.5",
		},
		{
			name:      "SLE Micro 5.5",
			osRelease: "NAME=\"SLE Micro\"\nVERSION=\"5.5\"\nVERSION_ID=\"5.5\"\nPRETTY_NAME=\"SUSE Linux Enterprise Micro 5.5\"\nID=\"sle-micro\"\nID_LIKE=\"suse\"\nCPE_NAME=\"cpe:/o:suse:sle-micro:5.5\"\n",
			ecosystem: "SUSE:Linux Enterprise Micro 5.5",
			purl:      "pkg:rpm/sle-micro/glibc@2.31-9.3.2?arch=x86_64&distro=sle-micro-5.5",
		},
		{
			name:      "SUSE Linux Micro 6.0",
			osRelease: "NAME=\"SL-Micro\"\nVERSION=\"6.0\"\nVERSION_ID=\"6.0\"\nPRETTY_NAME=\"SUSE Linux Micro 6.0\"\nID=\"sl-micro\"\nID_LIKE=\"suse\"\n",
			ecosystem: "SUSE:Linux Micro 6.0",
			purl:      "pkg:rpm/sl-micro/glibc@2.31-9.3.2?arch=x86_64&distro=sl-micro-6.0",
		},
		{
			name:      "openSUSE Leap 15.5",
			osRelease: "NAME=\"openSUSE Leap\"\nVERSION=\"15.5\"\nID=\"opensuse-leap\"\nID_LIKE=\"suse opensuse\"\nVERSION_ID=\"15.5\"\nPRETTY_NAME=\"openSUSE Leap 15.5\"\nCPE_NAME=\"cpe:/o:opensuse:leap:15.5\"\n",
			ecosystem: "openSUSE:Leap 15.5",
			purl:      "pkg:rpm/opensuse-leap/glibc@2.31-9.3.2?arch=x86_64&distro=opensuse-leap-15.5",
		},
		{
			name:      "openSUSE Leap Micro 5.5",
			osRelease: "NAME=\"openSUSE Leap Micro\"\nVERSION=\"5.5\"\nID=\"opensuse-leap-micro\"\nID_LIKE=\"suse opensuse opensuse-leap suse-microos\"\nVERSION_ID=\"5.5\"\nPRETTY_NAME=\"openSUSE Leap Micro 5.5\"\n",
			ecosystem: "openSUSE:Leap Micro 5.5",
			purl:      "pkg:rpm/opensuse-leap-micro/glibc@2.31-9.3.2?arch=x86_64&distro=opensuse-leap-micro-5.5",
		},
		{
			name:      "openSUSE Tumbleweed: a rolling release, whose VERSION_ID is the snapshot",
			osRelease: "NAME=\"openSUSE Tumbleweed\"\n# VERSION=\"20240101\"\nID=\"opensuse-tumbleweed\"\nID_LIKE=\"opensuse suse\"\nVERSION_ID=\"20240101\"\nPRETTY_NAME=\"openSUSE Tumbleweed\"\nCPE_NAME=\"cpe:/o:opensuse:tumbleweed:20240101\"\n",
			ecosystem: "openSUSE:Tumbleweed",
			purl:      "pkg:rpm/opensuse-tumbleweed/glibc@2.31-9.3.2?arch=x86_64&distro=opensuse-tumbleweed-20240101",
		},
		{
			name:      "an ID we do not know, like SUSE: named after PRETTY_NAME",
			osRelease: "NAME=\"SLE Micro for Rancher\"\nVERSION_ID=\"5.4\"\nPRETTY_NAME=\"SUSE Linux Enterprise Micro for Rancher 5.4\"\nID=\"sle-micro-rancher\"\nID_LIKE=\"suse\"\n",
			ecosystem: "SUSE:Linux Enterprise Micro for Rancher 5.4",
			purl:      "pkg:rpm/sle-micro-rancher/glibc@2.31-9.3.2?arch=x86_64&distro=sle-micro-rancher-5.4",
		},
		{
			name:      "SLES without VERSION_ID: named after PRETTY_NAME",
			osRelease: "PRETTY_NAME=\"SUSE Linux Enterprise Server 15 SP4\"\nID=\"sles\"\n",
			ecosystem: "SUSE:Linux Enterprise Server 15 SP4",
			purl:      "pkg:rpm/sles/glibc@2.31-9.3.2?arch=x86_64",
		},
		{
			name:      "SLES without a version or a name: the family alone",
			osRelease: "ID=sles\n",
			ecosystem: "SUSE",
			purl:      "pkg:rpm/sles/glibc@2.31-9.3.2?arch=x86_64",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkGlibcNaming(t, tc.osRelease, "2.31-9.3.2", tc.ecosystem, tc.purl)
		})
	}
}

func TestSUSEVersion(t *testing.T) {
	for _, tc := range []struct {
		v            string
		servicePacks bool
		want         string
	}{
		{"15.3", true, "15 SP3"},
		{"15", true, "15"},
		{"15.0", true, "15"},
		{"12.5", true, "12 SP5"},
		{"11.4", true, "11 SP4"},
		{"16.0", true, "16.0"},
		{"16.1", true, "16.1"},
		{"5.5", false, "5.5"},
		{"15.5", false, "15.5"},
	} {
		if got := suseVersion(tc.v, tc.servicePacks); got != tc.want {
			t.Errorf("suseVersion(%q, %v) = %q, want %q", tc.v, tc.servicePacks, got, tc.want)
		}
	}
}

func TestOSReleaseIDLike(t *testing.T) {
	f := mustParse(t, "/usr/lib/os-release", []byte("ID=\"opensuse-leap\"\nID_LIKE=\"suse opensuse\"\nVERSION_ID=\"15.5\"\n"))
	if f.OS == nil || len(f.OS.IDLike) != 2 || f.OS.IDLike[0] != "suse" || f.OS.IDLike[1] != "opensuse" {
		t.Errorf("os = %+v", f.OS)
	}
}
