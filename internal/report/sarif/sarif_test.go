package sarif

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/palisade-dev/palisade/internal/config"
	"github.com/palisade-dev/palisade/internal/engine"
	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/report"
	"github.com/palisade-dev/palisade/internal/rule"
	"github.com/palisade-dev/palisade/internal/rules"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const fixture = "testdata/scan.yaml"

// schemaPath is the official SARIF 2.1.0 schema, kept in the shared
// directory that CI clones next to the repository.
var schemaPath = filepath.Join("..", "..", "..", "..", "shared", "schemas", "sarif-schema-2.1.0.json")

// configYAML suppresses the DaemonSet's finding from configuration and
// raises the test rule below to medium.
const configYAML = `version: 1
rules:
  test-service-name:
    severity: medium
ignore:
  - rules: [privileged-container]
    kinds: [DaemonSet]
    names: [node-exporter]
    reason: node-exporter reads host metrics
`

// serviceName reports every Service, so the report has a finding whose
// severity comes from configuration.
var serviceName = &rule.Rule{
	Meta: rule.Meta{
		ID: "test-service-name", Title: "Test service name", Severity: rule.Low, Category: rule.CategoryExposure,
		Doc:         "A rule that exists only in this test and reports every Service it sees.",
		Remediation: "Do nothing.",
		References:  []framework.Ref{framework.MITRERef("T1611")},
	},
	Run: func(pass *rule.Pass) error {
		if pass.Object.Kind == "Service" {
			pass.Reportf("metadata.name", nil, "service %q is named", pass.Object.Name)
		}
		return nil
	},
}

// broken cannot evaluate Services, so the report has a rule error.
var broken = &rule.Rule{
	Meta: rule.Meta{
		ID: "test-broken", Title: "Test broken rule", Severity: rule.High, Category: rule.CategoryHygiene,
		Doc:         "A rule that exists only in this test and fails on every Service it sees.",
		Remediation: "Do nothing.",
		References:  []framework.Ref{framework.CISRef("5.2.2")},
	},
	Run: func(pass *rule.Pass) error {
		if pass.Object.Kind == "Service" {
			return errors.New("cannot evaluate spec.ports")
		}
		return nil
	},
}

// scan runs the catalog and the test rules over data as if it had been read
// from the fixture, with the clock fixed so the expired suppression is
// reported.
func scan(t *testing.T, data []byte) *report.Report {
	t.Helper()
	return scanAs(t, fixture, data)
}

// scanAs is scan with the data read from the named file.
func scanAs(t *testing.T, file string, data []byte) *report.Report {
	t.Helper()
	dec := object.Decode(file, data)
	cfg, err := config.Parse(".palisade.yaml", []byte(configYAML))
	if err != nil {
		t.Fatal(err)
	}
	// A fixed list rather than rules.All(), so that adding a rule to the
	// catalog does not change the golden file.
	privileged := rules.ByID("privileged-container")
	if privileged == nil {
		t.Fatal("privileged-container is not in the catalog")
	}
	selected, err := engine.Select([]*rule.Rule{privileged, serviceName, broken}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	res := engine.Run(object.NewSet(dec.Objects), engine.Options{
		Rules:  selected,
		Config: cfg,
		Now:    func() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) },
	})
	r := &report.Report{
		Tool:        report.Tool{Name: "palisade", Version: "v1.4.0", InformationURI: "https://github.com/palisade-dev/palisade"},
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

func readFixture(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func render(t *testing.T, r *report.Report) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, r); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// decoded is the part of a SARIF log the assertions read.
type decoded struct {
	Runs []struct {
		Tool struct {
			Driver struct {
				Version, SemanticVersion string
				Rules                    []struct {
					ID                   string
					Name                 string
					HelpURI              string
					DefaultConfiguration struct{ Level string }
					Properties           map[string]any
				}
			}
		}
		Invocations []struct {
			ExecutionSuccessful        bool
			ExitCode                   int
			ToolExecutionNotifications []struct {
				Level          string
				Message        struct{ Text string }
				Descriptor     struct{ ID string }
				AssociatedRule *struct {
					ID    string
					Index int
				}
				Locations []location
			}
		}
		Results []struct {
			RuleID              string
			RuleIndex           *int
			Level               string
			Message             struct{ Text string }
			Locations           []location
			PartialFingerprints map[string]string
			Suppressions        []suppression
			Properties          struct {
				Path, Container string
				Fix             *struct{ Patch []rule.PatchOp }
			}
		}
	}
}

func decode(t *testing.T, out []byte) decoded {
	t.Helper()
	var d decoded
	if err := json.Unmarshal(out, &d); err != nil {
		t.Fatalf("output is not JSON: %v", err)
	}
	if len(d.Runs) != 1 || len(d.Runs[0].Invocations) != 1 {
		t.Fatalf("want one run with one invocation, got %d runs", len(d.Runs))
	}
	return d
}

func TestSchema(t *testing.T) {
	f, err := os.Open(schemaPath)
	if errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("SARIF schema not found at %s: the tests need the shared/ directory checked out next to the repository (as CI does)", schemaPath)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("%s: %v", schemaPath, err)
	}
	const url = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(url, doc); err != nil {
		t.Fatal(err)
	}
	schema, err := c.Compile(url)
	if err != nil {
		t.Fatalf("compiling %s: %v", schemaPath, err)
	}

	empty := &report.Report{Tool: report.Tool{Name: "palisade", Version: "dev"}}
	stdin := scanAs(t, "-", readFixture(t))
	for name, r := range map[string]*report.Report{
		"fixture": scan(t, readFixture(t)),
		"empty":   empty,
		"stdin":   stdin,
	} {
		t.Run(name, func(t *testing.T) {
			inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(render(t, r)))
			if err != nil {
				t.Fatal(err)
			}
			if err := schema.Validate(inst); err != nil {
				t.Errorf("output does not match the SARIF 2.1.0 schema: %v", err)
			}
		})
	}
}

func TestGolden(t *testing.T) {
	out := render(t, scan(t, readFixture(t)))
	golden := filepath.Join("testdata", "scan.sarif.golden")
	if *update {
		if err := os.WriteFile(golden, out, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/report/sarif -update to create it)", err)
	}
	if !bytes.Equal(out, want) {
		t.Errorf("output differs from %s (run with -update to accept):\n%s", golden, lineDiff(string(want), string(out)))
	}
}

// lineDiff shows the first differing line of two texts.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := range max(len(w), len(g)) {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d:\nwant %q\ngot  %q", i+1, wl, gl)
		}
	}
	return ""
}

func TestContent(t *testing.T) {
	r := scan(t, readFixture(t))
	d := decode(t, render(t, r))
	run := d.Runs[0]
	drv := run.Tool.Driver

	if drv.Version != "v1.4.0" || drv.SemanticVersion != "1.4.0" {
		t.Errorf("driver version = %q, semanticVersion = %q", drv.Version, drv.SemanticVersion)
	}
	if len(drv.Rules) != len(r.Rules) {
		t.Fatalf("%d rule descriptors for %d rules", len(drv.Rules), len(r.Rules))
	}
	wantRule := map[string]struct{ level, score, name string }{
		"privileged-container": {"error", "9.5", "PrivilegedContainer"},
		"test-service-name":    {"note", "3.0", "TestServiceName"},
		"test-broken":          {"error", "8.0", "TestBrokenRule"},
	}
	for i, rd := range drv.Rules {
		if rd.ID != r.Rules[i].ID {
			t.Errorf("rules[%d].id = %q, want %q (catalog order)", i, rd.ID, r.Rules[i].ID)
		}
		w := wantRule[rd.ID]
		if rd.DefaultConfiguration.Level != w.level || rd.Properties["security-severity"] != w.score || rd.Name != w.name {
			t.Errorf("rule %s: level %q, security-severity %v, name %q; want %q, %q, %q",
				rd.ID, rd.DefaultConfiguration.Level, rd.Properties["security-severity"], rd.Name, w.level, w.score, w.name)
		}
		if want := "https://github.com/palisade-dev/palisade/blob/v1.4.0/docs/rules.md#" + rd.ID; rd.HelpURI != want {
			t.Errorf("rule %s: helpUri %q, want %q", rd.ID, rd.HelpURI, want)
		}
	}
	tags := fmt.Sprint(drv.Rules[0].Properties["tags"])
	for _, tag := range []string{"security", "host-access", "pss/baseline/privileged", "cis/5.2.2", "mitre-attack/T1611"} {
		if !strings.Contains(tags, tag) {
			t.Errorf("privileged-container tags %s lack %q", tags, tag)
		}
	}

	if len(run.Results) != len(r.Findings) {
		t.Fatalf("%d results for %d findings", len(run.Results), len(r.Findings))
	}
	kinds := map[string]int{}
	for i, res := range run.Results {
		f := r.Findings[i]
		if res.RuleIndex == nil || drv.Rules[*res.RuleIndex].ID != res.RuleID || res.RuleID != f.RuleID {
			t.Errorf("result %d: ruleId %q, ruleIndex %v do not match finding rule %q", i, res.RuleID, res.RuleIndex, f.RuleID)
		}
		if want := level(f.Severity); res.Level != want {
			t.Errorf("result %d: level %q, want %q", i, res.Level, want)
		}
		reg := res.Locations[0].PhysicalLocation.Region
		if reg == nil || reg.StartLine != f.Pos.Line || reg.StartColumn != f.Pos.Column {
			t.Errorf("result %d: region %+v, want line %d column %d", i, reg, f.Pos.Line, f.Pos.Column)
		}
		if loc := res.Locations[0].PhysicalLocation.ArtifactLocation; loc.URI != "testdata/scan.yaml" || loc.URIBaseID != SrcRoot {
			t.Errorf("result %d: artifact %+v", i, loc)
		}
		if ll := res.Locations[0].LogicalLocations; len(ll) != 1 || ll[0].Kind != "resource" || ll[0].FullyQualifiedName != qualifiedName(f.Object) {
			t.Errorf("result %d: logical locations %+v", i, ll)
		}
		if res.Properties.Path != string(f.Path) || res.Properties.Container != f.Container {
			t.Errorf("result %d: properties %+v", i, res.Properties)
		}
		var fix *rule.Fix
		if f.Fix != nil {
			fix = f.Fix()
		}
		if (res.Properties.Fix != nil) != (fix != nil) {
			t.Errorf("result %d: fix %+v, finding fix %+v", i, res.Properties.Fix, fix)
		}
		if (len(res.Suppressions) > 0) != (f.Suppressed != nil) {
			t.Errorf("result %d: suppressions %+v, finding suppression %+v", i, res.Suppressions, f.Suppressed)
		}
		for _, s := range res.Suppressions {
			kinds[s.Kind]++
			if s.Status != "accepted" || s.Justification != f.Suppressed.Reason {
				t.Errorf("result %d: suppression %+v", i, s)
			}
		}
	}
	if kinds["inSource"] != 1 || kinds["external"] != 1 {
		t.Errorf("suppression kinds = %v, want one inSource (annotation) and one external (config)", kinds)
	}
	// The configured severity, not the rule's default, sets the level.
	for _, res := range run.Results {
		if res.RuleID == "test-service-name" && res.Level != "warning" {
			t.Errorf("test-service-name result level %q, want warning (configured medium)", res.Level)
		}
	}

	inv := run.Invocations[0]
	if inv.ExecutionSuccessful || inv.ExitCode != report.ExitError {
		t.Errorf("invocation executionSuccessful=%v exitCode=%d, want false and %d", inv.ExecutionSuccessful, inv.ExitCode, report.ExitError)
	}
	byKind := map[string]int{}
	for _, n := range inv.ToolExecutionNotifications {
		byKind[n.Descriptor.ID]++
		switch n.Descriptor.ID {
		case NotifyInputError:
			if n.Level != "error" || len(n.Locations) != 1 || n.Locations[0].PhysicalLocation.Region == nil {
				t.Errorf("input error notification %+v lacks level error or a file:line location", n)
			}
		case NotifyRuleError:
			if n.Level != "error" || n.AssociatedRule == nil || drv.Rules[n.AssociatedRule.Index].ID != "test-broken" {
				t.Errorf("rule error notification %+v", n)
			}
		case NotifyNotice:
			if n.Level != "warning" || !strings.Contains(n.Message.Text, "expired") {
				t.Errorf("notice notification %+v", n)
			}
		}
	}
	if byKind[NotifyInputError] != 1 || byKind[NotifyRuleError] != 1 || byKind[NotifyNotice] != 1 {
		t.Errorf("notifications by kind = %v, want one input error, one rule error and one notice", byKind)
	}
}

// TestFingerprintsIgnoreLines checks that moving a finding within its file
// keeps its fingerprint while its region follows it.
func TestFingerprintsIgnoreLines(t *testing.T) {
	data := readFixture(t)
	before := decode(t, render(t, scan(t, data)))
	after := decode(t, render(t, scan(t, append([]byte("# one more line at the top\n"), data...))))
	b, a := before.Runs[0].Results, after.Runs[0].Results
	if len(a) != len(b) {
		t.Fatalf("%d results after the shift, %d before", len(a), len(b))
	}
	seen := map[string]bool{}
	for i := range b {
		fp := b[i].PartialFingerprints[FingerprintKey]
		if fp == "" || seen[fp] {
			t.Errorf("result %d: fingerprint %q is empty or repeated", i, fp)
		}
		seen[fp] = true
		if a[i].PartialFingerprints[FingerprintKey] != fp {
			t.Errorf("result %d (%s): fingerprint changed from %s to %s when the line moved", i, b[i].Message.Text, fp, a[i].PartialFingerprints[FingerprintKey])
		}
		if got, want := a[i].Locations[0].PhysicalLocation.Region.StartLine, b[i].Locations[0].PhysicalLocation.Region.StartLine+1; got != want {
			t.Errorf("result %d: start line %d after the shift, want %d", i, got, want)
		}
	}
}

func TestArtifact(t *testing.T) {
	for _, tc := range []struct {
		file string
		want artifactLocation
		ok   bool
	}{
		{"deploy/web.yaml", artifactLocation{URI: "deploy/web.yaml", URIBaseID: SrcRoot}, true},
		{"./deploy//web.yaml", artifactLocation{URI: "deploy/web.yaml", URIBaseID: SrcRoot}, true},
		{"../other/web.yaml", artifactLocation{URI: "../other/web.yaml", URIBaseID: SrcRoot}, true},
		{"my app/web #1.yaml", artifactLocation{URI: "my%20app/web%20%231.yaml", URIBaseID: SrcRoot}, true},
		{"a:b.yaml", artifactLocation{URI: "./a:b.yaml", URIBaseID: SrcRoot}, true},
		{"/srv/k8s/web.yaml", artifactLocation{URI: "file:///srv/k8s/web.yaml"}, true},
		{"https://example.com/api/v1/namespaces", artifactLocation{URI: "https://example.com/api/v1/namespaces"}, true},
		{"-", artifactLocation{}, false},
	} {
		got, ok := artifact(tc.file)
		if got != tc.want || ok != tc.ok {
			t.Errorf("artifact(%q) = %+v, %v; want %+v, %v", tc.file, got, ok, tc.want, tc.ok)
		}
	}
}

func TestHelpersTable(t *testing.T) {
	seen := map[string]int{}
	if got := []string{occurrence(seen, "ab"), occurrence(seen, "cd"), occurrence(seen, "ab"), occurrence(seen, "ab")}; fmt.Sprint(got) != "[ab cd ab:2 ab:3]" {
		t.Errorf("occurrence suffixes = %v", got)
	}
	for _, tc := range []struct{ title, id, want string }{
		{"Privileged container", "privileged-container", "PrivilegedContainer"},
		{"hostPath volume to /", "host-path", "HostPathVolumeTo"},
		{"", "run-as-root", "RunAsRoot"},
		{"", "", ""},
	} {
		if got := pascalCase(tc.title, tc.id); got != tc.want {
			t.Errorf("pascalCase(%q, %q) = %q, want %q", tc.title, tc.id, got, tc.want)
		}
	}
	for _, tc := range []struct {
		version, info, semver, help string
	}{
		{"v1.4.0", "https://github.com/palisade-dev/palisade", "1.4.0", "https://github.com/palisade-dev/palisade/blob/v1.4.0/docs/rules.md#x"},
		{"1.5.0-rc.1", "https://github.com/palisade-dev/palisade/", "1.5.0-rc.1", "https://github.com/palisade-dev/palisade/blob/main/docs/rules.md#x"},
		{"dev", "https://github.com/palisade-dev/palisade", "", "https://github.com/palisade-dev/palisade/blob/main/docs/rules.md#x"},
		{"v1.4", "https://palisade.dev", "", ""},
		{"v01.2.3", "", "", ""},
	} {
		r := &report.Report{Tool: report.Tool{Name: "palisade", Version: tc.version, InformationURI: tc.info}}
		log, _ := build(r)
		if got := log.Runs[0].Tool.Driver.SemanticVersion; got != tc.semver {
			t.Errorf("version %q: semanticVersion %q, want %q", tc.version, got, tc.semver)
		}
		if got := helpURI(r.Tool, "x"); got != tc.help {
			t.Errorf("version %q, info %q: helpUri %q, want %q", tc.version, tc.info, got, tc.help)
		}
	}
}
