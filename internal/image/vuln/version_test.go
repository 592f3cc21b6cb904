package vuln

import "testing"

type vcase struct {
	a, b string
	want int
}

func runCases(t *testing.T, name string, cmp func(a, b string) int, cases []vcase) {
	t.Helper()
	for _, c := range cases {
		if got := cmp(c.a, c.b); got != c.want {
			t.Errorf("%s(%q, %q) = %d, want %d", name, c.a, c.b, got, c.want)
		}
		if got := cmp(c.b, c.a); got != -c.want {
			t.Errorf("%s(%q, %q) = %d, want %d (antisymmetry)", name, c.b, c.a, got, -c.want)
		}
	}
}

func TestCompareDpkg(t *testing.T) {
	runCases(t, "dpkg", CompareDpkg, []vcase{
		{"1.0", "1.0", 0},
		{"1.0-1", "1.0-2", -1},
		{"1.0~rc1", "1.0", -1},
		{"1.0~rc1-1", "1.0-1", -1},
		{"1.0~~", "1.0~", -1},
		{"1:0.9", "2.0", 1},
		{"0:1.0", "1.0", 0},
		{"1.0a", "1.0", 1},
		{"1.0.1", "1.0a", 1}, // non-letters sort after letters
		{"1.0+b1", "1.0", 1},
		{"3.0.11-1~deb12u2", "3.0.11-1~deb12u3", -1},
		{"3.0.11-1~deb12u2+b1", "3.0.11-1~deb12u2", 1},
		{"2.36-9+deb12u4", "2.36-9+deb12u10", -1},
		{"1.2.3-10", "1.2.3-9", 1},
		{"7.88.1-10+deb12u5", "7.88.1-10+deb12u12", -1},
		{"1.00", "1.0", 0},
		{"1.0-1", "1.0", 1},
	})
}

func TestCompareApk(t *testing.T) {
	runCases(t, "apk", CompareApk, []vcase{
		{"1.2.4-r2", "1.2.4-r2", 0},
		{"1.2.4-r2", "1.2.4-r10", -1},
		{"1.2.4", "1.2.4-r0", 0},
		{"3.1.4-r5", "3.1.5-r0", -1},
		{"1.0_rc1", "1.0", -1},
		{"1.0_alpha1", "1.0_beta1", -1},
		{"1.0_pre2", "1.0_rc1", -1},
		{"1.0_p1", "1.0", 1},
		{"1.0a", "1.0", 1},
		{"1.0a", "1.0b", -1},
		{"1.10", "1.9", 1},
		{"1.2.3", "1.2", 1},
		{"2.0_git20230101", "2.0", 1},
	})
}

func TestCompareRPM(t *testing.T) {
	runCases(t, "rpm", CompareRPM, []vcase{
		{"1.0-1.el9", "1.0-1.el9", 0},
		{"1.0-1.el9", "1.0-2.el9", -1},
		{"1:1.0-1", "2.0-1", 1},
		{"3.0.7-25.el9_3", "3.0.7-27.el9", -1},
		{"1.0~rc1-1", "1.0-1", -1},
		{"1.0^git1-1", "1.0-1", 1},
		{"1.0^git1-1", "1.0.1-1", -1},
		{"1.0a-1", "1.0-1", 1},
		{"1.0.a", "1.0.1", -1},
		{"2.02-150.el8", "2.2-1.el8", 0 + 1},
		{"5.1.8", "5.1.8-6.el9", 0},
		{"1.10-1", "1.9-1", 1},
	})
}

func TestCompareSemver(t *testing.T) {
	runCases(t, "semver", CompareSemver, []vcase{
		{"1.2.3", "v1.2.3", 0},
		{"1.2.3", "1.2.4", -1},
		{"1.10.0", "1.9.9", 1},
		{"1.0.0-alpha", "1.0.0", -1},
		{"1.0.0-alpha", "1.0.0-alpha.1", -1},
		{"1.0.0-alpha.1", "1.0.0-alpha.beta", -1},
		{"1.0.0-beta.2", "1.0.0-beta.11", -1},
		{"1.0.0-rc.1", "1.0.0", -1},
		{"1.0.0+build.1", "1.0.0", 0},
		{"1.2", "1.2.0", 0},
		{"v0.0.0-20210911072402-73bd0ce46c49", "v0.0.0-20230101000000-aaaaaaaaaaaa", -1},
		{"v1.62.0", "v1.61.1", 1},
	})
}

func TestComparePEP440(t *testing.T) {
	runCases(t, "pep440", ComparePEP440, []vcase{
		{"1.0", "1.0.0", 0},
		{"1.0.dev1", "1.0a1", -1},
		{"1.0a1", "1.0b1", -1},
		{"1.0b2", "1.0rc1", -1},
		{"1.0rc1", "1.0", -1},
		{"1.0", "1.0.post1", -1},
		{"1.0.post1.dev1", "1.0.post1", -1},
		{"1.0a1.dev1", "1.0a1", -1},
		{"1.0-1", "1.0.post1", 0},
		{"1.0alpha1", "1.0a1", 0},
		{"1.0c1", "1.0rc1", 0},
		{"1!0.5", "2.0", 1},
		{"1.0+local.1", "1.0", 1},
		{"2.31.0", "2.4.0", 1},
		{"6.0.1", "6.0", 1},
		{"1.0.dev1", "1.0", -1},
	})
}

func TestCompareMaven(t *testing.T) {
	runCases(t, "maven", CompareMaven, []vcase{
		{"2.14.1", "2.15.0", -1},
		{"2.17.0", "2.17", 0},
		{"1.0-alpha-1", "1.0", -1},
		{"1.0-beta-1", "1.0-alpha-1", 1},
		{"1.0-rc1", "1.0", -1},
		{"1.0-SNAPSHOT", "1.0", -1},
		{"1.0-rc1", "1.0-SNAPSHOT", -1},
		{"1.0.Final", "1.0", 0},
		{"1.0-sp1", "1.0", 1},
		{"2.0", "1.9.9", 1},
	})
}

func TestCompareDispatch(t *testing.T) {
	for _, c := range []struct {
		eco, a, b string
		want      int
	}{
		{"Debian:12", "1.0~rc1", "1.0", -1},
		{"Alpine:v3.19", "1.0_rc1", "1.0", -1},
		{"Rocky Linux:9", "1.0^a", "1.0", 1},
		{"PyPI", "1.0.dev1", "1.0a1", -1},
		{"npm", "1.0.0-rc.1", "1.0.0", -1},
		{"Go", "v1.2.3", "1.2.4", -1},
	} {
		if got := Compare(c.eco, c.a, c.b); got != c.want {
			t.Errorf("Compare(%s, %s, %s) = %d", c.eco, c.a, c.b, got)
		}
	}
}

func TestCVSS3(t *testing.T) {
	for _, c := range []struct {
		vector string
		want   float64
	}{
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1},
		{"CVSS:3.0/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N", 5.5},
		{"CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N", 5.9},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0},
	} {
		got, err := CVSS3Score(c.vector)
		if err != nil || got != c.want {
			t.Errorf("CVSS3Score(%s) = %v, %v, want %v", c.vector, got, err, c.want)
		}
	}
	if _, err := CVSS3Score("CVSS:3.1/AV:X"); err == nil {
		t.Error("want an error for a bad vector")
	}
}
