package servicemesh

import (
	"reflect"
	"testing"

	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
	"github.com/palisade-dev/palisade/internal/rule/ruletest"
)

func run(t *testing.T, r *rule.Rule, manifest string) ([]rule.Finding, error) {
	t.Helper()
	res := object.Decode("test.yaml", []byte(manifest))
	for _, err := range res.Errors {
		t.Fatal(err)
	}
	return ruletest.RunRule(r, res.Objects, rule.Options{}, nil)
}

func TestPeerAuthenticationSeverityAndFix(t *testing.T) {
	findings, err := run(t, PeerAuthenticationPermissive, `
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: istio-system}
spec:
  mtls: {mode: PERMISSIVE}
  portLevelMtls:
    "8080": {mode: DISABLE}
`)
	if err != nil || len(findings) != 2 {
		t.Fatalf("got %d findings (error %v), want 2", len(findings), err)
	}
	want := []struct {
		severity rule.Severity
		patch    []rule.PatchOp
	}{
		{rule.Medium, []rule.PatchOp{{Op: "add", Path: "/spec/mtls/mode", Value: "STRICT"}}},
		{rule.High, []rule.PatchOp{{Op: "add", Path: "/spec/portLevelMtls/8080/mode", Value: "STRICT"}}},
	}
	for i, f := range findings {
		fix := ruletest.Fix(f)
		if f.Severity != want[i].severity || fix == nil || !fix.Unsafe || !reflect.DeepEqual(fix.Patch, want[i].patch) {
			t.Errorf("finding %d: severity %v fix %+v, want %v and unsafe %+v", i, f.Severity, fix, want[i].severity, want[i].patch)
		}
	}
}

func TestMalformedResourcesAreErrors(t *testing.T) {
	tests := []struct {
		name     string
		r        *rule.Rule
		manifest string
	}{
		{"mode not a string", PeerAuthenticationPermissive, `
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: p}
spec: {mtls: {mode: [STRICT]}}`},
		{"portLevelMtls not a mapping", PeerAuthenticationPermissive, `
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: p}
spec: {portLevelMtls: [8080]}`},
		{"rules not a list", AuthorizationPolicyAllowAll, `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: p}
spec: {rules: {from: []}}`},
		{"from not a list", AuthorizationPolicyAllowAll, `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: p}
spec: {rules: [{from: {source: {}}}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if findings, err := run(t, tt.r, tt.manifest); err == nil {
				t.Errorf("no error (findings %v)", findings)
			}
		})
	}
}
