// Package json writes a scan report as JSON. The document's shape is
// versioned by SchemaVersion and described by the JSON Schema in
// docs/report.schema.json, which the tests validate every output against.
// Fields are only ever added within a version.
package json

import (
	"io"

	"github.com/palisade-dev/palisade/internal/engine"
	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/report"
	"github.com/palisade-dev/palisade/internal/rule"
)

// SchemaVersion is the version of the output format.
const SchemaVersion = "1"

// Document is the top-level JSON object.
type Document struct {
	SchemaVersion string      `json:"schemaVersion"`
	Tool          Tool        `json:"tool"`
	Summary       Summary     `json:"summary"`
	Findings      []Finding   `json:"findings"`
	InputErrors   []Location  `json:"inputErrors"`
	RuleErrors    []RuleError `json:"ruleErrors"`
	Notices       []Location  `json:"notices"`
	Skipped       []Skipped   `json:"skipped"`
}

// Tool names the producer.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Summary counts what was scanned and found.
type Summary struct {
	Files      int            `json:"files"`
	Objects    int            `json:"objects"`
	Findings   map[string]int `json:"findings"`
	Suppressed int            `json:"suppressed"`
	Failing    int            `json:"failing"`
	FailOn     string         `json:"failOn"`
	ExitCode   int            `json:"exitCode"`
}

// Finding is one finding with its rule's metadata inlined, so consumers need
// no catalog.
type Finding struct {
	RuleID      string              `json:"ruleId"`
	Title       string              `json:"title"`
	Severity    string              `json:"severity"`
	Category    string              `json:"category"`
	Message     string              `json:"message"`
	Object      ObjectRef           `json:"object"`
	File        string              `json:"file"`
	Line        int                 `json:"line"`
	Column      int                 `json:"column"`
	Path        string              `json:"path"`
	Container   string              `json:"container,omitempty"`
	Remediation string              `json:"remediation"`
	References  []framework.Ref     `json:"references"`
	Fix         *Fix                `json:"fix,omitempty"`
	Suppressed  *engine.Suppression `json:"suppressed,omitempty"`
	// Origin is set for objects rendered from a Helm chart or built by
	// Kustomize; File and Line then already name the template, patch or
	// base line.
	Origin *Origin `json:"origin,omitempty"`
	// Trace lists the hops of a finding that spans objects (attack-path).
	Trace []TraceStep `json:"trace,omitempty"`
}

// TraceStep is one hop of a trace.
type TraceStep struct {
	Label  string     `json:"label"`
	Why    string     `json:"why"`
	Object *ObjectRef `json:"object,omitempty"`
	File   string     `json:"file,omitempty"`
}

// Origin says how a generated object's field was traced to its source.
type Origin struct {
	// Generator is "helm" or "kustomize".
	Generator string `json:"generator"`
	// Approximate says File and Line are a best guess.
	Approximate bool `json:"approximate"`
	// Values is the Helm value that set the field, when it came from
	// .Values.
	Values *ValuesRef `json:"values,omitempty"`
	Note   string     `json:"note,omitempty"`
}

// ValuesRef is a chart value and the source that set it last.
type ValuesRef struct {
	// Key is the path into the chart's values, such as
	// securityContext.privileged.
	Key string `json:"key"`
	// File is the values file that set it, or --set, --set-string or
	// --set-file; absent when no source sets it.
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
}

// ObjectRef identifies the object a finding is about.
type ObjectRef struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name"`
}

// Fix is the finding's machine-applicable remedy.
type Fix struct {
	Patch []rule.PatchOp `json:"patch,omitempty"`
	// NewObject is an object to create beside the finding's (see
	// rule.Fix.NewObject).
	NewObject any    `json:"newObject,omitempty"`
	Unsafe    bool   `json:"unsafe"`
	Note      string `json:"note,omitempty"`
}

// Location is a message tied to a place in a file.
type Location struct {
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"`
	Message string `json:"message"`
}

// RuleError is a rule that could not evaluate an object.
type RuleError struct {
	RuleID  string    `json:"ruleId"`
	File    string    `json:"file"`
	Line    int       `json:"line"`
	Object  ObjectRef `json:"object"`
	Message string    `json:"message"`
}

// Skipped is a document that is not a Kubernetes object.
type Skipped struct {
	File string `json:"file"`
	Doc  int    `json:"doc"`
	Line int    `json:"line"`
}

// Build converts a report into its JSON document.
func Build(r *report.Report) *Document {
	d := &Document{
		SchemaVersion: SchemaVersion,
		Tool:          Tool{Name: r.Tool.Name, Version: r.Tool.Version},
		Summary:       summaryOf(r),
		Findings:      []Finding{},
		InputErrors:   []Location{},
		RuleErrors:    []RuleError{},
		Notices:       []Location{},
		Skipped:       []Skipped{},
	}
	rules := r.RulesByID()
	for _, f := range r.Findings {
		d.Findings = append(d.Findings, finding(rules, f))
	}
	for _, e := range r.InputErrors {
		d.InputErrors = append(d.InputErrors, Location{File: e.File, Line: e.Line, Message: e.Msg})
	}
	for _, e := range r.RuleErrors {
		o := e.Object
		d.RuleErrors = append(d.RuleErrors, RuleError{RuleID: e.RuleID, File: o.Source.File, Line: o.Line,
			Object: ObjectRef{APIVersion: o.APIVersion, Kind: o.Kind, Namespace: o.RawNamespace, Name: o.Name}, Message: e.Err.Error()})
	}
	for _, n := range r.Notices {
		d.Notices = append(d.Notices, Location{File: n.File, Line: n.Line, Message: n.Message})
	}
	for _, s := range r.Skipped {
		d.Skipped = append(d.Skipped, Skipped{File: s.File, Doc: s.Doc, Line: s.Line})
	}
	return d
}

func ref(f engine.Finding) ObjectRef {
	o := f.Object
	return ObjectRef{APIVersion: o.APIVersion, Kind: o.Kind, Namespace: o.RawNamespace, Name: o.Name}
}

// Write renders r as indented JSON.
func Write(w io.Writer, r *report.Report) error {
	skel := *r
	skel.Findings = nil
	doc := Build(&skel)
	doc.Summary = summaryOf(r) // counts over every finding
	rules := r.RulesByID()
	return report.WriteJSONStreaming(w, doc, "findings", len(r.Findings), func(i int) any { return finding(rules, r.Findings[i]) })
}

// summaryOf counts r's findings.
func summaryOf(r *report.Report) Summary {
	sum := r.Summarize()
	out := Summary{
		Files: r.Files, Objects: len(r.Objects), Findings: map[string]int{},
		Suppressed: sum.Suppressed, Failing: sum.Failing, FailOn: r.FailOn.String(), ExitCode: r.ExitCode(),
	}
	for s := rule.Info; s <= rule.Critical; s++ {
		out.Findings[s.String()] = sum.BySeverity[s]
	}
	return out
}

// finding converts one finding, with its rule's metadata inlined.
func finding(rules map[string]*rule.Rule, f engine.Finding) Finding {
	meta := rules[f.RuleID]
	jf := Finding{
		RuleID: f.RuleID, Severity: f.Severity.String(), Message: f.Message,
		Object: ref(f),
		File:   f.File(), Line: f.Pos.Line, Column: f.Pos.Column,
		Path: string(f.Path), Container: f.Container, Suppressed: f.Suppressed,
		References: []framework.Ref{},
	}
	if meta != nil {
		jf.Title, jf.Category, jf.Remediation = meta.Title, string(meta.Category), meta.Remediation
		jf.References = append(jf.References, meta.References...)
	}
	if f.Fix != nil {
		if fix := f.Fix(); fix != nil {
			jf.Fix = &Fix{Patch: fix.Patch, NewObject: fix.NewObject, Unsafe: fix.Unsafe, Note: fix.Note}
		}
	}
	if o := f.Origin; o != nil {
		jf.Origin = &Origin{Generator: o.Generator, Approximate: o.Approximate, Note: o.Note}
		if o.ValuesKey != "" {
			jf.Origin.Values = &ValuesRef{Key: o.ValuesKey, File: o.ValuesFile, Line: o.ValuesLine}
		}
	}
	for _, st := range f.Trace {
		ts := TraceStep{Label: st.Label, Why: st.Why}
		if o := st.Object; o != nil {
			ts.Object = &ObjectRef{APIVersion: o.APIVersion, Kind: o.Kind, Namespace: o.RawNamespace, Name: o.Name}
			ts.File = o.Source.File
		}
		jf.Trace = append(jf.Trace, ts)
	}
	return jf
}
