package check

import (
	"fmt"
	"path"

	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/rule"
)

// ImageChecks returns the checks that look across the files of the image.
func ImageChecks() []*Check {
	return []*Check{PreloadHooksReaddir, ReaddirHookLibrary, TarPathTraversal}
}

// PreloadHooksReaddir reports a library listed in /etc/ld.so.preload that
// defines readdir.
var PreloadHooksReaddir = &Check{
	Meta: rule.Meta{
		ID:       "rootkit-preload-readdir-hook",
		Title:    "Preloaded library hooks readdir",
		Severity: rule.Critical,
		Category: rule.CategoryMalware,
		Doc: "A library that /etc/ld.so.preload loads into every process and that defines its own readdir or " +
			"readdir64 replaces libc's: it decides which files and /proc entries ls, ps and top get to see. That is " +
			"how userland rootkits such as libprocesshider hide a miner. The rule resolves each preload entry in the " +
			"image and reads the library's dynamic symbols.",
		Remediation: "Remove the image from every registry and cluster that runs it, and rebuild from a trusted base after finding how the rootkit got in.",
		References:  []framework.Ref{framework.MITRERef("T1014"), framework.MITRERef("T1574.006"), framework.MITRERef("T1525")},
	},
	Run: func(in *Input) []Finding {
		var out []Finding
		for _, pe := range in.Preload {
			lib := pe.Library
			resolved := lib
			if in.Index != nil {
				if r, _, _, err := in.Index.Resolve(lib); err == nil {
					resolved = r
				}
			}
			for _, h := range in.ReaddirHooks {
				if h.Path != lib && h.Path != resolved {
					continue
				}
				loc := in.Locate(h.Layer, h.Path)
				loc.Evidence = h.Symbol
				out = append(out, Finding{
					Message:  fmt.Sprintf("%s, listed in /etc/ld.so.preload (layer %d, line %d), defines %s", h.Path, pe.Layer, pe.Line, h.Symbol),
					Location: loc,
				})
				break
			}
		}
		return out
	},
}

// ReaddirHookLibrary reports shared objects other than a C library that
// define readdir.
var ReaddirHookLibrary = &Check{
	Meta: rule.Meta{
		ID:       "rootkit-readdir-hook-library",
		Title:    "Shared library that replaces readdir",
		Severity: rule.Medium,
		Category: rule.CategoryMalware,
		Doc: "Only the C library should define readdir and readdir64. Another shared object that exports them is " +
			"built to be preloaded (through LD_PRELOAD or /etc/ld.so.preload) and filter directory listings, the " +
			"core of userland rootkits. Known interposers that intercept the same functions for testing and " +
			"profiling (sanitizers, fakeroot, fakechroot, Valgrind, gprofng) are left out, and the finding is medium " +
			"unless /etc/ld.so.preload loads the library (see rootkit-preload-readdir-hook).",
		Remediation: "Find out which package or step installed the library, remove it and rebuild the image from a trusted base.",
		References:  []framework.Ref{framework.MITRERef("T1014"), framework.MITRERef("T1574.006")},
	},
	Run: func(in *Input) []Finding {
		var out []Finding
		for _, h := range in.ReaddirHooks {
			loc := in.Locate(h.Layer, h.Path)
			loc.Evidence = h.Symbol
			out = append(out, Finding{Message: fmt.Sprintf("%s defines %s", h.Path, h.Symbol), Location: loc})
		}
		return out
	},
}

// TarPathTraversal reports layer entries that climb out of the root.
var TarPathTraversal = &Check{
	Meta: rule.Meta{
		ID:       "layer-path-traversal",
		Title:    "Layer entry escapes the root",
		Severity: rule.High,
		Category: rule.CategoryMalware,
		Doc: "No image builder writes a layer entry named ../something or a hard link to one: such entries exist to " +
			"make naive extraction tools write outside their target directory, onto the host. Palisade never " +
			"extracts layers and skips these entries, and reports them because the image was crafted.",
		Remediation: "Do not run or extract the image; rebuild it from a trusted Dockerfile.",
		References:  []framework.Ref{framework.MITRERef("T1525"), framework.MITRERef("T1204.003")},
	},
	Run: func(in *Input) []Finding {
		var out []Finding
		for _, a := range in.Anomalies {
			loc := in.Locate(a.Layer, "")
			loc.Path, loc.Present = path.Clean(a.Name), false
			loc.Evidence = a.Name
			out = append(out, Finding{Message: fmt.Sprintf("layer %d has an entry %q: %s", a.Layer, a.Name, a.Detail), Location: loc})
		}
		return out
	},
}

// PackageRules returns the rules whose findings come from the
// vulnerability database.
func PackageRules() []*FileRule { return []*FileRule{VulnerablePackage, MaliciousPackage} }

// VulnerablePackage is the rule of known-vulnerable packages.
var VulnerablePackage = &FileRule{Meta: rule.Meta{
	ID:       "vulnerable-package",
	Title:    "Package with a known vulnerability",
	Severity: rule.Medium,
	Category: rule.CategoryVulnerability,
	Doc: "An installed package (distribution, Go, npm, PyPI or Maven) falls in the affected range of an OSV " +
		"advisory, compared with the ecosystem's own version ordering; distribution packages are matched by their " +
		"source package. The severity is the advisory's (CVSS or the database's rating) when it states one, " +
		"medium otherwise.",
	Remediation: "Upgrade the package to the fixed version the finding names, or to the latest release when none is named.",
	References:  []framework.Ref{framework.MITRERef("T1190"), framework.NSARef("upgrading")},
}}

// MaliciousPackage is the rule of known-malicious packages.
var MaliciousPackage = &FileRule{Meta: rule.Meta{
	ID:       "malicious-package",
	Title:    "Known malicious package",
	Severity: rule.Critical,
	Category: rule.CategoryMalware,
	Doc: "OSV publishes MAL- advisories for packages that were malicious when published: typosquats, hijacked " +
		"maintainer accounts and dependency-confusion payloads that steal credentials or open backdoors at install " +
		"or import time. An installed version in such an advisory means the code already ran during the build.",
	Remediation: "Remove the package, rebuild the image without it and rotate every credential the build or the running containers could reach.",
	References:  []framework.Ref{framework.MITRERef("T1195.001"), framework.MITRERef("T1204.003")},
}}
