package supplychain

import (
	"testing"

	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
	"github.com/palisade-dev/palisade/internal/rule/ruletest"
)

func TestPullPolicyFix(t *testing.T) {
	res := object.Decode("test.yaml", []byte(`
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      initContainers: [{name: setup, image: "busybox:1.36", imagePullPolicy: Always}]
      containers: [{name: web, image: "nginx:1.27"}]
`))
	findings, err := ruletest.RunRule(ImagePullPolicy, res.Objects, rule.Options{}, nil)
	if err != nil || len(findings) != 1 {
		t.Fatalf("findings = %+v, err = %v; want one finding", findings, err)
	}
	fix := ruletest.Fix(findings[0])
	want := rule.PatchOp{Op: "add", Path: "/spec/template/spec/containers/0/imagePullPolicy", Value: "Always"}
	if fix == nil || len(fix.Patch) != 1 || fix.Patch[0] != want || !fix.Unsafe || fix.Note == "" {
		t.Errorf("fix = %+v, want the unsafe patch %+v with a note", fix, want)
	}
}
