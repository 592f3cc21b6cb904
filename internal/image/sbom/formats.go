package sbom

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Subject describes the image an SBOM is about.
type Subject struct {
	Name     string
	Digest   string
	Platform string
	OS       *OS
}

// Tool names the program writing the SBOM.
type Tool struct {
	Name, Version string
}

// Vulnerability is an advisory affecting one listed package, for the
// CycloneDX vulnerabilities section.
type Vulnerability struct {
	ID       string
	Severity string
	Summary  string
	Fixed    string
	// PURL and Path identify the affected package.
	PURL, Path string
}

// uuidOf derives a stable, name-based (version 5 style) UUID, so the same
// image gives the same document identifiers.
func uuidOf(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	h[6] = (h[6] & 0x0f) | 0x50
	h[8] = (h[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

func refOf(i int, p Package) string {
	return fmt.Sprintf("pkg-%d-%s", i+1, strings.Trim(regexp.MustCompile(`[^A-Za-z0-9.-]+`).ReplaceAllString(p.Name, "-"), "-"))
}

// WriteCycloneDX writes a CycloneDX 1.5 JSON BOM.
func WriteCycloneDX(w io.Writer, sub Subject, pkgs []Package, vulns []Vulnerability, tool Tool, now time.Time) error {
	type prop struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	}
	type license struct {
		License struct {
			Name string `json:"name"`
		} `json:"license"`
	}
	type component struct {
		BOMRef     string    `json:"bom-ref,omitempty"`
		Type       string    `json:"type"`
		Group      string    `json:"group,omitempty"`
		Name       string    `json:"name"`
		Version    string    `json:"version,omitempty"`
		PURL       string    `json:"purl,omitempty"`
		Licenses   []license `json:"licenses,omitempty"`
		Properties []prop    `json:"properties,omitempty"`
	}
	type rating struct {
		Severity string `json:"severity"`
	}
	type vuln struct {
		BOMRef string `json:"bom-ref"`
		ID     string `json:"id"`
		Source struct {
			Name string `json:"name"`
			URL  string `json:"url"`
		} `json:"source"`
		Ratings        []rating `json:"ratings,omitempty"`
		Description    string   `json:"description,omitempty"`
		Recommendation string   `json:"recommendation,omitempty"`
		Affects        []struct {
			Ref string `json:"ref"`
		} `json:"affects"`
	}
	doc := struct {
		BOMFormat    string `json:"bomFormat"`
		SpecVersion  string `json:"specVersion"`
		SerialNumber string `json:"serialNumber"`
		Version      int    `json:"version"`
		Metadata     struct {
			Timestamp string `json:"timestamp"`
			Tools     struct {
				Components []component `json:"components"`
			} `json:"tools"`
			Component component `json:"component"`
		} `json:"metadata"`
		Components      []component `json:"components"`
		Vulnerabilities []vuln      `json:"vulnerabilities,omitempty"`
	}{BOMFormat: "CycloneDX", SpecVersion: "1.5", Version: 1, Components: []component{}}
	doc.SerialNumber = "urn:uuid:" + uuidOf(sub.Name, sub.Digest)
	doc.Metadata.Timestamp = now.UTC().Format(time.RFC3339)
	doc.Metadata.Tools.Components = []component{{Type: "application", Name: tool.Name, Version: tool.Version}}
	doc.Metadata.Component = component{BOMRef: "image", Type: "container", Name: sub.Name, Version: sub.Digest}
	if sub.Platform != "" {
		doc.Metadata.Component.Properties = []prop{{Name: "palisade:image:platform", Value: sub.Platform}}
	}
	if sub.OS != nil {
		doc.Components = append(doc.Components, component{BOMRef: "os", Type: "operating-system", Name: sub.OS.ID, Version: sub.OS.VersionID})
	}
	refs := map[string]string{}
	for i, p := range pkgs {
		c := component{BOMRef: refOf(i, p), Type: "library", Name: p.Name, Version: p.Version, PURL: p.PURL}
		if p.Type == "maven" {
			c.Group = p.Namespace
		}
		for _, l := range p.Licenses {
			var lic license
			lic.License.Name = l
			c.Licenses = append(c.Licenses, lic)
		}
		c.Properties = []prop{{Name: "palisade:package:path", Value: p.Path}, {Name: "palisade:package:layer", Value: strconv.Itoa(p.Layer)}}
		if p.Source != "" && p.Source != p.Name {
			c.Properties = append(c.Properties, prop{Name: "palisade:package:source", Value: p.Source})
		}
		doc.Components = append(doc.Components, c)
		refs[p.PURL+"|"+p.Path] = c.BOMRef
	}
	for _, v := range vulns {
		ref, ok := refs[v.PURL+"|"+v.Path]
		if !ok {
			continue
		}
		var x vuln
		x.BOMRef = "vuln-" + v.ID + "-" + ref
		x.ID = v.ID
		x.Source.Name, x.Source.URL = "OSV", "https://osv.dev/vulnerability/"+v.ID
		if v.Severity != "" {
			x.Ratings = []rating{{Severity: v.Severity}}
		}
		x.Description = v.Summary
		if v.Fixed != "" {
			x.Recommendation = "Upgrade to " + v.Fixed + " or later."
		}
		x.Affects = append(x.Affects, struct {
			Ref string `json:"ref"`
		}{ref})
		doc.Vulnerabilities = append(doc.Vulnerabilities, x)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}

// spdxLicenseRE accepts simple SPDX license expressions; anything else is
// written as NOASSERTION rather than an invalid expression.
var spdxLicenseRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9.+-]*(?: (?:AND|OR|WITH) [A-Za-z0-9][A-Za-z0-9.+-]*)*$`)

var spdxIDChars = regexp.MustCompile(`[^A-Za-z0-9.-]+`)

// WriteSPDX writes an SPDX 2.3 JSON document: the image as the described
// package, containing one package per installed package.
func WriteSPDX(w io.Writer, sub Subject, pkgs []Package, tool Tool, now time.Time) error {
	type extRef struct {
		Category string `json:"referenceCategory"`
		Type     string `json:"referenceType"`
		Locator  string `json:"referenceLocator"`
	}
	type pkg struct {
		Name             string   `json:"name"`
		SPDXID           string   `json:"SPDXID"`
		VersionInfo      string   `json:"versionInfo,omitempty"`
		DownloadLocation string   `json:"downloadLocation"`
		FilesAnalyzed    bool     `json:"filesAnalyzed"`
		LicenseConcluded string   `json:"licenseConcluded"`
		LicenseDeclared  string   `json:"licenseDeclared"`
		CopyrightText    string   `json:"copyrightText"`
		SourceInfo       string   `json:"sourceInfo,omitempty"`
		PrimaryPurpose   string   `json:"primaryPackagePurpose,omitempty"`
		ExternalRefs     []extRef `json:"externalRefs,omitempty"`
	}
	type rel struct {
		Element string `json:"spdxElementId"`
		Type    string `json:"relationshipType"`
		Related string `json:"relatedSpdxElement"`
	}
	doc := struct {
		SPDXVersion       string `json:"spdxVersion"`
		DataLicense       string `json:"dataLicense"`
		SPDXID            string `json:"SPDXID"`
		Name              string `json:"name"`
		DocumentNamespace string `json:"documentNamespace"`
		CreationInfo      struct {
			Created  string   `json:"created"`
			Creators []string `json:"creators"`
		} `json:"creationInfo"`
		Packages      []pkg `json:"packages"`
		Relationships []rel `json:"relationships"`
	}{SPDXVersion: "SPDX-2.3", DataLicense: "CC0-1.0", SPDXID: "SPDXRef-DOCUMENT", Name: sub.Name}
	doc.DocumentNamespace = "https://spdx.palisade.dev/image/" + uuidOf(sub.Name, sub.Digest)
	doc.CreationInfo.Created = now.UTC().Format("2006-01-02T15:04:05Z")
	doc.CreationInfo.Creators = []string{"Tool: " + tool.Name + "-" + tool.Version}
	img := pkg{Name: sub.Name, SPDXID: "SPDXRef-Image", VersionInfo: sub.Digest, DownloadLocation: "NOASSERTION",
		LicenseConcluded: "NOASSERTION", LicenseDeclared: "NOASSERTION", CopyrightText: "NOASSERTION", PrimaryPurpose: "CONTAINER"}
	doc.Packages = append(doc.Packages, img)
	doc.Relationships = append(doc.Relationships, rel{"SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-Image"})
	if sub.OS != nil {
		// The SPDX 2.3 JSON schema spells this purpose with an underscore.
		doc.Packages = append(doc.Packages, pkg{Name: sub.OS.ID, SPDXID: "SPDXRef-OperatingSystem", VersionInfo: sub.OS.VersionID,
			DownloadLocation: "NOASSERTION", LicenseConcluded: "NOASSERTION", LicenseDeclared: "NOASSERTION", CopyrightText: "NOASSERTION", PrimaryPurpose: "OPERATING_SYSTEM"})
		doc.Relationships = append(doc.Relationships, rel{"SPDXRef-Image", "CONTAINS", "SPDXRef-OperatingSystem"})
	}
	for i, p := range pkgs {
		id := "SPDXRef-Package-" + strings.Trim(spdxIDChars.ReplaceAllString(fmt.Sprintf("%s-%s-%d", p.Type, p.Name, i+1), "-"), "-")
		lic := "NOASSERTION"
		if len(p.Licenses) == 1 && spdxLicenseRE.MatchString(p.Licenses[0]) {
			lic = p.Licenses[0]
		}
		sp := pkg{Name: p.Name, SPDXID: id, VersionInfo: p.Version, DownloadLocation: "NOASSERTION", LicenseConcluded: "NOASSERTION",
			LicenseDeclared: lic, CopyrightText: "NOASSERTION", SourceInfo: fmt.Sprintf("found in layer %d at %s", p.Layer, p.Path), PrimaryPurpose: "LIBRARY"}
		if p.PURL != "" {
			sp.ExternalRefs = []extRef{{"PACKAGE-MANAGER", "purl", p.PURL}}
		}
		doc.Packages = append(doc.Packages, sp)
		doc.Relationships = append(doc.Relationships, rel{"SPDXRef-Image", "CONTAINS", id})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}
