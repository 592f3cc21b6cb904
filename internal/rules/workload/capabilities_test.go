package workload

import (
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
	"github.com/palisade-dev/palisade/internal/rule/ruletest"
)

func TestCapabilityName(t *testing.T) {
	for in, want := range map[string]string{
		"SYS_ADMIN": "SYS_ADMIN", "sys_admin": "SYS_ADMIN", "CAP_SYS_ADMIN": "SYS_ADMIN", "cap_sys_admin": "SYS_ADMIN", "all": "ALL",
	} {
		if got := capabilityName(corev1.Capability(in)); got != want {
			t.Errorf("capabilityName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestNearlyPrivilegedSeverity checks that ALL and SYS_ADMIN are raised to
// critical while the other capabilities keep the rule's severity.
func TestNearlyPrivilegedSeverity(t *testing.T) {
	res := object.Decode("test.yaml", []byte(pod(`  containers: [{name: a, image: x, securityContext: {capabilities: {add: [all, CAP_SYS_ADMIN, NET_ADMIN]}}}]`)))
	findings, err := ruletest.RunRule(DangerousCapabilities, res.Objects, rule.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []rule.Severity{rule.Critical, rule.Critical, rule.High}
	if len(findings) != len(want) {
		t.Fatalf("got %d findings, want %d", len(findings), len(want))
	}
	for i, f := range findings {
		if f.Severity != want[i] {
			t.Errorf("%s: severity %v, want %v", f.Message, f.Severity, want[i])
		}
	}
}
