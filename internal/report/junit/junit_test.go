package junit

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/palisade-dev/palisade/internal/config"
	"github.com/palisade-dev/palisade/internal/engine"
	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/report"
	"github.com/palisade-dev/palisade/internal/rule"
	"github.com/palisade-dev/palisade/internal/rules"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var fixtures = []string{"testdata/other.yaml", "testdata/scan.yaml"}

// configYAML suppresses the DaemonSet's finding from configuration and
// raises the test rule below to medium, still under the high threshold.
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

// serviceName reports every Service, giving a below-threshold finding.
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

// broken cannot evaluate Services, giving a rule error.
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

// scan decodes the fixtures and runs privileged-container and the test
// rules over them with a fixed clock. It returns the report and the
// objects scanned.
func scan(t *testing.T) (*report.Report, []*object.Object) {
	t.Helper()
	r := &report.Report{
		Tool:   report.Tool{Name: "palisade", Version: "v1.4.0"},
		FailOn: rule.High,
		Files:  len(fixtures),
	}
	var objs []*object.Object
	for _, name := range fixtures {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		dec := object.Decode(name, data)
		objs = append(objs, dec.Objects...)
		r.InputErrors = append(r.InputErrors, dec.Errors...)
		r.Skipped = append(r.Skipped, dec.Skipped...)
	}
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
	res := engine.Run(object.NewSet(objs), engine.Options{
		Rules:  selected,
		Config: cfg,
		Now:    func() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) },
	})
	for _, c := range selected {
		r.Rules = append(r.Rules, c.Rule)
	}
	r.Findings, r.RuleErrors, r.Notices = res.Findings, res.RuleErrors, res.Notices
	r.Objects = objs
	return r, objs
}

func render(t *testing.T, r *report.Report) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, r); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// The parsed form of the output, independent of the writer's types.
type (
	xSuites struct {
		XMLName  xml.Name `xml:"testsuites"`
		Name     string   `xml:"name,attr"`
		Tests    int      `xml:"tests,attr"`
		Failures int      `xml:"failures,attr"`
		Errors   int      `xml:"errors,attr"`
		Skipped  int      `xml:"skipped,attr"`
		Suites   []xSuite `xml:"testsuite"`
	}
	xSuite struct {
		Name      string  `xml:"name,attr"`
		Tests     int     `xml:"tests,attr"`
		Failures  int     `xml:"failures,attr"`
		Errors    int     `xml:"errors,attr"`
		Skipped   int     `xml:"skipped,attr"`
		Cases     []xCase `xml:"testcase"`
		SystemOut string  `xml:"system-out"`
	}
	xCase struct {
		Name      string    `xml:"name,attr"`
		Classname string    `xml:"classname,attr"`
		File      string    `xml:"file,attr"`
		Failure   *xOutcome `xml:"failure"`
		Error     *xOutcome `xml:"error"`
		Skipped   *xOutcome `xml:"skipped"`
		SystemOut string    `xml:"system-out"`
	}
	xOutcome struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Text    string `xml:",chardata"`
	}
)

func parse(t *testing.T, out []byte) xSuites {
	t.Helper()
	if !bytes.HasPrefix(out, []byte(xml.Header)) {
		t.Errorf("output does not start with the XML declaration")
	}
	var s xSuites
	if err := xml.Unmarshal(out, &s); err != nil {
		t.Fatalf("output is not well-formed: %v\n%s", err, out)
	}
	return s
}

func (s xSuite) find(t *testing.T, name string) xCase {
	t.Helper()
	for _, c := range s.Cases {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("suite %s has no test case %q", s.Name, name)
	return xCase{}
}

func TestContent(t *testing.T) {
	r, _ := scan(t)
	got := parse(t, render(t, r))

	if got.Name != "palisade" || got.Tests != 9 || got.Failures != 2 || got.Errors != 2 || got.Skipped != 2 {
		t.Errorf("testsuites %s: tests=%d failures=%d errors=%d skipped=%d, want palisade 9 2 2 2",
			got.Name, got.Tests, got.Failures, got.Errors, got.Skipped)
	}
	if len(got.Suites) != 2 || got.Suites[0].Name != "testdata/other.yaml" || got.Suites[1].Name != "testdata/scan.yaml" {
		t.Fatalf("want one suite per file, sorted; got %+v", got.Suites)
	}
	// Every count must agree with the test cases.
	for _, s := range got.Suites {
		var f, e, sk int
		for _, c := range s.Cases {
			if c.Failure != nil {
				f++
			}
			if c.Error != nil {
				e++
			}
			if c.Skipped != nil {
				sk++
			}
			if c.Classname != s.Name || c.File != s.Name {
				t.Errorf("%s: classname %q, file %q, want the suite's file", c.Name, c.Classname, c.File)
			}
		}
		if s.Tests != len(s.Cases) || s.Failures != f || s.Errors != e || s.Skipped != sk {
			t.Errorf("suite %s counts %d/%d/%d/%d, test cases say %d/%d/%d/%d", s.Name, s.Tests, s.Failures, s.Errors, s.Skipped, len(s.Cases), f, e, sk)
		}
	}

	other := got.Suites[0]
	if ns := other.find(t, "Namespace/tools"); ns.Failure != nil || ns.Error != nil || ns.Skipped != nil {
		t.Errorf("clean Namespace is not a pass: %+v", ns)
	}
	if !strings.Contains(other.SystemOut, "testdata/other.yaml:7: document 2 is not a Kubernetes object") {
		t.Errorf("other.yaml system-out does not mention the skipped document: %q", other.SystemOut)
	}

	s := got.Suites[1]
	web := s.find(t, "Deployment/shop/web: privileged-container")
	if web.Failure == nil || web.Failure.Type != "critical" || !strings.HasPrefix(web.Failure.Message, "2 findings: ") {
		t.Fatalf("web: want a critical failure for two findings, got %+v", web.Failure)
	}
	for _, want := range []string{
		`testdata/scan.yaml:19:13: critical: init container "setup" runs privileged`,
		`testdata/scan.yaml:23:29: critical: container "web" runs privileged`,
		"(spec.template.spec.containers[0].securityContext.privileged)",
		"Remediation: Remove securityContext.privileged",
	} {
		if !strings.Contains(web.Failure.Text, want) {
			t.Errorf("web failure text lacks %q:\n%s", want, web.Failure.Text)
		}
	}
	if agent := s.find(t, "Pod/agent: privileged-container"); agent.Failure == nil || agent.Failure.Message != `container "agent" runs privileged (securityContext.privileged=true)` {
		t.Errorf("agent (expired suppression): %+v", agent.Failure)
	}
	if dbg := s.find(t, "Pod/shop/debug: privileged-container"); dbg.Skipped == nil || dbg.Skipped.Message != "suppressed: inspects the node's network stack" || dbg.Failure != nil {
		t.Errorf("debug (annotation): %+v", dbg)
	}
	if ds := s.find(t, "DaemonSet/monitoring/node-exporter: privileged-container"); ds.Skipped == nil || ds.Skipped.Message != "suppressed: node-exporter reads host metrics" ||
		!strings.Contains(ds.SystemOut, "suppressed by config .palisade.yaml:6") {
		t.Errorf("node-exporter (config): %+v", ds)
	}
	below := s.find(t, "Service/shop/api: test-service-name")
	if below.Failure != nil || below.Error != nil || below.Skipped != nil ||
		!strings.Contains(below.SystemOut, "below the fail-on threshold (high)") || !strings.Contains(below.SystemOut, `medium: service "api" is named`) {
		t.Errorf("below-threshold finding should pass with output: %+v", below)
	}
	if be := s.find(t, "Service/shop/api: test-broken"); be.Error == nil || be.Error.Type != "rule-error" || !strings.Contains(be.Error.Text, "cannot evaluate spec.ports") {
		t.Errorf("rule error: %+v", be)
	}
	if cm := s.find(t, "ConfigMap/settings"); cm.Failure != nil || cm.Error != nil || cm.Skipped != nil {
		t.Errorf("clean ConfigMap is not a pass: %+v", cm)
	}
	var inputErr *xCase
	for i, c := range s.Cases {
		if strings.HasPrefix(c.Name, "input error") {
			inputErr = &s.Cases[i]
		}
	}
	if inputErr == nil || inputErr.Error == nil || inputErr.Error.Type != "input-error" || !strings.HasPrefix(inputErr.Error.Text, "testdata/scan.yaml:") {
		t.Errorf("input error test case: %+v", inputErr)
	} else if want := fmt.Sprintf("input error at line %d", r.InputErrors[0].Line); inputErr.Name != want {
		t.Errorf("input error named %q, want %q", inputErr.Name, want)
	}
	if !strings.Contains(s.SystemOut, "notice: testdata/scan.yaml:") || !strings.Contains(s.SystemOut, "expired") {
		t.Errorf("scan.yaml system-out lacks the expired-suppression notice: %q", s.SystemOut)
	}
}

// TestWithoutObjects checks that only objects with findings or errors
// appear when the caller does not list the scanned objects.
func TestWithoutObjects(t *testing.T) {
	r, _ := scan(t)
	r.Objects = nil
	got := parse(t, render(t, r))
	if got.Tests != 7 {
		t.Errorf("tests=%d, want 7 (no passing test cases for clean objects)", got.Tests)
	}
	for _, s := range got.Suites {
		for _, c := range s.Cases {
			if c.Name == "ConfigMap/settings" || c.Name == "Namespace/tools" {
				t.Errorf("unexpected test case %s", c.Name)
			}
		}
	}
}

// TestEscaping round-trips markup, quotes, a CDATA end, newlines, invalid
// UTF-8 and a control character (the last two are not allowed in XML, so
// they are replaced) through attributes and element text.
func TestEscaping(t *testing.T) {
	msg := "bad <tag> & \"quotes\" 'here' ]]> \xff\nsecond line \x01"
	r := &report.Report{Tool: report.Tool{Name: "palisade"}, InputErrors: []*object.InputError{{File: "a&b<c>.yaml", Line: 3, Msg: msg}}}
	out := render(t, r)
	got := parse(t, out)
	c := got.Suites[0].Cases[0]
	want := strings.NewReplacer("\x01", "\uFFFD", "\xff", "\uFFFD").Replace(msg)
	if got.Suites[0].Name != "a&b<c>.yaml" || c.Error == nil || c.Error.Message != want || c.Error.Text != "a&b<c>.yaml:3: "+want {
		t.Errorf("round trip lost data:\n%s", out)
	}
}

func TestEmpty(t *testing.T) {
	got := parse(t, render(t, &report.Report{}))
	if got.Name != "palisade" || got.Tests != 0 || len(got.Suites) != 0 {
		t.Errorf("empty report: %+v", got)
	}
}

func TestGolden(t *testing.T) {
	r, _ := scan(t)
	out := render(t, r)
	golden := filepath.Join("testdata", "scan.junit.xml.golden")
	if *update {
		if err := os.WriteFile(golden, out, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/report/junit -update to create it)", err)
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
