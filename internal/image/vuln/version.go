package vuln

import (
	"math/big"
	"strings"
)

// Compare orders two versions of a package of the given OSV ecosystem
// (the part before any ":"), returning -1, 0 or +1, with that ecosystem's
// own rules: dpkg for Debian and Ubuntu, apk for Alpine, Wolfi and
// Chainguard, rpm for the RPM distributions, PEP 440 for PyPI, Maven's for
// Maven, and semantic versioning for Go, npm and everything else.
func Compare(ecosystem, a, b string) int {
	base, _, _ := strings.Cut(ecosystem, ":")
	switch base {
	case "Debian", "Ubuntu":
		return CompareDpkg(a, b)
	case "Alpine", "Wolfi", "Chainguard":
		return CompareApk(a, b)
	case "Red Hat", "Rocky Linux", "AlmaLinux", "openSUSE", "SUSE", "Mageia", "openEuler",
		"Fedora", "CentOS", "CentOS Stream", "Amazon Linux", "Oracle Linux":
		// The last five are Palisade's names for rpm distributions
		// that OSV has no ecosystem for (see redhat.go in
		// internal/image/sbom): advisories filed under them come from
		// the user's own data, if at all.
		return CompareRPM(a, b)
	case "PyPI":
		return ComparePEP440(a, b)
	case "Maven":
		return CompareMaven(a, b)
	}
	return CompareSemver(a, b)
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

// cmpNum compares two strings of decimal digits of any length.
func cmpNum(a, b string) int {
	a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		return sign(len(a) - len(b))
	}
	return strings.Compare(a, b)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// --- dpkg ---

// CompareDpkg compares Debian versions [epoch:]upstream[-revision] as
// dpkg --compare-versions does.
func CompareDpkg(a, b string) int {
	ea, ua, ra := splitDpkg(a)
	eb, ub, rb := splitDpkg(b)
	if c := cmpNum(ea, eb); c != 0 {
		return c
	}
	if c := verrevcmp(ua, ub); c != 0 {
		return c
	}
	return verrevcmp(ra, rb)
}

func splitDpkg(v string) (epoch, upstream, revision string) {
	epoch = "0"
	if e, rest, ok := strings.Cut(v, ":"); ok && e != "" && strings.Trim(e, "0123456789") == "" {
		epoch, v = e, rest
	}
	if i := strings.LastIndexByte(v, '-'); i >= 0 {
		return epoch, v[:i], v[i+1:]
	}
	return epoch, v, ""
}

// dpkgOrder ranks a character in the non-digit parts: ~ sorts before
// everything, even the end of the part, and letters before other
// characters.
func dpkgOrder(c int) int {
	switch {
	case c == '~':
		return -1
	case c == 0:
		return 0
	case ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z'):
		return c
	}
	return c + 256
}

func verrevcmp(a, b string) int {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		diff := 0
		for (i < len(a) && !isDigit(a[i])) || (j < len(b) && !isDigit(b[j])) {
			ac, bc := 0, 0
			if i < len(a) && !isDigit(a[i]) {
				ac = dpkgOrder(int(a[i]))
			}
			if j < len(b) && !isDigit(b[j]) {
				bc = dpkgOrder(int(b[j]))
			}
			if ac != bc {
				return sign(ac - bc)
			}
			i++
			j++
		}
		si := i
		for i < len(a) && isDigit(a[i]) {
			i++
		}
		sj := j
		for j < len(b) && isDigit(b[j]) {
			j++
		}
		if diff = cmpNum(a[min(si, len(a)):min(i, len(a))], b[min(sj, len(b)):min(j, len(b))]); diff != 0 {
			return diff
		}
	}
	return 0
}

// --- rpm ---

// CompareRPM compares RPM versions [epoch:]version[-release] as rpm's
// rpmvercmp does, with ~ (pre-release) and ^ (post-release snapshot).
func CompareRPM(a, b string) int {
	ea, va, ra := splitRPM(a)
	eb, vb, rb := splitRPM(b)
	if c := cmpNum(ea, eb); c != 0 {
		return c
	}
	if c := rpmvercmp(va, vb); c != 0 {
		return c
	}
	if ra == "" || rb == "" {
		return 0 // a version without release matches every release
	}
	return rpmvercmp(ra, rb)
}

func splitRPM(v string) (epoch, version, release string) {
	epoch = "0"
	if e, rest, ok := strings.Cut(v, ":"); ok && strings.Trim(e, "0123456789") == "" && e != "" {
		epoch, v = e, rest
	}
	if i := strings.LastIndexByte(v, '-'); i >= 0 {
		return epoch, v[:i], v[i+1:]
	}
	return epoch, v, ""
}

func isAlnum(c byte) bool { return isDigit(c) || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') }

func rpmvercmp(a, b string) int {
	if a == b {
		return 0
	}
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		for i < len(a) && !isAlnum(a[i]) && a[i] != '~' && a[i] != '^' {
			i++
		}
		for j < len(b) && !isAlnum(b[j]) && b[j] != '~' && b[j] != '^' {
			j++
		}
		// Tilde sorts before everything, even the end.
		at, bt := i < len(a) && a[i] == '~', j < len(b) && b[j] == '~'
		if at || bt {
			if !at {
				return 1
			}
			if !bt {
				return -1
			}
			i++
			j++
			continue
		}
		// Caret sorts after the end but before anything else.
		ac, bc := i < len(a) && a[i] == '^', j < len(b) && b[j] == '^'
		if ac || bc {
			if i >= len(a) {
				return -1
			}
			if j >= len(b) {
				return 1
			}
			if !ac {
				return 1
			}
			if !bc {
				return -1
			}
			i++
			j++
			continue
		}
		if i >= len(a) || j >= len(b) {
			break
		}
		si, sj := i, j
		numeric := isDigit(a[i])
		if numeric {
			for i < len(a) && isDigit(a[i]) {
				i++
			}
			for j < len(b) && isDigit(b[j]) {
				j++
			}
		} else {
			for i < len(a) && isAlnum(a[i]) && !isDigit(a[i]) {
				i++
			}
			for j < len(b) && isAlnum(b[j]) && !isDigit(b[j]) {
				j++
			}
		}
		if sj == j {
			// Segments of different types: numeric is newer.
			if numeric {
				return 1
			}
			return -1
		}
		var c int
		if numeric {
			c = cmpNum(a[si:i], b[sj:j])
		} else {
			c = strings.Compare(a[si:i], b[sj:j])
		}
		if c != 0 {
			return c
		}
	}
	switch {
	case i >= len(a) && j >= len(b):
		return 0
	case i >= len(a):
		return -1
	}
	return 1
}

// --- apk ---

// apkSuffixes orders Alpine's version suffixes; "" is a release.
var apkSuffixes = map[string]int{"alpha": -4, "beta": -3, "pre": -2, "rc": -1, "": 0, "cvs": 1, "svn": 2, "git": 3, "hg": 4, "p": 5}

type apkVersion struct {
	nums     []string
	letter   byte
	suffixes []struct {
		rank int
		num  string
	}
	rev string
}

func parseApk(v string) apkVersion {
	var out apkVersion
	if i := strings.LastIndex(v, "-r"); i >= 0 {
		out.rev, v = v[i+2:], v[:i]
	}
	main, suffix, _ := strings.Cut(v, "_")
	for _, n := range strings.Split(main, ".") {
		if n == "" {
			continue
		}
		if c := n[len(n)-1]; !isDigit(c) {
			out.letter = c
			n = n[:len(n)-1]
		}
		out.nums = append(out.nums, n)
	}
	for suffix != "" {
		var s string
		s, suffix, _ = strings.Cut(suffix, "_")
		name := strings.TrimRight(s, "0123456789")
		rank, ok := apkSuffixes[name]
		if !ok {
			rank = 0
		}
		out.suffixes = append(out.suffixes, struct {
			rank int
			num  string
		}{rank, s[len(name):]})
	}
	return out
}

// CompareApk compares Alpine package versions: dot-separated numbers, an
// optional letter, suffixes (_alpha < _beta < _pre < _rc < none < _cvs <
// _svn < _git < _hg < _p) and the package revision -rN.
func CompareApk(a, b string) int {
	va, vb := parseApk(a), parseApk(b)
	for i := 0; i < max(len(va.nums), len(vb.nums)); i++ {
		switch {
		case i >= len(va.nums):
			return -1
		case i >= len(vb.nums):
			return 1
		}
		var c int
		if i == 0 {
			c = cmpNum(va.nums[i], vb.nums[i])
		} else {
			c = cmpApkFraction(va.nums[i], vb.nums[i])
		}
		if c != 0 {
			return c
		}
	}
	if va.letter != vb.letter {
		return sign(int(va.letter) - int(vb.letter))
	}
	for i := 0; i < max(len(va.suffixes), len(vb.suffixes)); i++ {
		ra, rb := 0, 0
		na, nb := "", ""
		if i < len(va.suffixes) {
			ra, na = va.suffixes[i].rank, va.suffixes[i].num
		}
		if i < len(vb.suffixes) {
			rb, nb = vb.suffixes[i].rank, vb.suffixes[i].num
		}
		if ra != rb {
			return sign(ra - rb)
		}
		if c := cmpNum(na, nb); c != 0 {
			return c
		}
	}
	return cmpNum(va.rev, vb.rev)
}

// cmpApkFraction compares non-leading components the way apk does: with a
// leading zero, as decimal fractions.
func cmpApkFraction(a, b string) int {
	if strings.HasPrefix(a, "0") || strings.HasPrefix(b, "0") {
		return strings.Compare(strings.TrimRight(a, "0"), strings.TrimRight(b, "0"))
	}
	return cmpNum(a, b)
}

// --- semver ---

// CompareSemver compares semantic versions (a leading "v" and missing
// minor or patch numbers are accepted), with pre-release ordering and build
// metadata ignored. Versions that are not semver are compared as dotted
// mixed segments.
func CompareSemver(a, b string) int {
	a, b = strings.TrimPrefix(strings.TrimSpace(a), "v"), strings.TrimPrefix(strings.TrimSpace(b), "v")
	a, _, _ = strings.Cut(a, "+")
	b, _, _ = strings.Cut(b, "+")
	ca, pa, _ := strings.Cut(a, "-")
	cb, pb, _ := strings.Cut(b, "-")
	if c := cmpDotted(ca, cb); c != 0 {
		return c
	}
	switch {
	case pa == "" && pb == "":
		return 0
	case pa == "":
		return 1
	case pb == "":
		return -1
	}
	return cmpPrerelease(pa, pb)
}

func cmpDotted(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < max(len(as), len(bs)); i++ {
		x, y := "0", "0"
		if i < len(as) {
			x = as[i]
		}
		if i < len(bs) {
			y = bs[i]
		}
		if c := cmpMixed(x, y); c != 0 {
			return c
		}
	}
	return 0
}

// cmpMixed compares numerically when both are numbers, else as strings.
func cmpMixed(x, y string) int {
	if isNum(x) && isNum(y) {
		return cmpNum(x, y)
	}
	return strings.Compare(x, y)
}

func isNum(s string) bool { return s != "" && strings.Trim(s, "0123456789") == "" }

func cmpPrerelease(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < max(len(as), len(bs)); i++ {
		switch {
		case i >= len(as):
			return -1
		case i >= len(bs):
			return 1
		}
		x, y := as[i], bs[i]
		xn, yn := isNum(x), isNum(y)
		switch {
		case xn && yn:
			if c := cmpNum(x, y); c != 0 {
				return c
			}
		case xn:
			return -1
		case yn:
			return 1
		default:
			if c := strings.Compare(x, y); c != 0 {
				return c
			}
		}
	}
	return 0
}

// --- PEP 440 ---

type pep440 struct {
	epoch   *big.Int
	release []string
	// pre: phase -3 dev-only marker is handled by key below
	preKind int // -1 none; 0 a, 1 b, 2 rc
	preNum  string
	post    string // "" none
	hasPost bool
	dev     string
	hasDev  bool
	local   string
}

// parsePEP440 parses and normalises a Python version.
func parsePEP440(v string) pep440 {
	s := strings.ToLower(strings.TrimSpace(v))
	s = strings.TrimPrefix(s, "v")
	out := pep440{epoch: big.NewInt(0), preKind: -1}
	if e, rest, ok := strings.Cut(s, "!"); ok && isNum(e) {
		out.epoch.SetString(e, 10)
		s = rest
	}
	s, out.local, _ = strings.Cut(s, "+")
	i := 0
	for i < len(s) {
		j := i
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		if j == i {
			break
		}
		out.release = append(out.release, s[i:j])
		i = j
		if i < len(s) && s[i] == '.' && i+1 < len(s) && isDigit(s[i+1]) {
			i++
			continue
		}
		break
	}
	rest := s[i:]
	next := func() (string, string) {
		rest = strings.TrimLeft(rest, ".-_")
		k := 0
		for k < len(rest) && !isDigit(rest[k]) && rest[k] != '.' && rest[k] != '-' && rest[k] != '_' {
			k++
		}
		word := rest[:k]
		rest = strings.TrimLeft(rest[k:], ".-_")
		m := 0
		for m < len(rest) && isDigit(rest[m]) {
			m++
		}
		num := rest[:m]
		rest = rest[m:]
		return word, num
	}
	for rest != "" {
		before := rest
		if strings.HasPrefix(rest, "-") && len(rest) > 1 && isDigit(rest[1]) {
			// 1.0-1 is a post-release.
			rest = rest[1:]
			m := 0
			for m < len(rest) && isDigit(rest[m]) {
				m++
			}
			out.post, out.hasPost, rest = rest[:m], true, rest[m:]
			continue
		}
		word, num := next()
		switch word {
		case "a", "alpha":
			out.preKind, out.preNum = 0, num
		case "b", "beta":
			out.preKind, out.preNum = 1, num
		case "rc", "c", "pre", "preview":
			out.preKind, out.preNum = 2, num
		case "post", "rev", "r":
			out.post, out.hasPost = num, true
		case "dev":
			out.dev, out.hasDev = num, true
		}
		if rest == before {
			break
		}
	}
	return out
}

// ComparePEP440 compares Python versions as PEP 440 orders them:
// epoch, release (trailing zeros ignored), then dev releases before
// pre-releases before the release before post-releases, then local
// versions.
func ComparePEP440(a, b string) int {
	va, vb := parsePEP440(a), parsePEP440(b)
	if c := va.epoch.Cmp(vb.epoch); c != 0 {
		return c
	}
	if c := cmpRelease(va.release, vb.release); c != 0 {
		return c
	}
	if c := cmpPre(va, vb); c != 0 {
		return c
	}
	// Post-release: none < any post.
	switch {
	case va.hasPost && !vb.hasPost:
		return 1
	case !va.hasPost && vb.hasPost:
		return -1
	case va.hasPost:
		if c := cmpNum(va.post, vb.post); c != 0 {
			return c
		}
	}
	// Dev release: dev < none.
	switch {
	case va.hasDev && !vb.hasDev:
		return -1
	case !va.hasDev && vb.hasDev:
		return 1
	case va.hasDev:
		if c := cmpNum(va.dev, vb.dev); c != 0 {
			return c
		}
	}
	switch {
	case va.local == vb.local:
		return 0
	case va.local == "":
		return -1
	case vb.local == "":
		return 1
	}
	return cmpDotted(strings.NewReplacer("-", ".", "_", ".").Replace(va.local), strings.NewReplacer("-", ".", "_", ".").Replace(vb.local))
}

func cmpRelease(a, b []string) int {
	for i := 0; i < max(len(a), len(b)); i++ {
		x, y := "0", "0"
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if c := cmpNum(x, y); c != 0 {
			return c
		}
	}
	return 0
}

// preRank ranks the pre-release part: a dev release of the final version
// (1.0.dev1, no pre and no post) sorts before its pre-releases.
func preRank(v pep440) int {
	switch {
	case v.preKind >= 0:
		return v.preKind
	case v.hasDev && !v.hasPost:
		return -1
	}
	return 3
}

func cmpPre(a, b pep440) int {
	ra, rb := preRank(a), preRank(b)
	if ra != rb {
		return sign(ra - rb)
	}
	if a.preKind >= 0 {
		return cmpNum(a.preNum, b.preNum)
	}
	return 0
}

// --- Maven ---

// mavenQualifiers orders Maven's well-known qualifiers; unknown ones sort
// after them, alphabetically.
var mavenQualifiers = map[string]int{"alpha": 1, "a": 1, "beta": 2, "b": 2, "milestone": 3, "m": 3, "rc": 4, "cr": 4, "snapshot": 5, "": 6, "ga": 6, "final": 6, "release": 6, "sp": 7}

// CompareMaven compares Maven versions in the manner of Maven's
// ComparableVersion: numeric and qualifier items split at dots, dashes and
// transitions between digits and letters, trailing zeros and release
// qualifiers ignored.
func CompareMaven(a, b string) int {
	ia, ib := mavenItems(a), mavenItems(b)
	for i := 0; i < max(len(ia), len(ib)); i++ {
		x, y := "", ""
		if i < len(ia) {
			x = ia[i]
		}
		if i < len(ib) {
			y = ib[i]
		}
		xn, yn := isNum(x), isNum(y)
		switch {
		case xn && yn:
			if c := cmpNum(x, y); c != 0 {
				return c
			}
		case xn: // number vs qualifier or end
			if y == "" {
				if c := cmpNum(x, "0"); c != 0 {
					return c
				}
				continue
			}
			return 1
		case yn:
			if x == "" {
				if c := cmpNum("0", y); c != 0 {
					return c
				}
				continue
			}
			return -1
		default:
			rx, okx := mavenQualifiers[x]
			ry, oky := mavenQualifiers[y]
			switch {
			case okx && oky:
				if rx != ry {
					return sign(rx - ry)
				}
			case okx:
				return -1
			case oky:
				return 1
			default:
				if c := strings.Compare(x, y); c != 0 {
					return c
				}
			}
		}
	}
	return 0
}

func mavenItems(v string) []string {
	v = strings.ToLower(v)
	var items []string
	cur := ""
	flush := func() {
		items = append(items, cur)
		cur = ""
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == '.' || c == '-' || c == '_' {
			flush()
			continue
		}
		if cur != "" && isDigit(c) != isDigit(cur[len(cur)-1]) {
			flush()
		}
		cur += string(c)
	}
	flush()
	// Drop trailing zeros and release qualifiers.
	for len(items) > 0 {
		last := items[len(items)-1]
		if (isNum(last) && strings.Trim(last, "0") == "") || last == "" || last == "ga" || last == "final" || last == "release" {
			items = items[:len(items)-1]
			continue
		}
		break
	}
	return items
}
