// Package sbom finds the software installed in an image and writes it as
// CycloneDX 1.5 or SPDX 2.3 JSON.
//
// Parsers look at one file at a time, as the layer walk hands them over:
// the dpkg database (/var/lib/dpkg/status, and distroless images'
// /var/lib/dpkg/status.d/), the apk database (/lib/apk/db/installed), the
// rpm database (see rpm.go), Go binaries (their embedded build
// information), npm packages (package.json under node_modules), Python
// distributions (.dist-info/METADATA, .egg-info/PKG-INFO) and Java archives
// (pom.properties and MANIFEST.MF, nested archives included). Which files
// count is decided on the merged filesystem afterwards: a database that a
// later layer replaced or deleted describes nothing that is installed.
package sbom

import (
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"
)

// Package is one installed package.
type Package struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	// Type is the purl type: deb, apk, rpm, golang, npm, pypi, maven.
	Type string `json:"type"`
	// Ecosystem is the OSV ecosystem, such as "Debian:12", "Alpine:v3.19",
	// "SUSE:Linux Enterprise Server 15 SP3", "Rocky Linux:9", "Go", "npm",
	// "PyPI" or "Maven". RHEL packages name their release in the shape of
	// a Red Hat product stream ("Red Hat:enterprise_linux:9.3"), and rpm
	// distributions that OSV has no ecosystem for get one of their own
	// ("Fedora:40"); see redhat.go.
	Ecosystem string `json:"ecosystem"`
	// Source and SourceVersion name the source package that built a
	// binary distribution package (Debian Source, Alpine origin, RPM
	// source RPM); advisories for Debian and Alpine are filed under it.
	Source        string `json:"source,omitempty"`
	SourceVersion string `json:"sourceVersion,omitempty"`
	// Namespace is a Maven group ID or the distribution ID.
	Namespace string   `json:"namespace,omitempty"`
	Arch      string   `json:"arch,omitempty"`
	Licenses  []string `json:"licenses,omitempty"`
	PURL      string   `json:"purl"`
	// Path is the file the package was found in.
	Path string `json:"path"`
	// Layer is the index of the layer holding that file.
	Layer int `json:"layer"`
	// Epoch is the RPM epoch, when set.
	Epoch int `json:"epoch,omitempty"`
}

// Found is what the parsers found in one file.
type Found struct {
	Path     string    `json:"path"`
	Packages []Package `json:"packages,omitempty"`
	// Owned lists files that a package database says a package installed
	// (dpkg .list files, apk R: lines).
	Owned []string `json:"owned,omitempty"`
	// OS is set from os-release files.
	OS *OS `json:"os,omitempty"`
}

// OS is the distribution an image is built on, as os-release describes
// it.
type OS struct {
	ID        string `json:"id"`
	VersionID string `json:"versionId"`
	// Name is PRETTY_NAME, optional.
	Name string `json:"name,omitempty"`
	// IDLike is ID_LIKE, the distributions this one derives from,
	// optional.
	IDLike []string `json:"idLike,omitempty"`
}

// Kind says what a parser needs of a file.
type Kind int

// Kinds of file.
const (
	None Kind = iota
	// Content: the parser needs the whole file in memory.
	Content
	// Binary: the file may be a Go binary; the caller tries it when it
	// is an executable (ELF, Mach-O, PE).
	Binary
)

// Wants says whether a file at p may describe packages.
func Wants(p string) Kind {
	base := path.Base(p)
	dir := path.Dir(p)
	switch {
	case p == "/var/lib/dpkg/status" || p == "/lib/apk/db/installed" || p == "/etc/os-release" || p == "/usr/lib/os-release":
		return Content
	case dir == "/var/lib/dpkg/status.d" && !strings.HasSuffix(base, ".md5sums"):
		return Content
	case dir == "/var/lib/dpkg/info" && strings.HasSuffix(base, ".list"):
		return Content
	case isRPMDB(p):
		return Content
	case base == "package.json" && strings.Contains(p, "/node_modules/"):
		return Content
	case base == "METADATA" && strings.HasSuffix(dir, ".dist-info"):
		return Content
	case base == "PKG-INFO" && strings.HasSuffix(dir, ".egg-info"):
		return Content
	case strings.HasSuffix(base, ".egg-info") && !strings.Contains(base, "/"):
		return Content
	case strings.HasSuffix(base, ".jar") || strings.HasSuffix(base, ".war") || strings.HasSuffix(base, ".ear"):
		return Content
	}
	return Binary
}

// Parse reads the packages described by the file at p in layer.
func Parse(p string, layer int, content []byte) (*Found, error) {
	f := &Found{Path: p}
	var err error
	base := path.Base(p)
	dir := path.Dir(p)
	switch {
	case p == "/etc/os-release" || p == "/usr/lib/os-release":
		f.OS = parseOSRelease(content)
	case p == "/var/lib/dpkg/status" || dir == "/var/lib/dpkg/status.d":
		f.Packages = parseDpkg(content)
	case dir == "/var/lib/dpkg/info" && strings.HasSuffix(base, ".list"):
		f.Owned = parseLines(content)
	case p == "/lib/apk/db/installed":
		f.Packages, f.Owned = parseApk(content)
	case isRPMDB(p):
		f.Packages, err = parseRPMDB(p, content)
	case base == "package.json":
		f.Packages = parseNpm(content)
	case base == "METADATA" || base == "PKG-INFO" || strings.HasSuffix(base, ".egg-info"):
		f.Packages = parsePython(content)
	case strings.HasSuffix(base, ".jar") || strings.HasSuffix(base, ".war") || strings.HasSuffix(base, ".ear"):
		f.Packages, err = parseJava(p, content)
	default:
		f.Packages = parseGoBinary(content)
	}
	for i := range f.Packages {
		f.Packages[i].Path, f.Packages[i].Layer = p, layer
	}
	if len(f.Packages) == 0 && len(f.Owned) == 0 && f.OS == nil {
		return nil, err
	}
	return f, err
}

func parseLines(b []byte) []string {
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" && l != "/." {
			out = append(out, l)
		}
	}
	return out
}

func parseOSRelease(b []byte) *OS {
	os := &OS{}
	for _, l := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(l), "=")
		if !ok {
			continue
		}
		v = strings.Trim(v, `"'`)
		switch k {
		case "ID":
			os.ID = v
		case "VERSION_ID":
			os.VersionID = v
		case "PRETTY_NAME":
			os.Name = v
		case "ID_LIKE":
			os.IDLike = strings.Fields(v)
		}
	}
	if os.ID == "" {
		return nil
	}
	return os
}

// Finalize fills in what depends on the distribution (ecosystems and
// purls of OS packages), removes duplicates and sorts the packages.
func Finalize(pkgs []Package, os *OS) []Package {
	for i := range pkgs {
		p := &pkgs[i]
		switch p.Type {
		case "deb", "apk", "rpm":
			p.Ecosystem = osEcosystem(p.Type, os)
			if os != nil {
				p.Namespace = os.ID
			}
		}
		p.PURL = purl(p, os)
	}
	sort.SliceStable(pkgs, func(i, j int) bool {
		a, b := pkgs[i], pkgs[j]
		if a.Type != b.Type {
			return a.Type < b.Type
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		if a.Version != b.Version {
			return a.Version < b.Version
		}
		return a.Path < b.Path
	})
	out := pkgs[:0]
	seen := map[string]bool{}
	for _, p := range pkgs {
		k := p.PURL + "|" + p.Path
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, p)
	}
	return out
}

// osEcosystem returns the OSV ecosystem of a distribution package.
func osEcosystem(typ string, os *OS) string {
	if os == nil {
		// No os-release: the distribution is unknown, and these bare
		// names match only advisories that name no release.
		return map[string]string{"deb": "Debian", "apk": "Alpine", "rpm": "Red Hat"}[typ]
	}
	if isSUSE(os) {
		// Before the rpm fallback below: SUSE derivatives are known by
		// ID_LIKE, not only by ID.
		return suseEcosystem(os)
	}
	switch os.ID {
	case "debian":
		return "Debian:" + majorOf(os.VersionID)
	case "ubuntu":
		return ubuntuEcosystem(os)
	case "alpine":
		parts := strings.Split(os.VersionID, ".")
		if len(parts) >= 2 {
			return "Alpine:v" + parts[0] + "." + parts[1]
		}
		return "Alpine"
	case "rocky":
		return "Rocky Linux:" + majorOf(os.VersionID)
	case "almalinux":
		return "AlmaLinux:" + majorOf(os.VersionID)
	case "rhel":
		return redHatEcosystem(os)
	case "wolfi":
		return "Wolfi"
	case "chainguard":
		return "Chainguard"
	}
	if typ == "rpm" {
		// Not "Red Hat": see redhat.go.
		return otherRPMEcosystem(os)
	}
	return map[string]string{"deb": "Debian", "apk": "Alpine"}[typ]
}

// ubuntuEcosystem names an Ubuntu release as OSV files Ubuntu's
// advisories: "Ubuntu:22.04:LTS" for a long-term support release,
// "Ubuntu:23.10" for an interim one. PRETTY_NAME says "LTS" on LTS
// releases; without it, the April releases of even years are the LTS ones.
func ubuntuEcosystem(os *OS) string {
	if os.VersionID == "" {
		return "Ubuntu"
	}
	e := "Ubuntu:" + os.VersionID
	year, month, _ := strings.Cut(os.VersionID, ".")
	y, err := strconv.Atoi(year)
	if strings.Contains(os.Name, " LTS") || (os.Name == "" && err == nil && y%2 == 0 && month == "04") {
		e += ":LTS"
	}
	return e
}

// purl builds the package URL (github.com/package-url/purl-spec).
func purl(p *Package, os *OS) string {
	esc := func(s string) string {
		return strings.NewReplacer("+", "%2B", "@", "%40").Replace(url.PathEscape(s))
	}
	var b strings.Builder
	b.WriteString("pkg:" + p.Type + "/")
	var q []string
	switch p.Type {
	case "deb", "apk", "rpm":
		ns := p.Namespace
		if ns == "" {
			ns = map[string]string{"deb": "debian", "apk": "alpine", "rpm": "redhat"}[p.Type]
		}
		b.WriteString(esc(ns) + "/")
		if p.Arch != "" {
			q = append(q, "arch="+esc(p.Arch))
		}
		if p.Epoch > 0 {
			q = append(q, "epoch="+itoa(p.Epoch))
		}
		if os != nil && os.VersionID != "" {
			q = append(q, "distro="+esc(os.ID+"-"+os.VersionID))
		}
	case "maven":
		b.WriteString(esc(p.Namespace) + "/")
	case "golang":
		// The module path is namespace/name; keep its slashes.
		parts := strings.Split(p.Name, "/")
		for i := range parts {
			parts[i] = esc(parts[i])
		}
		b.WriteString(strings.Join(parts, "/"))
		if p.Version != "" {
			b.WriteString("@" + esc(p.Version))
		}
		return b.String()
	case "npm":
		if scope, name, ok := strings.Cut(p.Name, "/"); ok && strings.HasPrefix(scope, "@") {
			b.WriteString(esc(scope) + "/" + esc(name))
			if p.Version != "" {
				b.WriteString("@" + esc(p.Version))
			}
			return b.String()
		}
	case "pypi":
		name := strings.ToLower(strings.ReplaceAll(p.Name, "_", "-"))
		b.WriteString(esc(name))
		if p.Version != "" {
			b.WriteString("@" + esc(p.Version))
		}
		return b.String()
	}
	b.WriteString(esc(p.Name))
	if p.Version != "" {
		b.WriteString("@" + esc(p.Version))
	}
	if len(q) > 0 {
		b.WriteString("?" + strings.Join(q, "&"))
	}
	return b.String()
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var d []byte
	for ; n > 0; n /= 10 {
		d = append([]byte{byte('0' + n%10)}, d...)
	}
	return string(d)
}
