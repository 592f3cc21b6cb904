package json

import (
	"bytes"
	stdjson "encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/palisade-dev/palisade/internal/config"
	"github.com/palisade-dev/palisade/internal/engine"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/report"
	"github.com/palisade-dev/palisade/internal/rule"
	"github.com/palisade-dev/palisade/internal/rules"
)

// schemaFile is the published schema of the output.
var schemaFile = filepath.Join("..", "..", "..", "docs", "report.schema.json")

const fixture = "testdata/scan.yaml"

// configYAML ignores the Deployment's privileged container, and has a
// second, expired ignore for it that must only produce a notice.
const configYAML = `version: 1
ignore:
  - rules: [privileged-container]
    kinds: [Deployment]
    names: [legacy]
    reason: legacy app, replaced in Q3
  - rules: [privileged-container, host-network]
    names: [legacy]
    reason: an older exception
    expires: 2020-01-31
`

// scan runs the whole catalog over the fixture as if it had been read from
// file, with the clock fixed.
func scan(t *testing.T, file string) *report.Report {
	t.Helper()
	data, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	dec := object.Decode(file, data)
	cfg, err := config.Parse(".palisade.yaml", []byte(configYAML))
	if err != nil {
		t.Fatal(err)
	}
	selected, err := engine.Select(rules.All(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	res := engine.Run(object.NewSet(dec.Objects), engine.Options{
		Rules:       selected,
		RuleOptions: rule.Options{PSSLevel: "restricted", PSSVersion: "latest"},
		Config:      cfg,
		Now:         func() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) },
	})
	r := &report.Report{
		Tool:        report.Tool{Name: "palisade", Version: "v1.4.0"},
		Findings:    res.Findings,
		InputErrors: dec.Errors,
		RuleErrors:  res.RuleErrors,
		Notices:     res.Notices,
		Skipped:     dec.Skipped,
		FailOn:      rule.High,
		Files:       1,
		Objects:     dec.Objects,
	}
	for _, c := range selected {
		r.Rules = append(r.Rules, c.Rule)
	}
	return r
}

func write(t *testing.T, r *report.Report) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, r); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("%s: %v", schemaFile, err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	const url = "https://github.com/palisade-dev/palisade/docs/report.schema.json"
	if err := c.AddResource(url, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(url)
	if err != nil {
		t.Fatalf("compiling %s: %v", schemaFile, err)
	}
	return s
}

// TestOutputMatchesSchema validates real outputs against
// docs/report.schema.json: a scan with findings, suppressions, notices,
// skipped documents, input and rule errors; the same read from standard
// input; and an empty report.
func TestOutputMatchesSchema(t *testing.T) {
	schema := compileSchema(t)
	for name, r := range map[string]*report.Report{
		"fixture": scan(t, fixture),
		"stdin":   scan(t, "-"),
		"empty":   {Tool: report.Tool{Name: "palisade", Version: "dev"}, FailOn: rule.High},
	} {
		t.Run(name, func(t *testing.T) {
			out := write(t, r)
			inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
			if err != nil {
				t.Fatalf("output is not JSON: %v", err)
			}
			if err := schema.Validate(inst); err != nil {
				t.Errorf("output does not match %s:\n%v", schemaFile, err)
			}
		})
	}
}

// TestSchemaRejects makes sure the schema is strict enough to catch
// drift: an undeclared field, a bad enum value and a missing required field.
func TestSchemaRejects(t *testing.T) {
	schema := compileSchema(t)
	var good map[string]any
	if err := stdjson.Unmarshal(write(t, scan(t, fixture)), &good); err != nil {
		t.Fatal(err)
	}
	finding := func(d map[string]any) map[string]any { return d["findings"].([]any)[0].(map[string]any) }
	for name, mutate := range map[string]func(map[string]any){
		"unknown top-level field": func(d map[string]any) { d["extra"] = true },
		"unknown finding field":   func(d map[string]any) { finding(d)["cwe"] = "CWE-250" },
		"bad severity":            func(d map[string]any) { finding(d)["severity"] = "severe" },
		"missing ruleId":          func(d map[string]any) { delete(finding(d), "ruleId") },
		"bad suppression kind": func(d map[string]any) {
			for _, f := range d["findings"].([]any) {
				if s, ok := f.(map[string]any)["suppressed"].(map[string]any); ok {
					s["kind"] = "comment"
				}
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			var d map[string]any
			b, _ := stdjson.Marshal(good)
			_ = stdjson.Unmarshal(b, &d)
			mutate(d)
			b, _ = stdjson.Marshal(d)
			inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if schema.Validate(inst) == nil {
				t.Error("schema accepts the broken document")
			}
		})
	}
}

// TestContent checks what the document says about the fixture.
func TestContent(t *testing.T) {
	r := scan(t, fixture)
	var d Document
	if err := stdjson.Unmarshal(write(t, r), &d); err != nil {
		t.Fatal(err)
	}
	if d.SchemaVersion != "1" || d.Tool.Name != "palisade" || d.Tool.Version != "v1.4.0" {
		t.Errorf("header = %q %+v", d.SchemaVersion, d.Tool)
	}

	// The summary agrees with the findings listed.
	bySev := map[string]int{}
	suppressed, failing := 0, 0
	for _, f := range d.Findings {
		if f.Suppressed != nil {
			suppressed++
			continue
		}
		bySev[f.Severity]++
		if s, _ := rule.ParseSeverity(f.Severity); s >= rule.High {
			failing++
		}
	}
	for _, sev := range []string{"critical", "high", "medium", "low", "info"} {
		if got, ok := d.Summary.Findings[sev]; !ok || got != bySev[sev] {
			t.Errorf("summary.findings[%s] = %d (present %v), findings list %d", sev, got, ok, bySev[sev])
		}
	}
	if len(d.Findings) != len(r.Findings) {
		t.Errorf("%d findings in JSON, %d in the report", len(d.Findings), len(r.Findings))
	}
	if d.Summary.Suppressed != suppressed || suppressed != 2 {
		t.Errorf("summary.suppressed = %d, findings marked suppressed %d, want 2", d.Summary.Suppressed, suppressed)
	}
	if d.Summary.Failing != failing || failing == 0 {
		t.Errorf("summary.failing = %d, want %d (> 0)", d.Summary.Failing, failing)
	}
	if d.Summary.Files != 1 || d.Summary.Objects != 4 || d.Summary.FailOn != "high" {
		t.Errorf("summary = %+v", d.Summary)
	}
	if d.Summary.ExitCode != report.ExitError {
		t.Errorf("exitCode = %d, want %d (the fixture has input and rule errors)", d.Summary.ExitCode, report.ExitError)
	}

	// A known finding, at the line of the offending field.
	privileged := findAll(d.Findings, "privileged-container")
	if len(privileged) != 3 {
		t.Fatalf("want 3 privileged-container findings, got %+v", privileged)
	}
	ds := privileged[0]
	want := Finding{
		RuleID: "privileged-container", Title: "Privileged container", Severity: "critical", Category: "host-access",
		Object: ObjectRef{APIVersion: "apps/v1", Kind: "DaemonSet", Namespace: "ops", Name: "node-agent"},
		File:   fixture, Line: 18, Container: "agent",
		Path: "spec.template.spec.containers[0].securityContext.privileged",
	}
	if ds.RuleID != want.RuleID || ds.Title != want.Title || ds.Severity != want.Severity || ds.Category != want.Category ||
		ds.Object != want.Object || ds.File != want.File || ds.Line != want.Line || ds.Container != want.Container || ds.Path != want.Path {
		t.Errorf("DaemonSet finding =\n%+v\nwant\n%+v", ds, want)
	}
	if ds.Column == 0 || ds.Remediation == "" || len(ds.References) == 0 || ds.Fix == nil || len(ds.Fix.Patch) == 0 || ds.Suppressed != nil {
		t.Errorf("DaemonSet finding lacks column, remediation, references or fix, or is suppressed: %+v", ds)
	}

	// The suppressed ones, with their reasons.
	pod, deploy := privileged[1], privileged[2]
	if s := pod.Suppressed; s == nil || s.Kind != "annotation" || s.Reason != "break-glass debugging pod, deleted after use" ||
		s.Expires != "2099-12-31" || s.Source != "ignore.palisade.dev/privileged-container" {
		t.Errorf("Pod finding suppression = %+v", s)
	}
	if s := deploy.Suppressed; s == nil || s.Kind != "config" || s.Reason != "legacy app, replaced in Q3" || s.Source != ".palisade.yaml:3" {
		t.Errorf("Deployment finding suppression = %+v", s)
	}

	// Notices, errors and skipped documents.
	if len(d.Notices) != 1 || d.Notices[0].File != ".palisade.yaml" || d.Notices[0].Line != 7 || !strings.Contains(d.Notices[0].Message, "expired on 2020-01-31") {
		t.Errorf("notices = %+v", d.Notices)
	}
	if len(d.InputErrors) != 1 || d.InputErrors[0].File != fixture || d.InputErrors[0].Line == 0 {
		t.Errorf("inputErrors = %+v", d.InputErrors)
	}
	if len(d.RuleErrors) == 0 {
		t.Error("no rule errors")
	}
	for _, e := range d.RuleErrors {
		if e.Object.Name != "template" || e.Line != 54 || !strings.Contains(e.Message, "<YOUR-IMAGE>") {
			t.Errorf("rule error = %+v", e)
		}
	}
	if len(d.Skipped) != 1 || d.Skipped[0].Doc != 4 || d.Skipped[0].Line != 65 {
		t.Errorf("skipped = %+v", d.Skipped)
	}
}

func findAll(fs []Finding, id string) []Finding {
	var out []Finding
	for _, f := range fs {
		if f.RuleID == id {
			out = append(out, f)
		}
	}
	return out
}

// TestEmptyListsAreArrays: consumers may index every list without a null
// check.
func TestEmptyListsAreArrays(t *testing.T) {
	out := write(t, &report.Report{Tool: report.Tool{Name: "palisade", Version: "dev"}, FailOn: rule.High})
	for _, key := range []string{"findings", "inputErrors", "ruleErrors", "notices", "skipped"} {
		if !bytes.Contains(out, []byte(`"`+key+`": []`)) {
			t.Errorf("%s is not an empty array in\n%s", key, out)
		}
	}
}

// TestSchemaDeclaresEveryField fails when a type of the document gains (or
// loses) a JSON field that docs/report.schema.json does not declare, or
// when required in the schema disagrees with omitempty.
func TestSchemaDeclaresEveryField(t *testing.T) {
	data, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	var root map[string]any
	if err := stdjson.Unmarshal(data, &root); err != nil {
		t.Fatal(err)
	}
	checked := map[reflect.Type]bool{}
	var walk func(t reflect.Type, schema map[string]any, where string)
	walk = func(typ reflect.Type, schema map[string]any, where string) {
		schema = resolve(t, root, schema)
		for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice {
			typ = typ.Elem()
			if items, ok := schema["items"].(map[string]any); ok {
				schema = resolve(t, root, items)
			}
		}
		if typ.Kind() != reflect.Struct || checked[typ] {
			return
		}
		checked[typ] = true
		props, _ := schema["properties"].(map[string]any)
		if props == nil {
			t.Errorf("%s (%s): the schema declares no properties", where, typ)
			return
		}
		if schema["additionalProperties"] != false {
			t.Errorf("%s (%s): the schema must set additionalProperties: false", where, typ)
		}
		var required []string
		for _, r := range schema["required"].([]any) {
			required = append(required, r.(string))
		}
		seen := map[string]bool{}
		for i := range typ.NumField() {
			f := typ.Field(i)
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !f.IsExported() || name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			seen[name] = true
			p, ok := props[name].(map[string]any)
			if !ok {
				t.Errorf("%s.%s (%s.%s): not declared in %s", where, name, typ, f.Name, schemaFile)
				continue
			}
			omitempty := strings.Contains(opts, "omitempty")
			if isRequired := slices.Contains(required, name); isRequired == omitempty {
				t.Errorf("%s.%s: required=%v in the schema but omitempty=%v in %s", where, name, isRequired, omitempty, typ)
			}
			walk(f.Type, p, where+"."+name)
		}
		for name := range props {
			if !seen[name] {
				t.Errorf("%s.%s: declared in the schema but not written by %s", where, name, typ)
			}
		}
	}
	walk(reflect.TypeFor[Document](), root, "document")
	if len(checked) < 10 {
		t.Errorf("walked only %d types", len(checked))
	}
}

// resolve follows a local $ref ("#/$defs/name").
func resolve(t *testing.T, root, schema map[string]any) map[string]any {
	t.Helper()
	for {
		ref, ok := schema["$ref"].(string)
		if !ok {
			return schema
		}
		name, ok := strings.CutPrefix(ref, "#/$defs/")
		if !ok {
			t.Fatalf("unsupported $ref %q", ref)
		}
		def, ok := root["$defs"].(map[string]any)[name].(map[string]any)
		if !ok {
			t.Fatalf("$ref %q names no definition", ref)
		}
		schema = def
	}
}

// TestSchemaEnums keeps the schema's enums in step with the code.
func TestSchemaEnums(t *testing.T) {
	data, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	var root struct {
		Defs map[string]struct {
			Enum []string `json:"enum"`
		} `json:"$defs"`
	}
	if err := stdjson.Unmarshal(data, &root); err != nil {
		t.Fatal(err)
	}
	var cats []string
	for _, c := range rule.Categories {
		cats = append(cats, string(c))
	}
	if got := root.Defs["category"].Enum; !slices.Equal(got, cats) {
		t.Errorf("category enum = %v, rule.Categories = %v", got, cats)
	}
	var sevs []string
	for s := rule.Critical; s >= rule.Info; s-- {
		sevs = append(sevs, s.String())
	}
	if got := root.Defs["severity"].Enum; !slices.Equal(got, sevs) {
		t.Errorf("severity enum = %v, want %v", got, sevs)
	}
}
