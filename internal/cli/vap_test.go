package cli_test

import (
	"strings"
	"testing"
)

func TestVAP(t *testing.T) {
	r := run(t, "", "vap", "--rules", "privileged-container,host-pid", "--action", "Warn,Audit", "--name-prefix", "acme-")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{
		"kind: ValidatingAdmissionPolicy\n", "kind: ValidatingAdmissionPolicyBinding\n",
		"name: acme-host-pid\n", "name: acme-privileged-container\n", "- Warn\n  - Audit\n",
		"palisade rule privileged-container (Privileged container): Remove securityContext.privileged",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	if n := strings.Count(r.stdout, "---\n"); n != 4 {
		t.Errorf("%d documents, want 4", n)
	}
	if strings.Contains(r.stdout, "run-as-root") {
		t.Error("--rules did not select")
	}
}

func TestVAPUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"vap", "--rules", "no-such-rule"},
		{"vap", "--rules", "rbac-wildcard"},
		{"vap", "--action", "Deny,Warn"},
		{"vap", "--action", "Block"},
		{"vap", "--failure-policy", "Open"},
		{"vap", "--name-prefix", "Not_Valid"},
		{"vap", "extra-arg"},
		{"vap", "--no-such-flag"},
	} {
		r := run(t, "", args...)
		if r.code != 2 || r.stdout != "" {
			t.Errorf("%v: exit %d, stdout %q; want exit 2 and no output", args, r.code, r.stdout)
		}
	}
}
