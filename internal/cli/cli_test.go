package cli_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"encoding/xml"
	"flag"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/palisade-dev/palisade/internal/cli"
	jsonreport "github.com/palisade-dev/palisade/internal/report/json"
	"github.com/palisade-dev/palisade/internal/rule"
	"github.com/palisade-dev/palisade/internal/rules"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// testNow is the clock of every test: suppressions dated 2020 have expired,
// those dated 2027 and later have not.
var testNow = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

func TestMain(m *testing.M) {
	flag.Parse()
	restore := cli.SetNow(func() time.Time { return testNow })
	code := m.Run()
	restore()
	os.Exit(code)
}

type result struct {
	code           int
	stdout, stderr string
}

// run calls the command line in-process, as main does.
func run(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	code := cli.Main(args, strings.NewReader(stdin), &out, &errOut)
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

// scan runs `palisade scan --no-config args...`, so that no configuration
// file above the repository changes the outcome.
func scan(t *testing.T, args ...string) result {
	t.Helper()
	return run(t, "", append([]string{"scan", "--no-config"}, args...)...)
}

// scanJSON runs scan with JSON output and decodes it.
func scanJSON(t *testing.T, args ...string) (jsonreport.Document, result) {
	t.Helper()
	r := scan(t, append([]string{"-o", "json"}, args...)...)
	return decodeJSON(t, r.stdout), r
}

func decodeJSON(t *testing.T, s string) jsonreport.Document {
	t.Helper()
	var d jsonreport.Document
	if err := json.Unmarshal([]byte(s), &d); err != nil {
		t.Fatalf("output is not the JSON report: %v\n%s", err, s)
	}
	return d
}

func wantCode(t *testing.T, r result, code int) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, r.stderr)
	}
}

// find returns the findings of rule id about the object named name.
func find(d jsonreport.Document, name, id string) []jsonreport.Finding {
	var out []jsonreport.Finding
	for _, f := range d.Findings {
		if f.Object.Name == name && f.RuleID == id {
			out = append(out, f)
		}
	}
	return out
}

// one returns the only finding of rule id about name.
func one(t *testing.T, d jsonreport.Document, name, id string) jsonreport.Finding {
	t.Helper()
	fs := find(d, name, id)
	if len(fs) != 1 {
		t.Fatalf("want one %s finding about %s, got %d", id, name, len(fs))
	}
	return fs[0]
}

func TestExitCodes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stderr string // a substring of standard error
	}{
		{"clean input", []string{"testdata/clean.yaml"}, 0, ""},
		{"findings at the default fail-on", []string{"testdata/high-only.yaml"}, 1, ""},
		{"findings above fail-on", []string{"--fail-on", "medium", "testdata/high-only.yaml"}, 1, ""},
		{"findings below fail-on", []string{"--fail-on", "critical", "testdata/high-only.yaml"}, 0, ""},
		{"broken document", []string{"testdata/broken.yaml"}, 2, "testdata/broken.yaml:"},
		{"nonexistent path", []string{"testdata/no-such-file.yaml"}, 2, "testdata/no-such-file.yaml: no such file or directory"},
		{"no path", nil, 2, "scan needs at least one path"},
		{"unknown flag", []string{"--no-such-flag", "testdata/clean.yaml"}, 2, "unknown flag: --no-such-flag"},
		{"unknown output format", []string{"-o", "yaml", "testdata/clean.yaml"}, 2, `unknown output format "yaml"`},
		{"unknown fail-on", []string{"--fail-on", "severe", "testdata/clean.yaml"}, 2, `--fail-on: unknown severity "severe"`},
		{"unknown min-severity", []string{"--min-severity", "severe", "testdata/clean.yaml"}, 2, "--min-severity"},
		{"unknown PSS level", []string{"--pss-level", "privileged", "testdata/clean.yaml"}, 2, "--pss-level must be baseline or restricted"},
		{"bad PSS version", []string{"--pss-version", "1.30", "testdata/clean.yaml"}, 2, "--pss-version must be latest"},
		{"bad Kubernetes version", []string{"--kube-version", "next", "testdata/clean.yaml"}, 2, "--kube-version must be latest"},
		{"bad colour", []string{"--color", "blue", "testdata/clean.yaml"}, 2, "--color must be auto, always or never"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := scan(t, tc.args...)
			wantCode(t, r, tc.code)
			if !strings.Contains(r.stderr, tc.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tc.stderr, r.stderr)
			}
			if tc.code == 0 && r.stderr != "" {
				t.Errorf("unexpected stderr:\n%s", r.stderr)
			}
		})
	}
}

// A Kubernetes version as clusters report it is accepted and understood by
// every rule, without rule errors.
func TestKubeVersionForms(t *testing.T) {
	for _, v := range []string{"v1.30", "1.30", "v1.30.2", "v1.30.2-eks-1", "latest"} {
		d, r := scanJSON(t, "--kube-version", v, "testdata/pss.yaml")
		wantCode(t, r, 1)
		if len(d.RuleErrors) > 0 {
			t.Errorf("--kube-version %s: rule errors %+v", v, d.RuleErrors)
		}
	}
}

// A broken document fails the scan with an input error on standard error
// (file:line: message), and the other documents are still scanned.
func TestBrokenDocument(t *testing.T) {
	d, r := scanJSON(t, "testdata/broken.yaml")
	wantCode(t, r, 2)
	if !regexp.MustCompile(`(?m)^testdata/broken\.yaml:\d+: yaml: .+$`).MatchString(r.stderr) {
		t.Errorf("stderr is not file:line: message:\n%s", r.stderr)
	}
	if len(d.InputErrors) != 1 || d.InputErrors[0].File != "testdata/broken.yaml" || d.InputErrors[0].Line == 0 {
		t.Errorf("inputErrors = %+v", d.InputErrors)
	}
	one(t, d, "first", "privileged-container")
	one(t, d, "third", "rbac-anonymous-binding")
	if d.Summary.Objects != 2 || d.Summary.ExitCode != 2 {
		t.Errorf("summary = %+v", d.Summary)
	}

	text := scan(t, "testdata/broken.yaml")
	wantCode(t, text, 2)
	if !strings.Contains(text.stdout, "1 input error") || !strings.Contains(text.stdout, "privileged-container") {
		t.Errorf("text output:\n%s", text.stdout)
	}
}

// A rule error with no text report on standard output still reaches
// standard error.
func TestRuleErrorsOnStderr(t *testing.T) {
	dir := t.TempDir()
	manifest := filepath.Join(dir, "template.yaml")
	data := "apiVersion: v1\nkind: Pod\nmetadata: {name: t}\nspec:\n  containers:\n    - name: app\n      image: \"<YOUR-IMAGE>\"\n"
	if err := os.WriteFile(manifest, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	r := scan(t, "-o", "json="+filepath.Join(dir, "out.json"), manifest)
	wantCode(t, r, 2)
	if !strings.Contains(r.stderr, manifest+":1: rule image-not-pinned could not evaluate Pod t") {
		t.Errorf("stderr:\n%s", r.stderr)
	}
}

func TestStdin(t *testing.T) {
	data, err := os.ReadFile("testdata/high-only.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r := run(t, string(data), "scan", "--no-config", "-")
	wantCode(t, r, 1)
	if !strings.Contains(r.stdout, "-:10 rbac-secrets-read") {
		t.Errorf("text output does not place the finding in -:\n%s", r.stdout)
	}
	j := run(t, string(data), "scan", "--no-config", "-o", "json", "-")
	wantCode(t, j, 1)
	d := decodeJSON(t, j.stdout)
	if f := one(t, d, "secret-reader", "rbac-secrets-read"); f.File != "-" || f.Line != 10 {
		t.Errorf("finding at %s:%d, want -:10", f.File, f.Line)
	}
	if d.Summary.Files != 1 {
		t.Errorf("files = %d", d.Summary.Files)
	}
}

func TestMultipleOutputs(t *testing.T) {
	dir := t.TempDir()
	jsonFile, sarifFile, junitFile := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.sarif"), filepath.Join(dir, "r.xml")
	r := scan(t, "-o", "text", "-o", "json="+jsonFile, "-o", "sarif="+sarifFile, "-o", "junit="+junitFile, "testdata/golden.yaml")
	wantCode(t, r, 1)
	if !strings.Contains(r.stdout, "rbac-cluster-admin-binding") {
		t.Errorf("text output:\n%s", r.stdout)
	}

	read := func(name string) []byte {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	d := decodeJSON(t, string(read(jsonFile)))
	one(t, d, "api-admin", "rbac-cluster-admin-binding")

	var sarif struct {
		Version string `json:"version"`
		Runs    []struct {
			Results []struct {
				RuleID string `json:"ruleId"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(read(sarifFile), &sarif); err != nil {
		t.Fatalf("SARIF output: %v", err)
	}
	if sarif.Version != "2.1.0" || len(sarif.Runs) != 1 || len(sarif.Runs[0].Results) != len(d.Findings) {
		t.Errorf("SARIF: version %q, %d runs, results vs JSON findings %d", sarif.Version, len(sarif.Runs), len(d.Findings))
	}

	var junit struct {
		XMLName xml.Name
		Suites  []struct {
			Name string `xml:"name,attr"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(read(junitFile), &junit); err != nil {
		t.Fatalf("JUnit output: %v", err)
	}
	if junit.XMLName.Local != "testsuites" || len(junit.Suites) == 0 {
		t.Errorf("JUnit: root %q with %d suites", junit.XMLName.Local, len(junit.Suites))
	}
}

func TestOutputConflicts(t *testing.T) {
	file := filepath.Join(t.TempDir(), "r.json")
	for name, args := range map[string][]string{
		"json twice to stdout":  {"-o", "json", "-o", "json"},
		"text and json":         {"-o", "text", "-o", "json"},
		"json and dash":         {"-o", "json", "-o", "sarif=-"},
		"two formats, one file": {"-o", "json=" + file, "-o", "sarif=" + file},
	} {
		t.Run(name, func(t *testing.T) {
			r := scan(t, append(args, "testdata/clean.yaml")...)
			wantCode(t, r, 2)
			if r.stdout != "" {
				t.Errorf("wrote output before rejecting the flags:\n%s", r.stdout)
			}
		})
	}
	if _, err := os.Stat(file); err == nil {
		t.Error("created an output file before rejecting the flags")
	}
}

func ruleIDs(d jsonreport.Document, prefix string) map[string]bool {
	ids := map[string]bool{}
	for _, f := range d.Findings {
		if strings.HasPrefix(f.RuleID, prefix) {
			ids[f.Object.Name+" "+f.RuleID] = true
		}
	}
	return ids
}

func TestPSSLevel(t *testing.T) {
	restricted, r := scanJSON(t, "testdata/pss.yaml")
	wantCode(t, r, 1)
	baseline, r := scanJSON(t, "--pss-level", "baseline", "testdata/pss.yaml")
	wantCode(t, r, 1)
	res, base := ruleIDs(restricted, "pss-"), ruleIDs(baseline, "pss-")
	for _, want := range []string{"restricted-only pss-run-as-non-root", "restricted-only pss-seccomp-profile-restricted", "baseline-too pss-host-namespaces"} {
		if !res[want] {
			t.Errorf("restricted: missing %s in %v", want, res)
		}
	}
	if want := map[string]bool{"baseline-too pss-host-namespaces": true}; !mapsEqual(base, want) {
		t.Errorf("baseline: got %v, want %v", base, want)
	}
}

func mapsEqual(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

func TestMinSeverity(t *testing.T) {
	all, _ := scanJSON(t, "testdata/golden.yaml")
	high, r := scanJSON(t, "--min-severity", "high", "testdata/golden.yaml")
	wantCode(t, r, 1)
	if len(high.Findings) == 0 || len(high.Findings) >= len(all.Findings) {
		t.Fatalf("--min-severity high kept %d of %d findings", len(high.Findings), len(all.Findings))
	}
	for _, f := range high.Findings {
		if s, _ := rule.ParseSeverity(f.Severity); s < rule.High {
			t.Errorf("%s finding %s kept", f.Severity, f.RuleID)
		}
	}
	text := scan(t, "--min-severity", "critical", "testdata/golden.yaml")
	if strings.Contains(text.stdout, "MEDIUM") || !strings.Contains(text.stdout, "CRITICAL") {
		t.Errorf("--min-severity critical text output:\n%s", text.stdout)
	}
}

func TestEnableDisable(t *testing.T) {
	d, _ := scanJSON(t, "testdata/annotations.yaml")
	if len(find(d, "on-template", "probes-missing")) != 0 || len(find(d, "scoped", "privileged-container")) == 0 {
		t.Fatal("unexpected defaults")
	}
	d, r := scanJSON(t, "--enable", "probes-missing", "--disable", "privileged-container,pss-privileged", "testdata/annotations.yaml")
	wantCode(t, r, 1)
	if len(find(d, "on-template", "probes-missing")) == 0 {
		t.Error("--enable probes-missing: no finding")
	}
	for _, f := range d.Findings {
		if f.RuleID == "privileged-container" || f.RuleID == "pss-privileged" {
			t.Errorf("--disable: %s still reported", f.RuleID)
		}
	}
	for _, flag := range []string{"--enable", "--disable"} {
		r := scan(t, flag, "no-such-rule", "testdata/clean.yaml")
		wantCode(t, r, 2)
		if !strings.Contains(r.stderr, `no rule "no-such-rule"`) {
			t.Errorf("%s: stderr %q", flag, r.stderr)
		}
	}
}

func TestConfigDiscovery(t *testing.T) {
	// Found upward from the scanned directory: failOn medium, and
	// resources-missing disabled.
	r := run(t, "", "scan", "-o", "json", "testdata/project/deploy")
	wantCode(t, r, 1)
	d := decodeJSON(t, r.stdout)
	if d.Summary.FailOn != "medium" || len(find(d, "app", "resources-missing")) != 0 {
		t.Errorf("discovered config not applied: failOn %s, resources-missing %d", d.Summary.FailOn, len(find(d, "app", "resources-missing")))
	}
	// Also from a file path.
	r = run(t, "", "scan", "-o", "json", "testdata/project/deploy/app.yaml")
	if d := decodeJSON(t, r.stdout); d.Summary.FailOn != "medium" {
		t.Errorf("config not found from a file path: failOn %s", d.Summary.FailOn)
	}
	// --no-config: defaults.
	r = run(t, "", "scan", "--no-config", "-o", "json", "testdata/project/deploy")
	d = decodeJSON(t, r.stdout)
	if d.Summary.FailOn != "high" || len(find(d, "app", "resources-missing")) != 1 {
		t.Errorf("--no-config: failOn %s, resources-missing %d", d.Summary.FailOn, len(find(d, "app", "resources-missing")))
	}
	// --config names another file, which replaces the discovered one.
	r = run(t, "", "scan", "--config", "testdata/project/other/strict.yaml", "-o", "json", "testdata/project/deploy")
	d = decodeJSON(t, r.stdout)
	if d.Summary.FailOn != "info" || len(find(d, "app", "resources-missing")) != 1 {
		t.Errorf("--config: failOn %s, resources-missing %d", d.Summary.FailOn, len(find(d, "app", "resources-missing")))
	}
	// The flag wins over the file.
	r = run(t, "", "scan", "--fail-on", "critical", "-o", "json", "testdata/project/deploy")
	wantCode(t, r, 0)
	// A missing --config file is an error.
	r = run(t, "", "scan", "--config", "testdata/project/none.yaml", "testdata/project/deploy")
	wantCode(t, r, 2)
}

func TestConfigErrors(t *testing.T) {
	r := run(t, "", "scan", "testdata/badconfig")
	wantCode(t, r, 2)
	if want := `testdata/badconfig/.palisade.yaml:4: unknown key "reasn"`; !strings.Contains(r.stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
	}
	if r.stdout != "" {
		t.Errorf("scanned despite the broken configuration:\n%s", r.stdout)
	}

	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	for name, tc := range map[string]struct{ data, want string }{
		"unknown rule in ignore": {"version: 1\nignore:\n  - rules: [no-such-rule]\n    reason: x\n", `c.yaml:3: ignore names unknown rule "no-such-rule"`},
		"unknown rule settings":  {"version: 1\nrules:\n  no-such-rule:\n    enabled: false\n", "c.yaml:4: rules.no-such-rule: no such rule"},
		"unknown parameter":      {"version: 1\nrules:\n  image-registry-not-allowed:\n    params:\n      registry: [ghcr.io]\n", "c.yaml:5: rules.image-registry-not-allowed.params.registry: rule image-registry-not-allowed has no such parameter"},
		"ignore without reason":  {"version: 1\nignore:\n  - rules: [host-pid]\n", "c.yaml:3: ignore entry: reason is required"},
		"bad expiry":             {"version: 1\nignore:\n  - rules: [host-pid]\n    reason: x\n    expires: 31/01/2027\n", `c.yaml:3: ignore entry: expiry "31/01/2027" is not a date`},
		"bad PSS level":          {"version: 1\npss:\n  level: strict\n", `c.yaml:3: pss.level must be baseline or restricted, not "strict"`},
	} {
		t.Run(name, func(t *testing.T) {
			if err := os.WriteFile(cfg, []byte(tc.data), 0o600); err != nil {
				t.Fatal(err)
			}
			r := run(t, "", "scan", "--config", cfg, "testdata/clean.yaml")
			wantCode(t, r, 2)
			if !strings.Contains(r.stderr, tc.want) {
				t.Errorf("stderr lacks %q:\n%s", tc.want, r.stderr)
			}
		})
	}
}

func TestConfigIgnores(t *testing.T) {
	r := run(t, "", "scan", "-o", "json", "testdata/suppress")
	wantCode(t, r, 1)
	d := decodeJSON(t, r.stdout)
	const cfg = "testdata/suppress/.palisade.yaml"
	for _, tc := range []struct {
		name, rule string
		source     string // "" when the finding must not be suppressed
	}{
		{"cni", "privileged-container", cfg + ":4"},         // namespace team-a
		{"tool", "privileged-container", ""},                // namespace team-b
		{"agent", "host-network", cfg + ":8"},               // kind DaemonSet
		{"web", "host-network", ""},                         // kind Pod
		{"legacy-billing", "image-tag-latest", cfg + ":12"}, // name legacy-*
		{"storefront", "image-tag-latest", ""},              // another name
		{"vendored", "rbac-wildcard", cfg + ":16"},          // path third-party/**/*.yaml
		{"ours", "rbac-wildcard", ""},                       // outside that path
		{"storefront", "host-pid", ""},                      // expired ignore
	} {
		f := one(t, d, tc.name, tc.rule)
		switch {
		case tc.source == "" && f.Suppressed != nil:
			t.Errorf("%s %s suppressed by %+v", tc.name, tc.rule, f.Suppressed)
		case tc.source != "" && (f.Suppressed == nil || f.Suppressed.Kind != "config" || f.Suppressed.Source != tc.source || f.Suppressed.Reason == ""):
			t.Errorf("%s %s: suppression %+v, want config at %s", tc.name, tc.rule, f.Suppressed, tc.source)
		}
	}
	// The expired ignore is reported in JSON and in text.
	const notice = "ignore of host-pid expired on 2020-01-31 and no longer suppresses anything"
	if len(d.Notices) != 1 || d.Notices[0].File != cfg || d.Notices[0].Line != 20 || !strings.Contains(d.Notices[0].Message, notice) {
		t.Errorf("notices = %+v", d.Notices)
	}
	text := run(t, "", "scan", "testdata/suppress")
	if want := "notice: " + cfg + ":20: " + notice; !strings.Contains(text.stdout, want) {
		t.Errorf("text output lacks %q:\n%s", want, text.stdout)
	}
}

func TestAnnotations(t *testing.T) {
	d, r := scanJSON(t, "testdata/annotations.yaml")
	wantCode(t, r, 1)
	check := func(name, container, id, reason string) {
		t.Helper()
		for _, f := range find(d, name, id) {
			if f.Container != container {
				continue
			}
			switch {
			case reason == "" && f.Suppressed != nil:
				t.Errorf("%s/%s %s suppressed: %+v", name, container, id, f.Suppressed)
			case reason != "" && (f.Suppressed == nil || f.Suppressed.Kind != "annotation" || f.Suppressed.Reason != reason || f.Suppressed.Source != "ignore.palisade.dev/"+id):
				t.Errorf("%s/%s %s: suppression %+v, want reason %q", name, container, id, f.Suppressed, reason)
			}
			return
		}
		t.Errorf("no %s finding about %s/%s", id, name, container)
	}
	check("on-object", "cni", "privileged-container", "the CNI needs it")
	check("on-template", "", "host-network", "serves node-local DNS on the host network")
	check("scoped", "sidecar", "privileged-container", "the sidecar loads a kernel module")
	check("scoped", "app", "privileged-container", "")
	check("expired", "app", "privileged-container", "")
	if len(d.Notices) != 1 || d.Notices[0].Line != 57 || !strings.Contains(d.Notices[0].Message, "suppression ignore.palisade.dev/privileged-container on Pod shop/expired expired on 2020-01-31") {
		t.Errorf("notices = %+v", d.Notices)
	}
	if d.Summary.Suppressed != 3 {
		t.Errorf("summary.suppressed = %d, want 3", d.Summary.Suppressed)
	}

	// --strict ignores annotations.
	strict, _ := scanJSON(t, "--strict", "testdata/annotations.yaml")
	for _, f := range strict.Findings {
		if f.Suppressed != nil {
			t.Errorf("--strict: %s about %s suppressed", f.RuleID, f.Object.Name)
		}
	}
	if strict.Summary.Suppressed != 0 || strict.Summary.Failing <= d.Summary.Failing {
		t.Errorf("--strict summary %+v vs %+v", strict.Summary, d.Summary)
	}
}

// Suppressed findings are in the JSON with their reason, hidden from the
// text output unless --show-suppressed.
func TestSuppressedVisibility(t *testing.T) {
	text := scan(t, "testdata/annotations.yaml")
	if strings.Contains(text.stdout, "the CNI needs it") || !strings.Contains(text.stdout, ", 3 suppressed in 4 objects") {
		t.Errorf("text output shows suppressed findings or miscounts them:\n%s", text.stdout)
	}
	if !strings.Contains(text.stdout, `testdata/annotations.yaml:62 privileged-container container "app" runs privileged`) {
		t.Errorf("text output lacks the unsuppressed privileged container:\n%s", text.stdout)
	}
	shown := scan(t, "--show-suppressed", "testdata/annotations.yaml")
	if want := "suppressed (annotation ignore.palisade.dev/privileged-container): the CNI needs it"; !strings.Contains(shown.stdout, want) {
		t.Errorf("--show-suppressed output lacks %q:\n%s", want, shown.stdout)
	}
	if shown.code != text.code {
		t.Errorf("--show-suppressed changed the exit code from %d to %d", text.code, shown.code)
	}
}

func TestVerbose(t *testing.T) {
	const skipped = "skipped testdata/verbose/values.yaml:2: not a Kubernetes object"
	quiet := scan(t, "testdata/verbose")
	wantCode(t, quiet, 0)
	if strings.Contains(quiet.stdout, "values.yaml") {
		t.Errorf("skipped document listed without --verbose:\n%s", quiet.stdout)
	}
	loud := scan(t, "--verbose", "testdata/verbose")
	wantCode(t, loud, 0)
	if !strings.Contains(loud.stdout, skipped) {
		t.Errorf("--verbose output lacks %q:\n%s", skipped, loud.stdout)
	}
	d, _ := scanJSON(t, "testdata/verbose")
	if len(d.Skipped) != 1 || d.Skipped[0].File != "testdata/verbose/values.yaml" {
		t.Errorf("skipped = %+v", d.Skipped)
	}
}

func TestColor(t *testing.T) {
	const esc = "\x1b["
	if r := scan(t, "testdata/golden.yaml"); strings.Contains(r.stdout, esc) {
		t.Error("ANSI codes in output that is not a terminal")
	}
	if r := scan(t, "--color", "never", "testdata/golden.yaml"); strings.Contains(r.stdout, esc) {
		t.Error("ANSI codes with --color never")
	}
	if r := scan(t, "--color", "always", "testdata/golden.yaml"); !strings.Contains(r.stdout, esc+"1;35mCRITICAL") {
		t.Errorf("no colour with --color always:\n%q", r.stdout)
	}
	// Colour is for terminals: never in a file, whatever --color says.
	file := filepath.Join(t.TempDir(), "r.txt")
	if r := scan(t, "--color", "auto", "-o", "text="+file, "testdata/golden.yaml"); r.code != 1 {
		t.Fatalf("exit code %d", r.code)
	}
	if b, _ := os.ReadFile(file); strings.Contains(string(b), esc) || len(b) == 0 {
		t.Errorf("text file output:\n%q", b)
	}
}

// TestGoldenText pins the text output of a representative scan. Refresh
// it with `go test ./internal/cli -update`.
func TestGoldenText(t *testing.T) {
	r := scan(t, "testdata/golden.yaml")
	wantCode(t, r, 1)
	golden := filepath.Join("testdata", "golden.txt.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(r.stdout), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if r.stdout != string(want) {
		t.Errorf("text output differs from %s (run go test -update to accept):\n--- got\n%s\n--- want\n%s", golden, r.stdout, want)
	}
}

func TestRulesCommand(t *testing.T) {
	r := run(t, "", "rules", "-o", "json")
	wantCode(t, r, 0)
	var list []struct {
		ID          string `json:"id"`
		Title       string `json:"title"`
		Severity    string `json:"severity"`
		Category    string `json:"category"`
		Remediation string `json:"remediation"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil {
		t.Fatalf("rules -o json: %v", err)
	}
	var got, want []string
	for _, x := range list {
		got = append(got, x.ID)
		if x.Title == "" || x.Severity == "" || x.Category == "" || x.Remediation == "" {
			t.Errorf("rule %s: incomplete entry %+v", x.ID, x)
		}
	}
	for _, x := range rules.All() {
		want = append(want, x.ID)
	}
	if !slices.Equal(got, want) {
		t.Errorf("rules -o json lists\n%v\nwant rules.All()\n%v", got, want)
	}

	table := run(t, "", "rules")
	wantCode(t, table, 0)
	for _, id := range want {
		if !strings.Contains(table.stdout, id) {
			t.Errorf("rules table lacks %s", id)
		}
	}
	wantCode(t, run(t, "", "rules", "-o", "yaml"), 2)
}

func TestRulesExplain(t *testing.T) {
	r := run(t, "", "rules", "explain", "privileged-container")
	wantCode(t, r, 0)
	p := rules.ByID("privileged-container")
	// The explanation is wrapped: compare words.
	flat := strings.Join(strings.Fields(r.stdout), " ")
	for _, want := range []string{p.ID, p.Title, p.Remediation, "ignore.palisade.dev/privileged-container"} {
		if !strings.Contains(flat, want) {
			t.Errorf("explain output lacks %q", want)
		}
	}
	r = run(t, "", "rules", "explain", "no-such-rule")
	wantCode(t, r, 2)
	if !strings.Contains(r.stderr, `no rule "no-such-rule"`) {
		t.Errorf("stderr = %q", r.stderr)
	}
	wantCode(t, run(t, "", "rules", "explain"), 2)
}

func TestVersion(t *testing.T) {
	r := run(t, "", "--version")
	wantCode(t, r, 0)
	if want := "palisade version " + cli.Version(); !strings.Contains(r.stdout, want) {
		t.Errorf("--version printed %q, want %q", r.stdout, want)
	}
}

// TestInsecureExamples keeps examples/insecure honest: the README promises
// a finding from each of these categories and these headline rules.
func TestInsecureExamples(t *testing.T) {
	r := run(t, "", "scan", "-o", "json", "../../examples/insecure")
	wantCode(t, r, 1)
	d := decodeJSON(t, r.stdout)
	if len(d.InputErrors)+len(d.RuleErrors) > 0 {
		t.Fatalf("errors: %+v %+v", d.InputErrors, d.RuleErrors)
	}
	categories := map[string]bool{}
	ruleHit := map[string]bool{}
	for _, f := range d.Findings {
		categories[f.Category] = true
		ruleHit[f.RuleID] = true
	}
	covered := []rule.Category{
		rule.CategoryPodSecurity, rule.CategoryHostAccess, rule.CategoryRuntime, rule.CategorySupplyChain,
		rule.CategorySecrets, rule.CategoryExposure, rule.CategoryRBAC, rule.CategoryNetwork,
		rule.CategoryControlPlane, rule.CategoryLifecycle, rule.CategoryHygiene,
	}
	for _, c := range covered {
		if !slices.Contains(rule.Categories, c) {
			t.Errorf("category %s is not in rule.Categories", c)
		}
		if !categories[string(c)] {
			t.Errorf("no finding in category %s", c)
		}
	}
	for _, id := range []string{
		"image-tag-latest", "host-port", "load-balancer-source-ranges", // web-app.yaml
		"privileged-container", "container-runtime-socket", "host-path-sensitive", "host-pid", // node-agent.yaml
		"dashboard-insecure-flags", "exposed-admin-ui", // dashboard.yaml
		"rbac-wildcard", "rbac-anonymous-binding", // rbac.yaml
		"secret-in-configmap", "secret-in-env", // leaked-credentials.yaml
		"apiserver-anonymous-auth", "apiserver-always-allow-authorization", // kube-apiserver.yaml
		"pod-security-policy", "deprecated-api-version", "ingress-without-tls", // legacy-apis.yaml
	} {
		if !ruleHit[id] {
			t.Errorf("no %s finding", id)
		}
	}
	// The fake AWS keys are detected as such, in both places.
	for _, id := range []string{"secret-in-configmap", "secret-in-env"} {
		aws := false
		for _, f := range d.Findings {
			aws = aws || (f.RuleID == id && strings.Contains(f.Message, "an AWS access key ID"))
		}
		if !aws {
			t.Errorf("%s: the AWS access key ID is not reported", id)
		}
	}
}

// TestHardenedExamples: examples/hardened passes with its own
// configuration and default settings, with nothing left unsuppressed at
// any severity, and every suppression carries a reason.
func TestHardenedExamples(t *testing.T) {
	for _, level := range []string{"restricted", "baseline"} {
		r := run(t, "", "scan", "--pss-level", level, "-o", "json", "../../examples/hardened")
		wantCode(t, r, 0)
		d := decodeJSON(t, r.stdout)
		for _, f := range d.Findings {
			if f.Suppressed == nil {
				t.Errorf("%s: unsuppressed finding %s:%d %s %s", level, f.File, f.Line, f.RuleID, f.Message)
			} else if f.Suppressed.Reason == "" {
				t.Errorf("%s: suppression without a reason: %+v", level, f.Suppressed)
			}
		}
		for sev, n := range d.Summary.Findings {
			if n != 0 {
				t.Errorf("%s: %d %s findings", level, n, sev)
			}
		}
		if len(d.InputErrors)+len(d.RuleErrors)+len(d.Notices) > 0 {
			t.Errorf("%s: errors or notices: %+v %+v %+v", level, d.InputErrors, d.RuleErrors, d.Notices)
		}
	}
	r := run(t, "", "scan", "../../examples/hardened")
	wantCode(t, r, 0)
	if !strings.HasPrefix(r.stdout, "0 findings, ") {
		t.Errorf("text output:\n%s", r.stdout)
	}
}

// TestScanProfiles writes the hidden CPU and heap profiles: gzipped pprof
// protocol buffers (magic bytes, then a body that decompresses), and the
// scan's output is unchanged by them.
func TestScanProfiles(t *testing.T) {
	dir := t.TempDir()
	cpu, heap := filepath.Join(dir, "cpu.prof"), filepath.Join(dir, "heap.prof")
	plain := scan(t, "../../examples/insecure")
	r := scan(t, "--cpuprofile", cpu, "--memprofile", heap, "../../examples/insecure")
	if r.code != plain.code || r.stdout != plain.stdout {
		t.Fatalf("profiling changed the scan: exit %d, want %d", r.code, plain.code)
	}
	for _, f := range []string{cpu, heap} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s is not gzipped: %v", filepath.Base(f), err)
		}
		body, err := io.ReadAll(zr)
		if err != nil || len(body) == 0 {
			t.Errorf("%s: %d bytes of profile, %v", filepath.Base(f), len(body), err)
		}
	}
}
