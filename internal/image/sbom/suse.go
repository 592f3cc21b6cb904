package sbom

import (
	"strconv"
	"strings"
)

// SUSE and openSUSE ecosystems.
//
// OSV files SUSE advisories under "SUSE:<product>" and openSUSE ones under
// "openSUSE:<product>", where the product is the marketing name that
// os-release's PRETTY_NAME carries without the vendor word: "SUSE Linux
// Enterprise Server 15 SP3" is "SUSE:Linux Enterprise Server 15 SP3",
// "openSUSE Leap 15.5" is "openSUSE:Leap 15.5" and "openSUSE Tumbleweed" is
// "openSUSE:Tumbleweed" (the SUSE and openSUSE entries of the OSV schema's
// ecosystems.json). Which advisories apply to which product is the
// matcher's business; see ecosystemApplies in internal/image/vuln.

// suseProduct is a SUSE distribution's os-release ID, with the OSV
// ecosystem family and product name it is filed under.
type suseProduct struct {
	family, product string
	// servicePacks says VERSION_ID "15.3" means "15 SP3": true of the
	// SUSE Linux Enterprise products up to 15, not of SLE Micro ("5.5");
	// SLE 16 has no service packs ("16.0").
	servicePacks bool
	// rolling releases have no version in their ecosystem; VERSION_ID is
	// the snapshot date.
	rolling bool
}

// suseProducts lists the os-release IDs whose product names are known
// (the SLE BCI container images are "sles"). Other distributions that say
// ID_LIKE="suse" are named after their PRETTY_NAME.
var suseProducts = map[string]suseProduct{
	"sles":                {family: "SUSE", product: "Linux Enterprise Server", servicePacks: true},
	"sled":                {family: "SUSE", product: "Linux Enterprise Desktop", servicePacks: true},
	"sles_sap":            {family: "SUSE", product: "Linux Enterprise Server for SAP Applications", servicePacks: true},
	"sle_hpc":             {family: "SUSE", product: "Linux Enterprise High Performance Computing", servicePacks: true},
	"sle-micro":           {family: "SUSE", product: "Linux Enterprise Micro"},
	"sl-micro":            {family: "SUSE", product: "Linux Micro"},
	"opensuse-leap":       {family: "openSUSE", product: "Leap"},
	"opensuse-leap-micro": {family: "openSUSE", product: "Leap Micro"},
	"opensuse-tumbleweed": {family: "openSUSE", product: "Tumbleweed", rolling: true},
}

// isSUSE reports whether os is a SUSE or openSUSE distribution.
func isSUSE(os *OS) bool {
	if _, ok := suseProducts[os.ID]; ok {
		return true
	}
	for _, id := range append([]string{os.ID}, os.IDLike...) {
		if id == "suse" || id == "opensuse" || strings.HasPrefix(id, "opensuse-") {
			return true
		}
	}
	return false
}

// suseEcosystem returns the OSV ecosystem of a SUSE or openSUSE
// distribution: from its ID and VERSION_ID when the ID is a known product,
// else from its PRETTY_NAME, else the bare family.
func suseEcosystem(os *OS) string {
	if p, ok := suseProducts[os.ID]; ok {
		switch {
		case p.rolling:
			return p.family + ":" + p.product
		case os.VersionID != "":
			return p.family + ":" + p.product + " " + suseVersion(os.VersionID, p.servicePacks)
		}
	}
	for _, family := range []string{"openSUSE", "SUSE"} {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(os.Name), family+" "); ok && strings.TrimSpace(rest) != "" {
			return family + ":" + strings.TrimSpace(rest)
		}
	}
	if p, ok := suseProducts[os.ID]; ok {
		return p.family
	}
	if strings.HasPrefix(os.ID, "opensuse") {
		return "openSUSE"
	}
	return "SUSE"
}

// suseVersion writes VERSION_ID as SUSE's product names do: "15.3" is
// "15 SP3" and "15" or "15.0" is "15" in a code stream with service packs
// (12 and 15); elsewhere the version stays as it is ("5.5", "16.0").
func suseVersion(v string, servicePacks bool) string {
	major, minor, ok := strings.Cut(v, ".")
	if n, err := strconv.Atoi(major); !servicePacks || !ok || err != nil || n >= 16 {
		return v
	}
	if strings.TrimLeft(minor, "0") == "" {
		return major
	}
	return major + " SP" + minor
}
