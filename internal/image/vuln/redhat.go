package vuln

import "strings"

// Red Hat product streams.
//
// OSV files Red Hat advisories under "Red Hat:<CPE>", the CPE of the
// product stream that shipped the fix without its "cpe:/[oa]:redhat:"
// prefix: product, version and, after an empty update field, the
// repository ("Red Hat:enterprise_linux:9::appstream", "Red
// Hat:rhel_eus:9.2::baseos"). A RHEL image's packages name the installed
// release instead, "Red Hat:enterprise_linux:9.3" (see redhat.go in
// internal/image/sbom), and os-release cannot say which repository a
// package came from.

// rhelMajorStreams are the products whose streams follow one major release
// as it moves from minor release to minor release: a fix filed under them
// applies to every image of that major release, the version comparison
// tells whether the installed package has it. enterprise_linux is the
// mainline (":8::baseos", ":9::appstream", or ":10.1" since RHEL 10, whose
// mainline streams name a minor release too); rhel_els is the
// Extended Life-cycle Support that continues a major release past its end
// of maintenance ("rhel_els:7"). As with SUSE's LTSS products, an image
// without those fixes is exposed whether or not its owner subscribed.
var rhelMajorStreams = map[string]bool{
	"enterprise_linux": true,
	"rhel_els":         true,
}

// rhelMinorStreams are the products whose streams keep one minor release
// alive after the mainline has moved on: Extended Update Support, Advanced
// Update Support, Update Services for SAP Solutions and Telecommunications
// Update Service ("rhel_eus:9.2::baseos", "rhel_aus:8.4::baseos",
// "rhel_e4s:9.0::appstream", "rhel_tus:8.6::baseos"), spelled
// enterprise_linux_eus and the like since RHEL 10 ("enterprise_linux_eus:
// 10.0"; OSV's data shows that one, the other RHEL 10 spellings are listed
// on the same pattern). Their fixes are branches of that minor release
// (2.34-60.el9_2.14) and say nothing about later ones: a RHEL 9.4 package
// older than that version may have the fix under a mainline version of its
// own. So they apply to images of that minor release only.
var rhelMinorStreams = map[string]bool{
	"rhel_eus":             true,
	"rhel_aus":             true,
	"rhel_e4s":             true,
	"rhel_tus":             true,
	"enterprise_linux_eus": true,
	"enterprise_linux_aus": true,
	"enterprise_linux_e4s": true,
	"enterprise_linux_tus": true,
}

// redHatStreamApplies reports whether an advisory filed under the Red Hat
// product stream adv applies to a package of ecosystem pkg, a RHEL image's
// "Red Hat:enterprise_linux:<VERSION_ID>": a mainline or ELS stream of the
// same major release, or an EUS, AUS, E4S or TUS stream of the same major
// and minor release.
//
// Other products never apply, though many are filed per RHEL release
// ("Red Hat:openshift:4.14::el9", "Red Hat:satellite:6.13::el8"): they ship
// their own builds, from their own repositories, of packages that RHEL
// ships too (OpenShift's runc, for one), so RHEL's build of the same name
// would be compared against another product's version line. Mainline
// advisories apply to an image of an older minor release, which is exposed
// until it is updated; an image kept on an EUS stream may therefore be
// reported for a mainline fix that its stream shipped at another version.
func redHatStreamApplies(adv, pkg string) bool {
	product, release := redHatCPE(pkg)
	major, minor, _ := strings.Cut(release, ".")
	if product != "enterprise_linux" || major == "" {
		return false
	}
	advProduct, advRelease := redHatCPE(adv)
	advMajor, advMinor, _ := strings.Cut(advRelease, ".")
	switch {
	case advMajor != major:
		return false
	case rhelMajorStreams[advProduct]:
		return true
	case rhelMinorStreams[advProduct]:
		return advMinor != "" && advMinor == minor
	}
	return false
}

// redHatCPE returns the product and version of a Red Hat ecosystem:
// "rhel_eus" and "9.2" of "Red Hat:rhel_eus:9.2::baseos"; empty strings
// when there are none.
func redHatCPE(eco string) (product, version string) {
	rest, ok := strings.CutPrefix(eco, "Red Hat:")
	if !ok {
		return "", ""
	}
	product, rest, _ = strings.Cut(rest, ":")
	version, _, _ = strings.Cut(rest, ":")
	return product, version
}
