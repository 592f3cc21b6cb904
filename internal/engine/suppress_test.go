package engine

import (
	"strings"
	"testing"
	"time"

	"github.com/palisade-dev/palisade/internal/config"
	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
)

func TestParseAnnotation(t *testing.T) {
	for _, tc := range []struct {
		value, reason, expires string
		containers             []string
		err                    string
	}{
		{value: "needs the host network", reason: "needs the host network"},
		{value: "  padded  ", reason: "padded"},
		// A plain reason may contain "=" and ";".
		{value: "the CNI sets hostNetwork=true; reviewed by sec", reason: "the CNI sets hostNetwork=true; reviewed by sec"},
		{value: "reason=needs it", reason: "needs it"},
		{value: "reason=needs it; expires=2027-01-31", reason: "needs it", expires: "2027-01-31"},
		{value: "reason = needs it ; containers = a, b ;", reason: "needs it", containers: []string{"a", "b"}},
		{value: "expires=2027-01-31; reason=x=y", reason: "x=y", expires: "2027-01-31"},
		{value: "expires=2027-01-31", err: "a reason is required"},
		{value: "", err: "a reason is required"},
		{value: "reason=x; expires=31/01/2027", err: "not a date"},
		{value: "reason=x; until=2027-01-31", err: `unknown setting "until"`},
		{value: "reason=x; just words", err: `"just words" is not key=value`},
	} {
		a, err := parseAnnotation(tc.value)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("parseAnnotation(%q) error = %v, want %q", tc.value, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseAnnotation(%q): %v", tc.value, err)
			continue
		}
		if a.Reason != tc.reason || a.Expires != tc.expires || strings.Join(a.containers, ",") != strings.Join(tc.containers, ",") || a.Kind != "annotation" {
			t.Errorf("parseAnnotation(%q) = %+v %v, want reason %q expires %q containers %v", tc.value, a.Suppression, a.containers, tc.reason, tc.expires, tc.containers)
		}
	}
}

func TestMatchPath(t *testing.T) {
	for _, tc := range []struct {
		glob, name string
		want       bool
	}{
		{"a.yaml", "a.yaml", true},
		{"*.yaml", "dir/a.yaml", false},
		{"**/*.yaml", "a.yaml", true},
		{"**/*.yaml", "x/y/a.yaml", true},
		{"charts/**", "charts/a/b.yaml", true},
		{"charts/**", "charts", true},
		{"charts/**/values.yaml", "charts/values.yaml", true},
		{"charts/**/values.yaml", "other/charts/values.yaml", false},
		{"charts/*/values.yaml", "charts/a/b/values.yaml", false},
	} {
		if got := MatchPath(tc.glob, tc.name); got != tc.want {
			t.Errorf("MatchPath(%q, %q) = %v, want %v", tc.glob, tc.name, got, tc.want)
		}
	}
}

// everything reports one finding on every object. It was once called
// old-everything.
var everything = &rule.Rule{
	Meta: rule.Meta{
		ID: "everything", Aliases: []string{"old-everything"}, Title: "Everything", Severity: rule.Medium,
		Category: rule.CategoryHygiene, Doc: "A rule that exists only in this test and reports every object it sees.",
		Remediation: "Do nothing.", References: []framework.Ref{framework.MITRERef("T1611")},
	},
	Run: func(pass *rule.Pass) error {
		pass.Reportf("metadata.name", nil, "%s exists", pass.Object.Ref())
		return nil
	},
}

const objects = `apiVersion: v1
kind: Namespace
metadata:
  name: team-a
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: in-team-a
  namespace: team-a
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: annotated
  namespace: team-b
  annotations:
    ignore.palisade.dev/old-everything: suppressed under the rule's former ID
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: other
  namespace: team-b
`

func run(t *testing.T, cfgYAML string) map[string]*Suppression {
	t.Helper()
	cfg, err := config.Parse("cfg.yaml", []byte(cfgYAML))
	if err != nil {
		t.Fatal(err)
	}
	sel, err := Select([]*rule.Rule{everything}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	dec := object.Decode("objects.yaml", []byte(objects))
	res := Run(object.NewSet(dec.Objects), Options{Rules: sel, Config: cfg, Now: func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }})
	out := map[string]*Suppression{}
	for _, f := range res.Findings {
		out[f.Object.Name] = f.Suppressed
	}
	if len(out) != 4 {
		t.Fatalf("want 4 findings, got %+v", res.Findings)
	}
	return out
}

// Suppressions written with a rule's former ID still apply, in annotations
// and in ignores.
func TestSuppressionByAlias(t *testing.T) {
	got := run(t, "version: 1\nignore:\n  - rules: [old-everything]\n    names: [other]\n    reason: ignored under the former ID\n")
	if s := got["annotated"]; s == nil || s.Reason != "suppressed under the rule's former ID" {
		t.Errorf("annotation with an alias: %+v", s)
	}
	if s := got["other"]; s == nil || s.Reason != "ignored under the former ID" {
		t.Errorf("ignore with an alias: %+v", s)
	}
	if got["in-team-a"] != nil || got["team-a"] != nil {
		t.Errorf("suppressed too much: %+v", got)
	}
}

// An ignore's namespaces select a Namespace object by its own name, and
// namespaced objects by their namespace.
func TestIgnoreNamespaceOfNamespace(t *testing.T) {
	got := run(t, "version: 1\nignore:\n  - rules: [everything]\n    namespaces: [team-a]\n    reason: team-a is a sandbox\n")
	if got["team-a"] == nil || got["in-team-a"] == nil {
		t.Errorf("namespace team-a and its objects not suppressed: %+v", got)
	}
	if got["other"] != nil {
		t.Errorf("object in team-b suppressed: %+v", got["other"])
	}
}

func TestSelectRejectsIDAndAlias(t *testing.T) {
	cfg, err := config.Parse("cfg.yaml", []byte("version: 1\nrules:\n  everything:\n    severity: low\n  old-everything:\n    enabled: false\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Select([]*rule.Rule{everything}, cfg)
	if err == nil || !strings.Contains(err.Error(), "both configure rule everything") {
		t.Errorf("Select error = %v", err)
	}
}
