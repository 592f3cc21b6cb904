package podsecurity

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
	"github.com/palisade-dev/palisade/internal/rule/ruletest"
)

// psaModuleDir returns where the Go command keeps the pod-security-admission
// module this package is built with.
func psaModuleDir(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "k8s.io/pod-security-admission").Output()
	if err != nil {
		t.Fatalf("locating k8s.io/pod-security-admission: %v", err)
	}
	dir := strings.TrimSpace(string(out))
	if dir == "" {
		t.Fatal("k8s.io/pod-security-admission has no module directory; run go mod download")
	}
	return dir
}

// conformanceFixture is one manifest of the PSA module's conformance suite,
// test/testdata/<level>/<version>/<pass|fail>/<check><n>.yaml.
type conformanceFixture struct {
	file, level, version string
	pass                 bool
	// check is the lower-cased ID of the check the fixture exercises, or
	// "base" for the minimal valid pods.
	check string
}

func conformanceFixtures(t *testing.T) []conformanceFixture {
	t.Helper()
	root := filepath.Join(psaModuleDir(t), "test", "testdata")
	files, err := filepath.Glob(filepath.Join(root, "*", "v*", "*", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var out []conformanceFixture
	for _, f := range files {
		rel, _ := filepath.Rel(root, f)
		parts := strings.Split(filepath.ToSlash(rel), "/")
		level, version, verdict := parts[0], parts[1], parts[2]
		if (level != "baseline" && level != "restricted") || (verdict != "pass" && verdict != "fail") {
			t.Fatalf("%s: unexpected fixture layout", f)
		}
		name := strings.TrimSuffix(parts[3], ".yaml")
		check := strings.TrimRight(name, "0123456789")
		if strings.HasPrefix(name, "base") {
			check = "base"
		}
		out = append(out, conformanceFixture{file: f, level: level, version: version, pass: verdict == "pass", check: check})
	}
	return out
}

// decodePod decodes a conformance fixture, which must be exactly one Pod.
func decodePod(t *testing.T, file string) *object.Object {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	res := object.Decode(file, data)
	for _, e := range res.Errors {
		t.Fatalf("%s: %v", file, e)
	}
	if len(res.Objects) != 1 || res.Objects[0].Kind != "Pod" {
		t.Fatalf("%s: want one Pod, decoded %d objects", file, len(res.Objects))
	}
	if _, ok := res.Objects[0].PodTemplate(); !ok {
		t.Fatalf("%s: decoded Pod has no pod template", file)
	}
	return res.Objects[0]
}

// TestConformance feeds every fixture of the PSA module's conformance suite
// through the rules at the fixture's level and version and requires the API
// server's verdict: no finding for a passing pod, at least one for a failing
// pod, including one from the rule for the check the fixture exercises
// (unless a restricted check overrides that check). Each finding must name
// the check of its rule's PSS reference, which ties every rule to the check
// it runs, and point at something more precise than the pod spec.
func TestConformance(t *testing.T) {
	fixtures := conformanceFixtures(t)
	checkOf := map[string]string{} // rule ID -> check ID
	for _, r := range allRules {
		_, id := pssCheck(t, r)
		checkOf[r.ID] = string(id)
	}
	var checked, findings int
	for _, fx := range fixtures {
		obj := decodePod(t, fx.file)
		pod, _ := obj.PodTemplate()
		opts := rule.Options{PSSLevel: fx.level, PSSVersion: fx.version}
		var got []rule.Finding
		for _, r := range allRules {
			fs, err := ruletest.RunRule(r, []*object.Object{obj}, opts, nil)
			if err != nil {
				t.Fatalf("%s: %s: %v", fx.file, r.ID, err)
			}
			got = append(got, fs...)
		}
		p, err := resolve(opts)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		findings += len(got)
		exercised := false
		for _, f := range got {
			id := checkOf[f.RuleID]
			if !strings.Contains(f.Message, " check "+id+": ") {
				t.Errorf("%s: finding of %s does not name check %s: %s", fx.file, f.RuleID, id, f.Message)
			}
			exercised = exercised || strings.ToLower(id) == fx.check
			if f.Path == pod.SpecPath {
				t.Errorf("%s: finding of %s not narrowed down from the pod spec", fx.file, f.RuleID)
			}
		}
		switch {
		case fx.pass && len(got) > 0:
			t.Errorf("%s: want no finding at %s:%s, got %s", fx.file, fx.level, fx.version, got[0].Message)
		case !fx.pass && len(got) == 0:
			t.Errorf("%s: want a finding at %s:%s, got none", fx.file, fx.level, fx.version)
		case !fx.pass && !exercised && runs(p, fx.check):
			t.Errorf("%s: want a finding for check %s at %s:%s, got %d findings", fx.file, fx.check, fx.level, fx.version, len(got))
		}
	}
	t.Logf("checked %d PSA conformance fixtures, %d findings", checked, findings)
	if checked < 500 {
		t.Fatalf("found only %d conformance fixtures; the PSA test data is missing", checked)
	}
}

// runs reports whether the check with the lower-cased ID runs under p.
func runs(p *policyFor, lowerID string) bool {
	for id := range p.checks {
		if strings.ToLower(string(id)) == lowerID {
			return true
		}
	}
	return false
}
