package vuln

import (
	"testing"

	"github.com/palisade-dev/palisade/internal/image/sbom"
)

// ubuntuPackages are deb packages as an Ubuntu image's dpkg status lists
// them, named for the release of os-release osRel.
func ubuntuPackages(t *testing.T, osRel string) []sbom.Package {
	t.Helper()
	return sbom.Finalize([]sbom.Package{
		{Name: "libssl3", Version: "3.0.2-0ubuntu1.10", Type: "deb", Source: "openssl", SourceVersion: "3.0.2-0ubuntu1.10"},
		{Name: "zlib1g", Version: "1:1.2.11.dfsg-2ubuntu9.2", Type: "deb", Source: "zlib", SourceVersion: "1:1.2.11.dfsg-2ubuntu9.2"},
		{Name: "bash", Version: "5.2.15-2ubuntu1", Type: "deb", Source: "bash", SourceVersion: "5.2.15-2ubuntu1"},
	}, osRelease(t, osRel))
}

// TestMatchUbuntu matches Ubuntu images against the records of
// testdata/ubuntu (see its README): LTS releases take the advisories of
// their ":LTS" ecosystem and of Ubuntu Pro, the fix of their own stream
// first; other releases, Pro's FIPS builds and other distributions never
// apply.
func TestMatchUbuntu(t *testing.T) {
	for _, tc := range []struct {
		name, osRelease string
		want            map[string]string
	}{
		{
			name:      "22.04 LTS",
			osRelease: "PRETTY_NAME=\"Ubuntu 22.04.4 LTS\"\nNAME=\"Ubuntu\"\nVERSION_ID=\"22.04\"\nVERSION=\"22.04.4 LTS (Jammy Jellyfish)\"\nID=ubuntu\nID_LIKE=debian\n",
			want: map[string]string{
				"USN-9901-1 libssl3@3.0.2-0ubuntu1.10":       "3.0.2-0ubuntu1.15",
				"USN-9902-1 zlib1g@1:1.2.11.dfsg-2ubuntu9.2": "1:1.2.11.dfsg-2ubuntu9.2+esm1",
			},
		},
		{
			name:      "22.04 without PRETTY_NAME: an April release of an even year is LTS",
			osRelease: "ID=ubuntu\nVERSION_ID=\"22.04\"\n",
			want: map[string]string{
				"USN-9901-1 libssl3@3.0.2-0ubuntu1.10":       "3.0.2-0ubuntu1.15",
				"USN-9902-1 zlib1g@1:1.2.11.dfsg-2ubuntu9.2": "1:1.2.11.dfsg-2ubuntu9.2+esm1",
			},
		},
		{
			name:      "23.10, an interim release",
			osRelease: "PRETTY_NAME=\"Ubuntu 23.10\"\nVERSION_ID=\"23.10\"\nID=ubuntu\nID_LIKE=debian\n",
			want:      map[string]string{"USN-9903-1 bash@5.2.15-2ubuntu1": "5.2.15-2ubuntu1.9"},
		},
		{
			name:      "24.04 LTS: the fix of its own stream",
			osRelease: "PRETTY_NAME=\"Ubuntu 24.04.1 LTS\"\nVERSION_ID=\"24.04\"\nID=ubuntu\n",
			want:      map[string]string{"USN-9901-1 libssl3@3.0.2-0ubuntu1.10": "3.0.13-0ubuntu3.2"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkMatches(t, matchIn(t, "ubuntu", ubuntuPackages(t, tc.osRelease)), tc.want)
		})
	}
}

func TestEcosystemAppliesUbuntu(t *testing.T) {
	checkEcosystemApplies(t, []ecoCase{
		{"Ubuntu:22.04:LTS", "Ubuntu:22.04:LTS", true},
		{"Ubuntu:Pro:22.04:LTS", "Ubuntu:22.04:LTS", true},
		{"Ubuntu:Pro:16.04:LTS", "Ubuntu:16.04:LTS", true},
		{"Ubuntu", "Ubuntu:22.04:LTS", true},
		{"Ubuntu:Pro:FIPS:22.04:LTS", "Ubuntu:22.04:LTS", false},
		{"Ubuntu:Pro:FIPS-updates:22.04:LTS", "Ubuntu:22.04:LTS", false},
		{"Ubuntu:20.04:LTS", "Ubuntu:22.04:LTS", false},
		{"Ubuntu:Pro:20.04:LTS", "Ubuntu:22.04:LTS", false},
		{"Ubuntu:22.04:LTS", "Ubuntu:22.04", false},
		{"Ubuntu:23.10", "Ubuntu:23.10", true},
		{"Debian:12", "Ubuntu:22.04:LTS", false},
	})
}
