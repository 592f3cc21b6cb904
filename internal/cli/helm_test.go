package cli_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

var appChart = filepath.Join("testdata", "helm", "app")

// privileged returns the privileged-container finding of a scan of the
// test chart.
func TestHelmScan(t *testing.T) {
	deploy := filepath.Join(appChart, "templates", "deployment.yaml")
	toYamlLine := 18 // {{- toYaml .Values.securityContext | nindent 12 }}

	d, r := scanJSON(t, appChart, "--set", "securityContext.privileged=true", "--release-name", "shop")
	wantCode(t, r, 1)
	f := one(t, d, "shop-app", "privileged-container")
	if f.File != deploy || f.Line != toYamlLine {
		t.Errorf("finding at %s:%d, want %s:%d", f.File, f.Line, deploy, toYamlLine)
	}
	if f.Origin == nil || f.Origin.Generator != "helm" || f.Origin.Values == nil ||
		f.Origin.Values.Key != "securityContext.privileged" || f.Origin.Values.File != "--set" {
		t.Errorf("origin = %+v", f.Origin)
	}

	d, r = scanJSON(t, appChart, "-f", filepath.Join(appChart, "values-debug.yaml"))
	wantCode(t, r, 1)
	f = one(t, d, "release-name-app", "privileged-container")
	if v := f.Origin.Values; v == nil || v.File != filepath.Join(appChart, "values-debug.yaml") || v.Line != 2 {
		t.Errorf("values = %+v", v)
	}

	// Text output names the template line and the value.
	r = scan(t, appChart, "--set", "securityContext.privileged=true")
	wantCode(t, r, 1)
	for _, want := range []string{deploy + ":18 privileged-container", "values: --set securityContext.privileged"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("text output lacks %q:\n%s", want, r.stdout)
		}
	}

	// The default values pass the privileged rule.
	d, _ = scanJSON(t, appChart)
	if fs := find(d, "release-name-app", "privileged-container"); len(fs) != 0 {
		t.Errorf("privileged with default values: %+v", fs)
	}

	// SARIF relates the result to the values line.
	r = scan(t, "-o", "sarif", appChart, "-f", filepath.Join(appChart, "values-debug.yaml"))
	if !strings.Contains(r.stdout, `"relatedLocations"`) || !strings.Contains(r.stdout, "values-debug.yaml") {
		t.Errorf("SARIF lacks the values location")
	}
}

func TestHelmJSONMatchesSchema(t *testing.T) {
	r := scan(t, "-o", "json", appChart, "--set", "securityContext.privileged=true")
	wantCode(t, r, 1)
	f, err := os.Open(filepath.Join("..", "..", "docs", "report.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource("report.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("report.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader([]byte(r.stdout)))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(inst); err != nil {
		t.Errorf("helm scan output does not match the schema: %v", err)
	}
}

func TestHelmInputErrors(t *testing.T) {
	// A failing template is an input error at its line; the rest of the
	// paths are still scanned.
	broken := filepath.Join("testdata", "helm", "broken")
	d, r := scanJSON(t, broken, appChart)
	wantCode(t, r, 2)
	want := filepath.Join(broken, "templates", "cm.yaml") + ":4:"
	if !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "name is required") {
		t.Errorf("stderr = %q, want %s ... name is required", r.stderr, want)
	}
	if len(d.InputErrors) != 1 || len(find(d, "release-name-app", "privileged-container")) != 0 || d.Summary.Objects == 0 {
		t.Errorf("input errors %v, objects %d", d.InputErrors, d.Summary.Objects)
	}

	// Helm values without a chart are a usage error.
	r = scan(t, "--set", "a=b", filepath.Join("testdata", "clean.yaml"))
	wantCode(t, r, 2)
	if !strings.Contains(r.stderr, "chart named on the command line") {
		t.Errorf("stderr = %q", r.stderr)
	}
	r = scan(t, "--load-restrictor", "sometimes", appChart)
	wantCode(t, r, 2)
}
