// Package imgreport writes the result of an image scan: as text for
// people, as versioned JSON, and as SARIF 2.1.0 for code-scanning
// dashboards. SBOM formats live in internal/image/sbom.
package imgreport

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/palisade-dev/palisade/internal/image/check"
	"github.com/palisade-dev/palisade/internal/image/scan"
	"github.com/palisade-dev/palisade/internal/rule"
)

// Tool identifies the program.
type Tool struct {
	Name, Version, InformationURI string
}

// Report is one scan's result with what the outputs need around it.
type Report struct {
	Tool   Tool
	Result *scan.Result
	// FailOn is the lowest severity that fails the scan.
	FailOn rule.Severity
	// Errors are problems outside the result (a database that could not
	// be read, for example); they make the scan incomplete.
	Errors []string
}

// Summary counts findings by severity.
type Summary struct {
	BySeverity map[string]int `json:"bySeverity"`
	Failing    int            `json:"failing"`
	Packages   int            `json:"packages"`
}

// Summarize counts the findings.
func (r *Report) Summarize() Summary {
	s := Summary{BySeverity: map[string]int{}, Packages: len(r.Result.Packages)}
	for _, f := range r.Result.Findings {
		s.BySeverity[f.Severity.String()]++
		if f.Severity >= r.FailOn {
			s.Failing++
		}
	}
	return s
}

// AllErrors returns the result's errors and the report's.
func (r *Report) AllErrors() []string {
	return append(append([]string{}, r.Result.Errors...), r.Errors...)
}

// ExitCode is 2 when the scan is incomplete, 1 when findings reach FailOn,
// 0 otherwise: the same contract as `palisade scan`.
func (r *Report) ExitCode() int {
	switch {
	case len(r.AllErrors()) > 0:
		return 2
	case r.Summarize().Failing > 0:
		return 1
	}
	return 0
}

// where says where a finding is, for people.
func where(f check.Finding) string {
	switch {
	case f.Path != "" && f.Line > 0:
		return fmt.Sprintf("%s:%d", f.Path, f.Line)
	case f.Path != "" && f.Offset > 0:
		return fmt.Sprintf("%s@%d", f.Path, f.Offset)
	case f.Path != "":
		return f.Path
	case f.Field != "":
		return f.Field
	}
	return "image"
}

func shortDigest(d string) string {
	if i := strings.IndexByte(d, ':'); i >= 0 && len(d) > i+13 {
		return d[:i+13]
	}
	return d
}

// TextOptions control the text output.
type TextOptions struct {
	Color bool
}

// WriteText writes the report for people.
func WriteText(w io.Writer, r *Report, o TextOptions) error {
	bw := bufio.NewWriter(w)
	pf := func(format string, args ...any) { _, _ = fmt.Fprintf(bw, format, args...) }
	res := r.Result
	img := res.Image
	pf("Image %s", img.Name)
	if img.Digest != "" {
		pf(" (%s)", shortDigest(img.Digest))
	}
	if img.Platform != "" {
		pf(" %s", img.Platform)
	}
	if res.OS != nil {
		pf(", %s %s", res.OS.ID, res.OS.VersionID)
	}
	pf(": %d layers, %d files, %d packages\n", len(img.Layers), img.Files, len(res.Packages))
	colors := map[rule.Severity]string{rule.Critical: "\x1b[1;31m", rule.High: "\x1b[31m", rule.Medium: "\x1b[33m", rule.Low: "\x1b[36m", rule.Info: "\x1b[2m"}
	for _, f := range res.Findings {
		sev := strings.ToUpper(f.Severity.String())
		if o.Color {
			sev = colors[f.Severity] + sev + "\x1b[0m" + strings.Repeat(" ", 8-len(f.Severity.String()))
		} else {
			sev = fmt.Sprintf("%-8s", sev)
		}
		pf("  %s %s %s\n", sev, f.RuleID, where(f))
		pf("           %s\n", f.Message)
		if f.Layer >= 0 {
			layer := fmt.Sprintf("layer %d %s", f.Layer, shortDigest(f.LayerDigest))
			if f.CreatedBy != "" {
				layer += ": " + truncate(f.CreatedBy, 100)
			}
			pf("           in %s\n", layer)
		} else if f.CreatedBy != "" {
			pf("           in %s\n", truncate(f.CreatedBy, 100))
		}
		if f.Evidence != "" {
			pf("           evidence: %s\n", f.Evidence)
		}
		if m, ok := check.ByID(f.RuleID); ok {
			fix := m.Remediation
			if f.Advisory != nil && f.Advisory.Fixed != "" {
				fix = fmt.Sprintf("Upgrade %s to %s or later.", f.Package.Name, f.Advisory.Fixed)
			}
			pf("           fix: %s\n", fix)
		}
	}
	for _, e := range r.AllErrors() {
		pf("error: %s\n", e)
	}
	for _, n := range res.Notices {
		pf("note: %s\n", n)
	}
	s := r.Summarize()
	var parts []string
	for _, sev := range []rule.Severity{rule.Critical, rule.High, rule.Medium, rule.Low, rule.Info} {
		if n := s.BySeverity[sev.String()]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, sev))
		}
	}
	if len(parts) == 0 {
		parts = []string{"no findings"}
	}
	pf("%s; %d at or above %s\n", strings.Join(parts, ", "), s.Failing, r.FailOn)
	return bw.Flush()
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// JSONVersion is the version of the JSON document; it changes only when a
// field changes meaning or goes away.
const JSONVersion = 1

// Document is the JSON output.
type Document struct {
	Version  int            `json:"version"`
	Tool     Tool           `json:"tool"`
	Image    scan.ImageInfo `json:"image"`
	OS       any            `json:"os,omitempty"`
	Findings []jsonFinding  `json:"findings"`
	Packages any            `json:"packages"`
	Errors   []string       `json:"errors"`
	Notices  []string       `json:"notices"`
	Summary  Summary        `json:"summary"`
	FailOn   rule.Severity  `json:"failOn"`
	Rules    []jsonRule     `json:"rules"`
}

type jsonFinding struct {
	check.Finding
	Title       string `json:"title"`
	Category    string `json:"category"`
	Remediation string `json:"remediation"`
}

type jsonRule struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Severity    string   `json:"severity"`
	Category    string   `json:"category"`
	Doc         string   `json:"doc"`
	Remediation string   `json:"remediation"`
	References  []string `json:"references"`
}

// WriteJSON writes the JSON document.
func WriteJSON(w io.Writer, r *Report) error {
	res := r.Result
	d := Document{Version: JSONVersion, Tool: r.Tool, Image: res.Image, Findings: []jsonFinding{}, Packages: res.Packages,
		Errors: r.AllErrors(), Notices: res.Notices, Summary: r.Summarize(), FailOn: r.FailOn}
	if res.OS != nil {
		d.OS = res.OS
	}
	if d.Errors == nil {
		d.Errors = []string{}
	}
	if d.Notices == nil {
		d.Notices = []string{}
	}
	for _, f := range res.Findings {
		m, _ := check.ByID(f.RuleID)
		d.Findings = append(d.Findings, jsonFinding{Finding: f, Title: m.Title, Category: string(m.Category), Remediation: m.Remediation})
	}
	for _, m := range check.All() {
		jr := jsonRule{ID: m.ID, Title: m.Title, Severity: m.Severity.String(), Category: string(m.Category), Doc: m.Doc, Remediation: m.Remediation}
		for _, ref := range m.References {
			jr.References = append(jr.References, ref.String())
		}
		d.Rules = append(d.Rules, jr)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(d)
}

// WriteSARIF writes a SARIF 2.1.0 log. Files in the image are artifacts
// relative to the uriBaseId "IMAGEROOT" (the image's root filesystem);
// each result also has a logical location naming the image and the
// layer, and partialFingerprints that hash the rule, the image name, the
// path and the field, but no layer digest, so a rebuilt image keeps its
// alerts.
func WriteSARIF(w io.Writer, r *Report) error {
	type msg struct {
		Text string `json:"text"`
	}
	type rdesc struct {
		ID               string         `json:"id"`
		Name             string         `json:"name"`
		ShortDescription msg            `json:"shortDescription"`
		FullDescription  msg            `json:"fullDescription"`
		Help             msg            `json:"help"`
		DefaultConfig    map[string]any `json:"defaultConfiguration"`
		Properties       map[string]any `json:"properties"`
	}
	type loc struct {
		PhysicalLocation *struct {
			ArtifactLocation struct {
				URI       string `json:"uri"`
				URIBaseID string `json:"uriBaseId"`
			} `json:"artifactLocation"`
			Region *struct {
				StartLine  int   `json:"startLine,omitempty"`
				ByteOffset int64 `json:"byteOffset,omitempty"`
				Snippet    *msg  `json:"snippet,omitempty"`
			} `json:"region,omitempty"`
		} `json:"physicalLocation,omitempty"`
		LogicalLocations []map[string]string `json:"logicalLocations,omitempty"`
	}
	type result struct {
		RuleID              string            `json:"ruleId"`
		RuleIndex           int               `json:"ruleIndex"`
		Level               string            `json:"level"`
		Message             msg               `json:"message"`
		Locations           []loc             `json:"locations"`
		PartialFingerprints map[string]string `json:"partialFingerprints"`
		Properties          map[string]any    `json:"properties"`
	}
	level := func(s rule.Severity) string {
		switch {
		case s >= rule.High:
			return "error"
		case s == rule.Medium:
			return "warning"
		}
		return "note"
	}
	score := map[rule.Severity]string{rule.Critical: "9.5", rule.High: "8.0", rule.Medium: "5.5", rule.Low: "3.0", rule.Info: "1.0"}
	var rules []rdesc
	index := map[string]int{}
	for i, m := range check.All() {
		index[m.ID] = i
		tags := []string{"security", "container-image", string(m.Category)}
		for _, ref := range m.References {
			tags = append(tags, string(ref.Framework)+"/"+ref.ID)
		}
		rules = append(rules, rdesc{
			ID: m.ID, Name: pascal(m.Title), ShortDescription: msg{m.Title}, FullDescription: msg{m.Doc},
			Help:          msg{m.Doc + "\n\nRemediation: " + m.Remediation},
			DefaultConfig: map[string]any{"level": level(m.Severity)},
			Properties:    map[string]any{"tags": tags, "security-severity": score[m.Severity], "precision": "high", "severity": m.Severity.String()},
		})
	}
	res := r.Result
	var results []result
	seen := map[string]int{}
	for _, f := range res.Findings {
		l := loc{LogicalLocations: []map[string]string{{"name": res.Image.Name, "kind": "module", "fullyQualifiedName": res.Image.Name}}}
		if f.Layer >= 0 {
			l.LogicalLocations = append(l.LogicalLocations, map[string]string{"name": fmt.Sprintf("layer %d", f.Layer), "kind": "module", "fullyQualifiedName": res.Image.Name + "/" + f.LayerDigest})
		}
		if f.Path != "" {
			l.PhysicalLocation = &struct {
				ArtifactLocation struct {
					URI       string `json:"uri"`
					URIBaseID string `json:"uriBaseId"`
				} `json:"artifactLocation"`
				Region *struct {
					StartLine  int   `json:"startLine,omitempty"`
					ByteOffset int64 `json:"byteOffset,omitempty"`
					Snippet    *msg  `json:"snippet,omitempty"`
				} `json:"region,omitempty"`
			}{}
			l.PhysicalLocation.ArtifactLocation.URI = (&url.URL{Path: strings.TrimPrefix(f.Path, "/")}).String()
			l.PhysicalLocation.ArtifactLocation.URIBaseID = "IMAGEROOT"
			if f.Line > 0 || f.Offset > 0 {
				l.PhysicalLocation.Region = &struct {
					StartLine  int   `json:"startLine,omitempty"`
					ByteOffset int64 `json:"byteOffset,omitempty"`
					Snippet    *msg  `json:"snippet,omitempty"`
				}{StartLine: f.Line}
				if f.Line == 0 {
					l.PhysicalLocation.Region.ByteOffset = f.Offset
				}
				if f.Evidence != "" {
					l.PhysicalLocation.Region.Snippet = &msg{f.Evidence}
				}
			}
		}
		h := sha256.New()
		adv := ""
		if f.Advisory != nil {
			adv = f.Advisory.ID
		}
		for _, s := range []string{f.RuleID, res.Image.Name, f.Path, f.Field, adv} {
			_, _ = fmt.Fprintf(h, "%d:%s;", len(s), s)
		}
		fp := hex.EncodeToString(h.Sum(nil)[:16])
		seen[fp]++
		if n := seen[fp]; n > 1 {
			fp = fmt.Sprintf("%s:%d", fp, n)
		}
		props := map[string]any{"severity": f.Severity.String(), "layer": f.Layer, "present": f.Present}
		if f.CreatedBy != "" {
			props["createdBy"] = f.CreatedBy
		}
		if f.LayerDigest != "" {
			props["layerDigest"] = f.LayerDigest
		}
		if f.Field != "" {
			props["field"] = f.Field
		}
		if f.Package != nil {
			props["package"] = f.Package
		}
		if f.Advisory != nil {
			props["advisory"] = f.Advisory
		}
		results = append(results, result{RuleID: f.RuleID, RuleIndex: index[f.RuleID], Level: level(f.Severity), Message: msg{f.Message},
			Locations: []loc{l}, PartialFingerprints: map[string]string{"palisade-image/v1": fp}, Properties: props})
	}
	if results == nil {
		results = []result{}
	}
	notes := []map[string]any{}
	for _, e := range r.AllErrors() {
		notes = append(notes, map[string]any{"level": "error", "message": msg{e}})
	}
	for _, n := range res.Notices {
		notes = append(notes, map[string]any{"level": "note", "message": msg{n}})
	}
	log := map[string]any{
		"$schema": "https://json.schemastore.org/sarif-2.1.0.json",
		"version": "2.1.0",
		"runs": []any{map[string]any{
			"tool":               map[string]any{"driver": map[string]any{"name": r.Tool.Name, "version": r.Tool.Version, "informationUri": r.Tool.InformationURI, "rules": rules}},
			"originalUriBaseIds": map[string]any{"IMAGEROOT": map[string]any{"description": msg{"The root filesystem of image " + res.Image.Name}}},
			"invocations":        []any{map[string]any{"executionSuccessful": len(r.AllErrors()) == 0, "exitCode": r.ExitCode(), "toolExecutionNotifications": notes}},
			"results":            results,
		}},
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(log)
}

func pascal(title string) string {
	var b strings.Builder
	for _, w := range strings.FieldsFunc(title, func(r rune) bool {
		return (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9')
	}) {
		b.WriteString(strings.ToUpper(w[:1]) + w[1:])
	}
	return b.String()
}
