package podsecurity

import (
	"strings"
	"testing"

	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"

	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/rule"
)

// allRules is every rule of the package. TestRulesCoverDefaultChecks keeps
// it in step with policy.DefaultChecks, and the conformance test checks that
// each rule runs the check its PSS reference names.
var allRules = []*rule.Rule{
	AllowPrivilegeEscalation,
	AppArmorProfile,
	CapabilitiesBaseline,
	CapabilitiesRestricted,
	HostNamespaces,
	HostPathVolumes,
	HostPorts,
	HostProbesAndLifecycle,
	Privileged,
	ProcMount,
	ProcMountRestricted,
	RestrictedVolumes,
	RunAsNonRoot,
	RunAsUser,
	SELinuxOptions,
	SeccompProfileBaseline,
	SeccompProfileRestricted,
	Sysctls,
	WindowsHostProcess,
}

// pssCheck returns the level and check ID of the rule's only PSS reference.
func pssCheck(t *testing.T, r *rule.Rule) (api.Level, policy.CheckID) {
	t.Helper()
	var found []framework.Ref
	for _, ref := range r.References {
		if ref.Framework == framework.PSS {
			found = append(found, ref)
		}
	}
	if len(found) != 1 {
		t.Fatalf("rule %s: want exactly one PSS reference, have %v", r.ID, found)
	}
	level, id, _ := strings.Cut(found[0].ID, "/")
	return api.Level(level), policy.CheckID(id)
}

// TestRulesCoverDefaultChecks fails when the API server gains a check that
// has no rule, or a rule names a check it does not have.
func TestRulesCoverDefaultChecks(t *testing.T) {
	levels := map[policy.CheckID]api.Level{}
	for _, c := range policy.DefaultChecks() {
		levels[c.ID] = c.Level
	}
	covered := map[policy.CheckID]string{}
	for _, r := range allRules {
		if err := rule.Validate(r); err != nil {
			t.Error(err)
		}
		if r.Category != rule.CategoryPodSecurity || !strings.HasPrefix(r.ID, "pss-") {
			t.Errorf("rule %s: want a pss- ID in category %s", r.ID, rule.CategoryPodSecurity)
		}
		level, id := pssCheck(t, r)
		want, ok := levels[id]
		switch {
		case !ok:
			t.Errorf("rule %s: PSA has no check %q", r.ID, id)
		case level != want:
			t.Errorf("rule %s: check %s is %s, not %s", r.ID, id, want, level)
		case covered[id] != "":
			t.Errorf("rules %s and %s both cover check %s", covered[id], r.ID, id)
		}
		covered[id] = r.ID
		wantSeverity := map[api.Level]rule.Severity{api.LevelBaseline: rule.High, api.LevelRestricted: rule.Medium}[level]
		if id == "privileged" {
			wantSeverity = rule.Critical
		}
		if r.Severity != wantSeverity {
			t.Errorf("rule %s: severity %v, want %v", r.ID, r.Severity, wantSeverity)
		}
	}
	for id := range levels {
		if covered[id] == "" {
			t.Errorf("PSA check %s has no rule", id)
		}
	}
}
