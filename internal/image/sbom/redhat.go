package sbom

import "strings"

// Red Hat Enterprise Linux and the other rpm distributions.
//
// OSV files Red Hat advisories under "Red Hat:<CPE>", the CPE of the
// product stream that shipped the fix without its "cpe:/o:redhat:" or
// "cpe:/a:redhat:" prefix (the Red Hat entry of the OSV schema's
// ecosystems.json): "Red Hat:enterprise_linux:9::appstream", "Red
// Hat:enterprise_linux:8::baseos", "Red Hat:rhel_eus:9.2::baseos", and
// since RHEL 10, whose streams carry the minor release,
// "Red Hat:enterprise_linux:10.1" or "Red Hat:enterprise_linux_eus:10.0".
// An image is not a stream: os-release gives its release (ID "rhel",
// VERSION_ID "9.3", for RHEL and the UBI images alike) and nothing records
// which repository each package came from. So the packages of a RHEL image
// get "Red Hat:enterprise_linux:<VERSION_ID>", a CPE of the same shape
// naming the installed release ("Red Hat:enterprise_linux:9.3"), and the
// matcher decides which streams apply to that release (see
// redHatStreamApplies in internal/image/vuln). The minor release is kept
// because the Extended Update Support streams (rhel_eus:9.2 and the like)
// apply to one minor release only. A RHEL image without VERSION_ID gets the
// bare "Red Hat", which only release-less advisories match.
//
// AlmaLinux and Rocky Linux have ecosystems of their own, one per major
// release ("AlmaLinux:9", "Rocky Linux:9": a numeric release, the AlmaLinux
// and Rocky Linux entries of ecosystems.json). Other rpm distributions have
// none in OSV (not in ecosystems.json, nor among the ecosystems osv.dev
// knows): Fedora, CentOS Linux and CentOS Stream, Amazon Linux, Oracle
// Linux. Red Hat's advisories are about Red Hat's builds; whether, when and
// at which version another distribution ships a fix is its own business
// (CentOS Stream runs ahead of RHEL, Fedora and Amazon Linux 2023 follow
// version lines of their own, Oracle Linux rebuilds with its own release
// tags). So their packages get an ecosystem of their own, named after the
// os-release ID ("Fedora:40", "CentOS Stream:9", "Amazon Linux:2023",
// "Oracle Linux:9"): they stay in the SBOM, and no Red Hat advisory is
// reported against them; with OSV's data as it is, they get no
// vulnerability findings at all. Unknown rpm distributions are named
// "<ID>:<VERSION_ID>".

// redHatEcosystem returns the ecosystem of a RHEL or UBI image's packages.
func redHatEcosystem(os *OS) string {
	if os.VersionID == "" {
		return "Red Hat"
	}
	return "Red Hat:enterprise_linux:" + os.VersionID
}

// rpmDistribution is how an rpm distribution without an OSV ecosystem is
// named.
type rpmDistribution struct {
	name string
	// major keeps only the major release of VERSION_ID: Oracle Linux
	// "9.3" is "Oracle Linux:9", as AlmaLinux and Rocky Linux are named.
	major bool
}

// rpmDistributions are the rpm distributions that OSV has no ecosystem
// for, by os-release ID. CentOS Stream says ID "centos" too; its
// PRETTY_NAME tells it from CentOS Linux.
var rpmDistributions = map[string]rpmDistribution{
	"fedora": {name: "Fedora"},       // VERSION_ID "40"
	"centos": {name: "CentOS"},       // "7", "8"; CentOS Stream "9"
	"amzn":   {name: "Amazon Linux"}, // "2", "2023"
	"ol":     {name: "Oracle Linux", major: true},
}

// otherRPMEcosystem returns the ecosystem of an rpm distribution that OSV
// files nothing under: a name of its own, which no advisory in OSV's data
// carries.
func otherRPMEcosystem(os *OS) string {
	d, ok := rpmDistributions[os.ID]
	if !ok {
		d.name = os.ID
	}
	if os.ID == "centos" && strings.HasPrefix(os.Name, "CentOS Stream") {
		d.name = "CentOS Stream"
	}
	v := os.VersionID
	if d.major {
		v = majorOf(v)
	}
	if v == "" {
		return d.name
	}
	return d.name + ":" + v
}

// majorOf returns the major release of a VERSION_ID: "9" of "9.3".
func majorOf(v string) string { m, _, _ := strings.Cut(v, "."); return m }
