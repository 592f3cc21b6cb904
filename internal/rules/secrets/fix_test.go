package secrets

import (
	"testing"

	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
	"github.com/palisade-dev/palisade/internal/rule/ruletest"
)

func TestTokenAutomountFix(t *testing.T) {
	res := object.Decode("test.yaml", []byte(`
apiVersion: batch/v1
kind: CronJob
metadata: {name: report}
spec:
  schedule: "@daily"
  jobTemplate:
    spec:
      template:
        spec:
          containers: [{name: report, image: "ghcr.io/acme/report:3"}]
`))
	findings, err := ruletest.RunRule(ServiceAccountTokenAutomount, res.Objects, rule.Options{}, nil)
	if err != nil || len(findings) != 1 {
		t.Fatalf("findings = %+v, err = %v; want one finding", findings, err)
	}
	fix := ruletest.Fix(findings[0])
	want := rule.PatchOp{Op: "add", Path: "/spec/jobTemplate/spec/template/spec/automountServiceAccountToken", Value: false}
	if fix == nil || len(fix.Patch) != 1 || fix.Patch[0] != want || !fix.Unsafe || fix.Note == "" {
		t.Errorf("fix = %+v, want the unsafe patch %+v with a note", fix, want)
	}
}
