package sbom

import "testing"

// TestRPMEcosystem maps the os-release files of RHEL-family images to the
// ecosystems their rpm packages are matched under: Red Hat's release
// stream for RHEL and UBI, OSV's own ecosystems for AlmaLinux and Rocky
// Linux, and names of their own, never "Red Hat", for the rpm
// distributions OSV has no ecosystem for. Purls do not change.
func TestRPMEcosystem(t *testing.T) {
	for _, tc := range []struct {
		name, osRelease, ecosystem, purl string
	}{
		{
			name:      "UBI 9.3",
			osRelease: "NAME=\"Red Hat Enterprise Linux\"\nVERSION=\"9.3 (Plow)\"\nID=\"rhel\"\nID_LIKE=\"fedora\"\nVERSION_ID=\"9.3\"\nPLATFORM_ID=\"platform:el9\"\nPRETTY_NAME=\"Red Hat Enterprise Linux 9.3 (Plow)\"\nCPE_NAME=\"cpe:/o:redhat:enterprise_linux:9::baseos\"\n",
			ecosystem: "Red Hat:enterprise_linux:9.3",
			purl:      "pkg:rpm/rhel/glibc@2.34-83.el9?arch=x86_64&distro=rhel-9.3",
		},
		{
			name:      "UBI 8.9",
			osRelease: "NAME=\"Red Hat Enterprise Linux\"\nVERSION=\"8.9 (Ootpa)\"\nID=\"rhel\"\nID_LIKE=\"fedora\"\nVERSION_ID=\"8.9\"\nPLATFORM_ID=\"platform:el8\"\nPRETTY_NAME=\"Red Hat Enterprise Linux 8.9 (Ootpa)\"\nCPE_NAME=\"cpe:/o:redhat:enterprise_linux:8::baseos\"\n",
			ecosystem: "Red Hat:enterprise_linux:8.9",
			purl:      "pkg:rpm/rhel/glibc@2.34-83.el9?arch=x86_64&distro=rhel-8.9",
		},
		{
			name:      "RHEL 10.0",
			osRelease: "NAME=\"Red Hat Enterprise Linux\"\nID=\"rhel\"\nVERSION_ID=\"10.0\"\nPRETTY_NAME=\"Red Hat Enterprise Linux 10.0 (Coughlan)\"\n",
			ecosystem: "Red Hat:enterprise_linux:10.0",
			purl:      "pkg:rpm/rhel/glibc@2.34-83.el9?arch=x86_64&distro=rhel-10.0",
		},
		{
			name:      "RHEL without VERSION_ID: the bare family",
			osRelease: "ID=rhel\n",
			ecosystem: "Red Hat",
			purl:      "pkg:rpm/rhel/glibc@2.34-83.el9?arch=x86_64",
		},
		{
			name:      "AlmaLinux 9.3: OSV's ecosystem, by major release",
			osRelease: "NAME=\"AlmaLinux\"\nVERSION=\"9.3 (Shamrock Pampas Cat)\"\nID=\"almalinux\"\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"9.3\"\nPRETTY_NAME=\"AlmaLinux 9.3 (Shamrock Pampas Cat)\"\n",
			ecosystem: "AlmaLinux:9",
			purl:      "pkg:rpm/almalinux/glibc@2.34-83.el9?arch=x86_64&distro=almalinux-9.3",
		},
		{
			name:      "Rocky Linux 9.3",
			osRelease: "NAME=\"Rocky Linux\"\nVERSION=\"9.3 (Blue Onyx)\"\nID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"9.3\"\nPRETTY_NAME=\"Rocky Linux 9.3 (Blue Onyx)\"\n",
			ecosystem: "Rocky Linux:9",
			purl:      "pkg:rpm/rocky/glibc@2.34-83.el9?arch=x86_64&distro=rocky-9.3",
		},
		{
			name:      "Rocky Linux 8.9",
			osRelease: "NAME=\"Rocky Linux\"\nID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"8.9\"\n",
			ecosystem: "Rocky Linux:8",
			purl:      "pkg:rpm/rocky/glibc@2.34-83.el9?arch=x86_64&distro=rocky-8.9",
		},
		{
			name:      "CentOS Stream 9",
			osRelease: "NAME=\"CentOS Stream\"\nVERSION=\"9\"\nID=\"centos\"\nID_LIKE=\"rhel fedora\"\nVERSION_ID=\"9\"\nPLATFORM_ID=\"platform:el9\"\nPRETTY_NAME=\"CentOS Stream 9\"\n",
			ecosystem: "CentOS Stream:9",
			purl:      "pkg:rpm/centos/glibc@2.34-83.el9?arch=x86_64&distro=centos-9",
		},
		{
			name:      "CentOS Linux 7",
			osRelease: "NAME=\"CentOS Linux\"\nVERSION=\"7 (Core)\"\nID=\"centos\"\nID_LIKE=\"rhel fedora\"\nVERSION_ID=\"7\"\nPRETTY_NAME=\"CentOS Linux 7 (Core)\"\n",
			ecosystem: "CentOS:7",
			purl:      "pkg:rpm/centos/glibc@2.34-83.el9?arch=x86_64&distro=centos-7",
		},
		{
			name:      "Fedora 40",
			osRelease: "NAME=\"Fedora Linux\"\nVERSION=\"40 (Container Image)\"\nID=fedora\nVERSION_ID=40\nPRETTY_NAME=\"Fedora Linux 40 (Container Image)\"\n",
			ecosystem: "Fedora:40",
			purl:      "pkg:rpm/fedora/glibc@2.34-83.el9?arch=x86_64&distro=fedora-40",
		},
		{
			name:      "Amazon Linux 2023",
			osRelease: "NAME=\"Amazon Linux\"\nVERSION=\"2023\"\nID=\"amzn\"\nID_LIKE=\"fedora\"\nVERSION_ID=\"2023\"\nPRETTY_NAME=\"Amazon Linux 2023\"\n",
			ecosystem: "Amazon Linux:2023",
			purl:      "pkg:rpm/amzn/glibc@2.34-83.el9?arch=x86_64&distro=amzn-2023",
		},
		{
			name:      "Amazon Linux 2",
			osRelease: "NAME=\"Amazon Linux\"\nVERSION=\"2\"\nID=\"amzn\"\nID_LIKE=\"centos rhel fedora\"\nVERSION_ID=\"2\"\nPRETTY_NAME=\"Amazon Linux 2\"\n",
			ecosystem: "Amazon Linux:2",
			purl:      "pkg:rpm/amzn/glibc@2.34-83.el9?arch=x86_64&distro=amzn-2",
		},
		{
			name:      "Oracle Linux 9.3: by major release",
			osRelease: "NAME=\"Oracle Linux Server\"\nVERSION=\"9.3\"\nID=\"ol\"\nID_LIKE=\"fedora\"\nVARIANT=\"Server\"\nVERSION_ID=\"9.3\"\nPRETTY_NAME=\"Oracle Linux Server 9.3\"\n",
			ecosystem: "Oracle Linux:9",
			purl:      "pkg:rpm/ol/glibc@2.34-83.el9?arch=x86_64&distro=ol-9.3",
		},
		{
			name:      "an rpm distribution we do not know: its ID and VERSION_ID",
			osRelease: "NAME=\"Common Base Linux Mariner\"\nVERSION=\"2.0.20240123\"\nID=mariner\nVERSION_ID=\"2.0\"\nPRETTY_NAME=\"CBL-Mariner/Linux\"\n",
			ecosystem: "mariner:2.0",
			purl:      "pkg:rpm/mariner/glibc@2.34-83.el9?arch=x86_64&distro=mariner-2.0",
		},
		{
			name:      "a RHEL rebuild we do not know is not Red Hat either",
			osRelease: "NAME=\"EuroLinux\"\nID=\"eurolinux\"\nID_LIKE=\"rhel fedora centos\"\nVERSION_ID=\"9.3\"\n",
			ecosystem: "eurolinux:9.3",
			purl:      "pkg:rpm/eurolinux/glibc@2.34-83.el9?arch=x86_64&distro=eurolinux-9.3",
		},
		{
			name:      "no VERSION_ID: the name alone",
			osRelease: "ID=fedora\n",
			ecosystem: "Fedora",
			purl:      "pkg:rpm/fedora/glibc@2.34-83.el9?arch=x86_64",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkGlibcNaming(t, tc.osRelease, "2.34-83.el9", tc.ecosystem, tc.purl)
		})
	}
}

// TestRPMEcosystemWithoutOSRelease keeps the bare "Red Hat" for rpm
// packages of an image without os-release: only advisories that name no
// release match it.
func TestRPMEcosystemWithoutOSRelease(t *testing.T) {
	pk := Finalize([]Package{{Name: "glibc", Version: "2.34-83.el9", Type: "rpm"}}, nil)
	if pk[0].Ecosystem != "Red Hat" {
		t.Errorf("ecosystem = %q, want Red Hat", pk[0].Ecosystem)
	}
}
