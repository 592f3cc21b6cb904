// Package sarif writes a scan report as SARIF 2.1.0, the format GitHub code
// scanning and most security dashboards ingest.
//
// The log has one run. Its tool.driver lists every rule that ran as a
// reportingDescriptor carrying the rule's documentation, default level,
// framework references (as tags) and the "security-severity" score GitHub
// uses to rank alerts. Each finding is a result located both physically
// (file, line, column) and logically (the Kubernetes object). Suppressed
// findings are kept, with a suppression saying who suppressed them and why.
// Input errors, rule errors, notices and skipped documents become
// toolExecutionNotifications of the run's single invocation.
//
// Choices a consumer may need to know:
//
//   - partialFingerprints["palisade/v1"] hashes the rule ID, the file, the
//     object's API group, kind, namespace and name, the container and the
//     field path, never a line number, so editing around a finding does not
//     turn it into a new alert. Identical keys within one log (the same
//     object written twice in one file) get an occurrence suffix ":2", ":3".
//   - Fixes are JSON Patches against the object, which SARIF's fixes
//     (text replacements in artifacts) cannot express faithfully, so they
//     go in the result's properties.fix and no "fixes" are emitted.
//   - Relative file paths become URIs relative to the "%SRCROOT%" base;
//     absolute paths become file: URIs; standard input ("-") has no
//     physical location, only a logical one.
//   - helpUri is emitted only when the tool's information URI is a GitHub
//     repository, pointing at docs/rules.md in the tagged release (or main
//     for development builds); SARIF requires it to be an absolute URI.
package sarif

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"unicode"

	"github.com/palisade-dev/palisade/internal/engine"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/report"
	"github.com/palisade-dev/palisade/internal/rule"
)

// SchemaURI is the $schema of every log written.
const SchemaURI = "https://json.schemastore.org/sarif-2.1.0.json"

// Version is the SARIF version written.
const Version = "2.1.0"

// SrcRoot is the uriBaseId of relative artifact locations: the directory
// the scan was run from, which consumers such as GitHub resolve to the
// repository checkout.
const SrcRoot = "%SRCROOT%"

// FingerprintKey names Palisade's entry in a result's partialFingerprints.
// The suffix is bumped if the hashed fields ever change.
const FingerprintKey = "palisade/v1"

// Notification descriptor IDs, listed in tool.driver.notifications.
const (
	NotifyInputError = "input-error"
	NotifyRuleError  = "rule-error"
	NotifyNotice     = "notice"
	NotifySkipped    = "skipped-document"
)

// Write renders r as an indented SARIF 2.1.0 log. Results are encoded and
// written one at a time into the encoded skeleton of the log, so memory
// stays flat however many findings a scan has; the bytes are the same as
// encoding the whole log at once.
func Write(w io.Writer, r *report.Report) error {
	log, resultOf := build(r)
	fps := fingerprints(r.Findings)
	return report.WriteJSONStreaming(w, log, "results", len(r.Findings), func(i int) any { return resultOf(r.Findings[i], fps[i]) })
}

// fingerprints returns the partial fingerprint of each finding: hashed in
// parallel, then numbered in report order where findings share one.
func fingerprints(fs []engine.Finding) []string {
	out := make([]string, len(fs))
	workers := runtime.GOMAXPROCS(0)
	per := (len(fs) + workers - 1) / workers
	var wg sync.WaitGroup
	for lo := 0; lo < len(fs); lo += per {
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				out[i] = fingerprint(fs[i])
			}
		}(lo, min(lo+per, len(fs)))
	}
	wg.Wait()
	seen := map[string]int{}
	for i, fp := range out {
		out[i] = occurrence(seen, fp)
	}
	return out
}

// The types below are the subset of the SARIF object model Palisade fills
// in. Field names follow the specification; optional members are omitted
// when empty.

type sarifLog struct {
	Schema  string `json:"$schema"`
	Version string `json:"version"`
	Runs    []run  `json:"runs"`
}

type run struct {
	Tool        tool         `json:"tool"`
	Invocations []invocation `json:"invocations"`
	ColumnKind  string       `json:"columnKind"`
	Results     []result     `json:"results"`
}

type tool struct {
	Driver driver `json:"driver"`
}

type driver struct {
	Name            string                `json:"name"`
	Version         string                `json:"version,omitempty"`
	SemanticVersion string                `json:"semanticVersion,omitempty"`
	InformationURI  string                `json:"informationUri,omitempty"`
	Rules           []reportingDescriptor `json:"rules"`
	Notifications   []reportingDescriptor `json:"notifications"`
}

type message struct {
	Text string `json:"text"`
}

type multiformatMessage struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type reportingDescriptor struct {
	ID                   string              `json:"id"`
	DeprecatedIDs        []string            `json:"deprecatedIds,omitempty"`
	Name                 string              `json:"name,omitempty"`
	ShortDescription     *multiformatMessage `json:"shortDescription,omitempty"`
	FullDescription      *multiformatMessage `json:"fullDescription,omitempty"`
	Help                 *multiformatMessage `json:"help,omitempty"`
	HelpURI              string              `json:"helpUri,omitempty"`
	DefaultConfiguration *configuration      `json:"defaultConfiguration,omitempty"`
	Properties           *ruleProperties     `json:"properties,omitempty"`
}

type configuration struct {
	Level string `json:"level"`
}

type ruleProperties struct {
	Tags             []string `json:"tags"`
	SecuritySeverity string   `json:"security-severity"`
	Precision        string   `json:"precision"`
	Severity         string   `json:"severity"`
	Category         string   `json:"category"`
}

type descriptorRef struct {
	ID    string `json:"id"`
	Index *int   `json:"index,omitempty"`
}

type result struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           *int              `json:"ruleIndex,omitempty"`
	Level               string            `json:"level"`
	Message             message           `json:"message"`
	Locations           []location        `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Suppressions        []suppression     `json:"suppressions"`
	RelatedLocations    []relatedLocation `json:"relatedLocations,omitempty"`
	// CodeFlows carry the hops of a finding that spans objects (an
	// attack path), in order.
	CodeFlows  []codeFlow       `json:"codeFlows,omitempty"`
	Properties resultProperties `json:"properties"`
}

type codeFlow struct {
	Message     message      `json:"message"`
	ThreadFlows []threadFlow `json:"threadFlows"`
}

type threadFlow struct {
	Locations []threadFlowLocation `json:"locations"`
}

type threadFlowLocation struct {
	Location location `json:"location"`
}

// relatedLocation is a place that contributed to a result: for findings in
// Helm charts, the values file line that set the offending value.
type relatedLocation struct {
	ID               int               `json:"id"`
	PhysicalLocation *physicalLocation `json:"physicalLocation,omitempty"`
	Message          message           `json:"message"`
}

// originProperties say how a generated object's finding was traced to its
// source (see engine.Finding.Origin).
type originProperties struct {
	Generator   string `json:"generator"`
	Approximate bool   `json:"approximate,omitempty"`
	ValuesKey   string `json:"valuesKey,omitempty"`
	Note        string `json:"note,omitempty"`
}

type resultProperties struct {
	Severity  string    `json:"severity"`
	Path      string    `json:"path"`
	Container string    `json:"container,omitempty"`
	Object    objectRef `json:"object"`
	Fix       *fix      `json:"fix,omitempty"`
	// Origin is set for objects rendered from Helm charts or built by
	// Kustomize.
	Origin *originProperties `json:"origin,omitempty"`
}

type objectRef struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name"`
}

type fix struct {
	Patch     []rule.PatchOp `json:"patch,omitempty"`
	NewObject any            `json:"newObject,omitempty"`
	Unsafe    bool           `json:"unsafe"`
	Note      string         `json:"note,omitempty"`
}

type location struct {
	PhysicalLocation *physicalLocation `json:"physicalLocation,omitempty"`
	LogicalLocations []logicalLocation `json:"logicalLocations,omitempty"`
	// Message describes the location; used for the steps of code flows.
	Message *message `json:"message,omitempty"`
}

type physicalLocation struct {
	ArtifactLocation artifactLocation `json:"artifactLocation"`
	Region           *region          `json:"region,omitempty"`
}

type artifactLocation struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

type region struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}

type logicalLocation struct {
	Name               string `json:"name"`
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

type suppression struct {
	Kind          string                 `json:"kind"`
	Status        string                 `json:"status"`
	Justification string                 `json:"justification"`
	Properties    *suppressionProperties `json:"properties,omitempty"`
}

type suppressionProperties struct {
	Source  string `json:"source,omitempty"`
	Expires string `json:"expires,omitempty"`
}

type invocation struct {
	ExecutionSuccessful        bool           `json:"executionSuccessful"`
	ExitCode                   int            `json:"exitCode"`
	ToolExecutionNotifications []notification `json:"toolExecutionNotifications"`
}

type notification struct {
	Level          string         `json:"level"`
	Message        message        `json:"message"`
	Locations      []location     `json:"locations,omitempty"`
	Descriptor     descriptorRef  `json:"descriptor"`
	AssociatedRule *descriptorRef `json:"associatedRule,omitempty"`
}

// notificationDescriptors are the kinds of toolExecutionNotifications, in
// the order of their indexes.
var notificationDescriptors = []struct {
	id, name, text, level string
}{
	{NotifyInputError, "InputError", "An input file or document could not be read or decoded; its objects were not scanned.", "error"},
	{NotifyRuleError, "RuleError", "A rule could not evaluate an object; the object is not known to pass that rule.", "error"},
	{NotifyNotice, "Notice", "Something to act on that is neither a finding nor an error, such as an expired suppression.", "warning"},
	{NotifySkipped, "SkippedDocument", "A document is not a Kubernetes object (it has no apiVersion or kind) and was not scanned.", "note"},
}

func notificationRef(id string) descriptorRef {
	for i, d := range notificationDescriptors {
		if d.id == id {
			return descriptorRef{ID: id, Index: &i}
		}
	}
	return descriptorRef{ID: id}
}

// build returns the log without its results, and the function that makes
// the result of a finding with its partial fingerprint (see fingerprints);
// that function may be called from several goroutines at once.
func build(r *report.Report) (*sarifLog, func(engine.Finding, string) result) {
	d := driver{
		Name:           r.Tool.Name,
		Version:        r.Tool.Version,
		InformationURI: r.Tool.InformationURI,
		Rules:          []reportingDescriptor{},
	}
	if v := strings.TrimPrefix(r.Tool.Version, "v"); semverRE.MatchString(v) {
		d.SemanticVersion = v
	}
	ruleIndex := map[string]int{}
	for i, ru := range r.Rules {
		ruleIndex[ru.ID] = i
		d.Rules = append(d.Rules, descriptor(ru, r.Tool))
	}
	for _, n := range notificationDescriptors {
		d.Notifications = append(d.Notifications, reportingDescriptor{
			ID: n.id, Name: n.name,
			ShortDescription:     &multiformatMessage{Text: n.text},
			DefaultConfiguration: &configuration{Level: n.level},
		})
	}
	ruleRef := func(id string) *descriptorRef {
		ref := &descriptorRef{ID: id}
		if i, ok := ruleIndex[id]; ok {
			ref.Index = &i
		}
		return ref
	}

	ru := run{
		Tool:       tool{Driver: d},
		ColumnKind: "unicodeCodePoints",
		Results:    []result{},
	}
	resultOf := func(f engine.Finding, fp string) result {
		res := result{
			RuleID:              f.RuleID,
			RuleIndex:           ruleRef(f.RuleID).Index,
			Level:               level(f.Severity),
			Message:             message{Text: f.Message},
			Locations:           []location{objectLocationIn(f.Object, f.File(), f.Pos)},
			PartialFingerprints: map[string]string{FingerprintKey: fp},
			Suppressions:        []suppression{},
			Properties: resultProperties{
				Severity:  f.Severity.String(),
				Path:      string(f.Path),
				Container: f.Container,
				Object:    ref(f.Object),
			},
		}
		if f.Fix != nil {
			if fx := f.Fix(); fx != nil {
				res.Properties.Fix = &fix{Patch: fx.Patch, NewObject: fx.NewObject, Unsafe: fx.Unsafe, Note: fx.Note}
			}
		}
		if s := f.Suppressed; s != nil {
			res.Suppressions = append(res.Suppressions, suppressionOf(s))
		}
		if len(f.Trace) > 0 {
			tf := threadFlow{}
			for _, st := range f.Trace {
				loc := location{}
				if st.Object != nil {
					loc = objectLocation(st.Object, object.Position{Line: st.Object.Line})
				}
				loc.Message = &message{Text: st.Label + ": " + st.Why}
				tf.Locations = append(tf.Locations, threadFlowLocation{Location: loc})
			}
			res.CodeFlows = []codeFlow{{Message: message{Text: f.Message}, ThreadFlows: []threadFlow{tf}}}
		}
		if o := f.Origin; o != nil {
			res.Properties.Origin = &originProperties{Generator: o.Generator, Approximate: o.Approximate, ValuesKey: o.ValuesKey, Note: o.Note}
			if o.ValuesKey != "" && o.ValuesFile != "" {
				rl := relatedLocation{ID: 1, Message: message{Text: fmt.Sprintf("the chart value %s is set here", o.ValuesKey)}}
				if locs := fileLocation(o.ValuesFile, o.ValuesLine); len(locs) > 0 && !strings.HasPrefix(o.ValuesFile, "--") {
					rl.PhysicalLocation = locs[0].PhysicalLocation
					res.RelatedLocations = append(res.RelatedLocations, rl)
				}
			}
		}
		return res
	}

	inv := invocation{
		ExecutionSuccessful:        len(r.InputErrors) == 0 && len(r.RuleErrors) == 0,
		ExitCode:                   r.ExitCode(),
		ToolExecutionNotifications: []notification{},
	}
	for _, e := range r.InputErrors {
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, notification{
			Level:      "error",
			Message:    message{Text: e.Error()},
			Locations:  fileLocation(e.File, e.Line),
			Descriptor: notificationRef(NotifyInputError),
		})
	}
	for _, e := range r.RuleErrors {
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, notification{
			Level:          "error",
			Message:        message{Text: e.Error()},
			Locations:      []location{objectLocation(e.Object, object.Position{Line: e.Object.Line})},
			Descriptor:     notificationRef(NotifyRuleError),
			AssociatedRule: ruleRef(e.RuleID),
		})
	}
	for _, n := range r.Notices {
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, notification{
			Level:      "warning",
			Message:    message{Text: n.String()},
			Locations:  fileLocation(n.File, n.Line),
			Descriptor: notificationRef(NotifyNotice),
		})
	}
	for _, s := range r.Skipped {
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, notification{
			Level:      "note",
			Message:    message{Text: fmt.Sprintf("%s:%d: document %d is not a Kubernetes object (no apiVersion or kind)", s.File, s.Line, s.Doc+1)},
			Locations:  fileLocation(s.File, s.Line),
			Descriptor: notificationRef(NotifySkipped),
		})
	}
	ru.Invocations = []invocation{inv}
	return &sarifLog{Schema: SchemaURI, Version: Version, Runs: []run{ru}}, resultOf
}

// descriptor describes one rule.
func descriptor(ru *rule.Rule, t report.Tool) reportingDescriptor {
	tags := []string{"security", string(ru.Category)}
	for _, ref := range ru.References {
		tags = append(tags, string(ref.Framework)+"/"+ref.ID)
	}
	text := ru.Doc + "\n\nRemediation: " + ru.Remediation
	md := ru.Doc + "\n\n**Remediation:** " + ru.Remediation
	if len(ru.References) > 0 {
		text += "\n\nReferences:"
		md += "\n\n**References:**\n"
		for _, ref := range ru.References {
			text += "\n- " + ref.String()
			if u := ref.URL(); u != "" {
				md += "\n- [" + ref.String() + "](" + u + ")"
			} else {
				md += "\n- " + ref.String()
			}
		}
	}
	return reportingDescriptor{
		ID:                   ru.ID,
		DeprecatedIDs:        ru.Aliases,
		Name:                 pascalCase(ru.Title, ru.ID),
		ShortDescription:     &multiformatMessage{Text: ru.Title},
		FullDescription:      &multiformatMessage{Text: ru.Doc},
		Help:                 &multiformatMessage{Text: text, Markdown: md},
		HelpURI:              helpURI(t, ru.ID),
		DefaultConfiguration: &configuration{Level: level(ru.Severity)},
		Properties: &ruleProperties{
			Tags:             tags,
			SecuritySeverity: securitySeverity(ru.Severity),
			// Rules check declared fields rather than guess, so their
			// findings are reliable; Meta has no per-rule precision yet.
			Precision: "high",
			Severity:  ru.Severity.String(),
			Category:  string(ru.Category),
		},
	}
}

// level maps a severity to a SARIF level.
func level(s rule.Severity) string {
	switch {
	case s >= rule.High:
		return "error"
	case s == rule.Medium:
		return "warning"
	default:
		return "note"
	}
}

// securitySeverity maps a severity to the CVSS-like score GitHub code
// scanning reads from a rule's "security-severity" property: above 9.0 is
// critical, 7.0 to 8.9 high, 4.0 to 6.9 medium, 0.1 to 3.9 low.
func securitySeverity(s rule.Severity) string {
	switch s {
	case rule.Critical:
		return "9.5"
	case rule.High:
		return "8.0"
	case rule.Medium:
		return "5.5"
	case rule.Low:
		return "3.0"
	default:
		return "1.0"
	}
}

// semverRE matches a Semantic Versioning 2.0.0 version without a "v".
var semverRE = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)` +
	`(-(0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(\.(0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*)?` +
	`(\+[0-9a-zA-Z-]+(\.[0-9a-zA-Z-]+)*)?$`)

// helpURI links a rule to its section of the generated rule reference in
// the tool's GitHub repository, at the release tag for release versions
// and on main otherwise. It returns "" when the information URI is not a
// GitHub repository, since SARIF requires an absolute URI.
func helpURI(t report.Tool, id string) string {
	u, err := url.Parse(t.InformationURI)
	if err != nil || u.Scheme != "https" || u.Host != "github.com" || strings.Count(strings.Trim(u.Path, "/"), "/") != 1 {
		return ""
	}
	ref := "main"
	if v := strings.TrimPrefix(t.Version, "v"); semverRE.MatchString(v) && !strings.ContainsAny(v, "-+") {
		ref = "v" + v
	}
	return "https://github.com/" + strings.Trim(u.Path, "/") + "/blob/" + ref + "/docs/rules.md#" + id
}

// pascalCase turns a title such as "Privileged container" into
// "PrivilegedContainer", falling back to the ID when the title has no
// letters or digits.
func pascalCase(title, id string) string {
	var b strings.Builder
	for _, w := range strings.FieldsFunc(title, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		rs := []rune(w)
		b.WriteRune(unicode.ToUpper(rs[0]))
		b.WriteString(string(rs[1:]))
	}
	if b.Len() == 0 && id != "" {
		return pascalCase(strings.ReplaceAll(id, "-", " "), "")
	}
	return b.String()
}

// artifact returns the artifact location of a file as Palisade names it,
// and false for standard input, which has none.
func artifact(file string) (artifactLocation, bool) {
	switch {
	case file == "" || file == "-":
		return artifactLocation{}, false
	case strings.Contains(file, "://"):
		if u, err := url.Parse(file); err == nil && u.Scheme != "" {
			return artifactLocation{URI: u.String()}, true
		}
	case filepath.IsAbs(file):
		p := filepath.ToSlash(file)
		if !strings.HasPrefix(p, "/") {
			p = "/" + p // a Windows drive: file:///C:/...
		}
		return artifactLocation{URI: (&url.URL{Scheme: "file", Path: p}).String()}, true
	}
	p := path.Clean(filepath.ToSlash(file))
	return artifactLocation{URI: (&url.URL{Path: p}).String(), URIBaseID: SrcRoot}, true
}

// fileLocation locates a message at a line of a file; a zero line means
// the whole file.
func fileLocation(file string, line int) []location {
	a, ok := artifact(file)
	if !ok {
		return nil
	}
	pl := &physicalLocation{ArtifactLocation: a}
	if line > 0 {
		pl.Region = &region{StartLine: line}
	}
	return []location{{PhysicalLocation: pl}}
}

// objectLocation locates a position inside an object, physically in its
// file and logically as the object.
func objectLocation(o *object.Object, pos object.Position) location {
	return objectLocationIn(o, o.Source.File, pos)
}

// objectLocationIn is objectLocation with the position in file, which for
// generated objects is the template, patch or base that produced the field.
func objectLocationIn(o *object.Object, file string, pos object.Position) location {
	loc := location{LogicalLocations: []logicalLocation{{
		Name:               o.Name,
		FullyQualifiedName: qualifiedName(o),
		Kind:               "resource",
	}}}
	if a, ok := artifact(file); ok {
		loc.PhysicalLocation = &physicalLocation{ArtifactLocation: a}
		if pos.Line > 0 {
			loc.PhysicalLocation.Region = &region{StartLine: pos.Line, StartColumn: pos.Column}
		}
	}
	return loc
}

// qualifiedName names an object "Kind/namespace/name", or "Kind/name" when
// no namespace is written (cluster-scoped objects, or manifests whose
// namespace is chosen at deploy time).
func qualifiedName(o *object.Object) string {
	if o.RawNamespace == "" {
		return o.Kind + "/" + o.Name
	}
	return o.Kind + "/" + o.RawNamespace + "/" + o.Name
}

func ref(o *object.Object) objectRef {
	return objectRef{APIVersion: o.APIVersion, Kind: o.Kind, Namespace: o.RawNamespace, Name: o.Name}
}

// fingerprint identifies a finding independently of where in its file it
// is written. Fields are length-prefixed so no two tuples hash alike.
func fingerprint(f engine.Finding) string {
	h := sha256.New()
	file := f.Object.Source.File
	if a, ok := artifact(file); ok {
		file = a.URI
	}
	for _, s := range []string{f.RuleID, file, f.Object.Group(), f.Object.Kind, f.Object.RawNamespace, f.Object.Name, f.Container, string(f.Path)} {
		fmt.Fprintf(h, "%d:%s;", len(s), s) //nolint:errcheck // hash.Hash writes never fail
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// occurrence makes repeated fingerprints unique: the first keeps its hash,
// later ones get ":2", ":3" and so on, in report order.
func occurrence(seen map[string]int, fp string) string {
	seen[fp]++
	if n := seen[fp]; n > 1 {
		return fmt.Sprintf("%s:%d", fp, n)
	}
	return fp
}

func suppressionOf(s *engine.Suppression) suppression {
	kind := "external"
	if s.Kind == "annotation" {
		kind = "inSource"
	}
	out := suppression{Kind: kind, Status: "accepted", Justification: s.Reason}
	if s.Source != "" || s.Expires != "" {
		out.Properties = &suppressionProperties{Source: s.Source, Expires: s.Expires}
	}
	return out
}
