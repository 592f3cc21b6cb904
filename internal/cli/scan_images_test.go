package cli_test

import (
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// TestScanImages pushes real images to an in-process registry, points
// manifests at them and scans with --images: the image findings land on
// the workloads that run each image, at the container's image line, and
// the workload's suppression annotations apply to them.
func TestScanImages(t *testing.T) {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	miner, err := name.ParseReference(host + "/acme/miner:1.0")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(miner, minerImage(t)); err != nil {
		t.Fatal(err)
	}
	clean, err := name.ParseReference(host + "/acme/app:1.0")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(clean, cleanImage(t)); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	manifest := `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: app
          image: HOST/acme/app:1.0
        - name: helper
          image: HOST/acme/miner:1.0
---
apiVersion: batch/v1
kind: Job
metadata:
  name: batch
  namespace: shop
  annotations:
    ignore.palisade.dev/cryptominer-stratum-url: "reason=a test of suppressions"
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: run
          image: HOST/acme/miner:1.0
`
	file := filepath.Join(dir, "app.yaml")
	if err := os.WriteFile(file, []byte(strings.ReplaceAll(manifest, "HOST", host)), 0o600); err != nil {
		t.Fatal(err)
	}
	doc, r := scanJSON(t, "--images", "--fail-on", "critical", file)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1 (a critical image finding)\n%s", r.code, r.stderr)
	}
	var onDeployment, suppressedOnJob int
	for _, f := range doc.Findings {
		if f.RuleID != "cryptominer-stratum-url" {
			continue
		}
		switch {
		case f.Object.Kind == "Deployment" && f.Container == "helper" && f.Suppressed == nil:
			onDeployment++
			if f.Line != 15 || !strings.Contains(f.Message, `image "`+host+`/acme/miner:1.0": `) {
				t.Errorf("finding at line %d: %s", f.Line, f.Message)
			}
		case f.Object.Kind == "Job" && f.Suppressed != nil:
			suppressedOnJob++
		default:
			t.Errorf("unexpected finding: %+v", f)
		}
	}
	if onDeployment != 1 || suppressedOnJob != 1 {
		t.Errorf("stratum findings: %d on the Deployment (want 1), %d suppressed on the Job (want 1)", onDeployment, suppressedOnJob)
	}
	for _, f := range doc.Findings {
		if f.RuleID == "cryptominer-stratum-url" && (f.Title == "" || f.Remediation == "") {
			t.Errorf("the report does not describe the image check: %+v", f)
		}
	}

	// An image that cannot be read is an input error at its image line.
	bad := strings.ReplaceAll(manifest, "HOST/acme/app:1.0", host+"/acme/missing:1.0")
	if err := os.WriteFile(file, []byte(strings.ReplaceAll(bad, "HOST", host)), 0o600); err != nil {
		t.Fatal(err)
	}
	r = scan(t, "--images", file)
	if r.code != 2 || !strings.Contains(r.stderr, "app.yaml:13: image \""+host+"/acme/missing:1.0\" of container \"app\" could not be scanned") {
		t.Errorf("exit %d\n%s", r.code, r.stderr)
	}
	// The image flags need --images.
	wantCode(t, scan(t, "--image-db", dir, file), 2)
}
