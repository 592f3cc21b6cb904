package admission

import (
	"strings"
	"testing"

	"github.com/palisade-dev/palisade/internal/rules"
)

func TestPolicyErrors(t *testing.T) {
	head := "apiVersion: palisade.dev/v1alpha1\nkind: AdmissionPolicy\n"
	for _, tc := range []struct{ name, text, want string }{
		{"not a policy", "apiVersion: v1\nkind: ConfigMap\n", "policy.yaml:2: not a policy file"},
		{"unknown key", head + "defaults:\n  mode: enforce\n  denyat: high\n", `field denyat not found`},
		{"bad mode", head + "defaults:\n  mode: block\n", "policy.yaml:4: mode must be enforce, warn or audit"},
		{"bad severity", head + "profiles:\n  p:\n    denyAt: severe\n", "policy.yaml:5: denyAt"},
		{"bad pss level", head + "defaults:\n  pss: {level: strict}\n", "pss.level must be baseline or restricted"},
		{"unknown rule", head + "defaults:\n  rules:\n    no-such-rule: {enabled: false}\n", "rules.no-such-rule: no such rule"},
		{"unknown profile", head + "namespaces:\n  - names: [a]\n    profile: nope\n", `policy.yaml:4: namespaces entry names unknown profile "nope"`},
		{"entry selects nothing", head + "namespaces:\n  - profile: defaults\n", "policy.yaml:4: namespaces entry needs names or a selector"},
		{"bad selector", head + "namespaces:\n  - selector: {matchExpressions: [{key: a, operator: Near}]}\n    profile: defaults\n", "policy.yaml:4: selector"},
		{"exemption without reason", head + "exemptions:\n  - namespaces: [a]\n", "policy.yaml:4: exemption: reason is required"},
		{"exemption of everything", head + "exemptions:\n  - rules: [host-pid]\n    reason: x\n", "exempts everything"},
		{"exemption of unknown rule", head + "exemptions:\n  - namespaces: [a]\n    rules: [nope]\n    reason: x\n", `unknown rule "nope"`},
		{"bad service account", head + "exemptions:\n  - serviceAccounts: [deployer]\n    reason: x\n", `service account "deployer" is not namespace/name`},
		{"bad expiry", head + "exemptions:\n  - users: [u]\n    reason: x\n    expires: next week\n", "YYYY-MM-DD"},
		{"bad action", head + "invalidObjects: maybe\n", "policy.yaml:3: invalidObjects: want allow or deny"},
		{"reserved profile name", head + "profiles:\n  defaults: {mode: warn}\n", "reserved"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParsePolicy("policy.yaml", []byte(tc.text), rules.All())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestProfileInheritsDefaults(t *testing.T) {
	p, err := ParsePolicy("policy.yaml", []byte(`apiVersion: palisade.dev/v1alpha1
kind: AdmissionPolicy
defaults:
  mode: warn
  denyAt: critical
  pss: {level: baseline, version: v1.30}
  rules:
    probes-missing: {enabled: true}
profiles:
  p: {denyAt: medium}
`), rules.All())
	if err != nil {
		t.Fatal(err)
	}
	prof := p.Profiles["p"]
	if prof.Mode != Warn || prof.DenyAt.String() != "medium" || prof.ruleOpts.PSSLevel != "baseline" || prof.ruleOpts.PSSVersion != "v1.30" {
		t.Errorf("profile p = %+v %+v", prof, prof.ruleOpts)
	}
	has := func(prof *Profile, id string) bool {
		for _, c := range prof.rules {
			if c.Rule.ID == id {
				return true
			}
		}
		return false
	}
	if !has(prof, "probes-missing") {
		t.Error("rule enabled in defaults is off in the profile")
	}
	if has(prof, "workload-without-network-policy") || has(p.Defaults, "attack-path") {
		t.Error("a rule that needs other objects runs in admission")
	}
}

func TestExemptionByGroupAndKind(t *testing.T) {
	h := newTestHandler(t, `apiVersion: palisade.dev/v1alpha1
kind: AdmissionPolicy
exemptions:
  - groups: [platform-admins]
    kinds: [Deploy*]
    reason: the platform team ships agents
`, nil)
	dep := fixture(t, "privileged-deployment.yaml")
	admin := alice
	admin.Groups = []string{"platform-admins"}
	if resp := admit(t, h.Validating(), reviewOf(t, "CREATE", dep, nil, admin)); !resp.Allowed {
		t.Errorf("group exemption ignored: %s", resp.Result.Message)
	}
	if resp := admit(t, h.Validating(), reviewOf(t, "CREATE", dep, nil, alice)); resp.Allowed {
		t.Error("user outside the group exempted")
	}
	pod := []byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"apps"},"spec":{"containers":[{"name":"c","image":"x:1","securityContext":{"privileged":true}}]}}`)
	if resp := admit(t, h.Validating(), reviewOf(t, "CREATE", pod, nil, admin)); resp.Allowed {
		t.Error("kind selector ignored: a Pod was exempted as a Deployment")
	}
}
