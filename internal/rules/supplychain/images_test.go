package supplychain

import (
	"strings"
	"testing"

	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
	"github.com/palisade-dev/palisade/internal/rule/ruletest"
)

// An image that does not parse is an error, not a pass, and it does not
// hide the findings of the pod's other containers.
func TestInvalidImageIsAnError(t *testing.T) {
	res := object.Decode("test.yaml", []byte(`
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
    - {name: bad, image: "Acme/App:1"}
    - {name: good, image: "nginx"}
`))
	if len(res.Errors) > 0 {
		t.Fatal(res.Errors)
	}
	findings, err := ruletest.RunRule(ImageTagLatest, res.Objects, rule.Options{}, nil)
	if err == nil || !strings.Contains(err.Error(), `container "bad": image "Acme/App:1"`) {
		t.Errorf("error = %v, want one naming the container and its image", err)
	}
	if len(findings) != 1 || findings[0].Container != "good" {
		t.Errorf("findings = %+v, want one for container good", findings)
	}
}
