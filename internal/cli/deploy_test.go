package cli_test

import (
	"strings"
	"testing"
)

// TestOwnDeployManifestsPassRestricted scans everything under deploy/ that
// is plain YAML (the scanner's RBAC and CronJob, the webhook's kustomize
// base) the way a user would: at the restricted Pod Security Standard,
// failing on any finding. Palisade's own manifests must pass its own
// scan; the Helm chart is checked in internal/deploy.
func TestOwnDeployManifestsPassRestricted(t *testing.T) {
	r := run(t, "", "scan", "--no-config", "--pss-level", "restricted", "--fail-on", "info",
		"../../deploy/rbac", "../../deploy/scanner", "../../deploy/webhook")
	if r.code != 0 || !strings.Contains(r.stdout, "0 findings") {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	// Every suppression must say why.
	if strings.Contains(r.stderr, "ignored suppression") {
		t.Errorf("a suppression did not apply:\n%s", r.stderr)
	}
}
