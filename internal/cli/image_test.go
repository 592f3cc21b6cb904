package cli_test

import (
	"encoding/json"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/palisade-dev/palisade/internal/image/imagetest"
)

func cleanImage(t *testing.T) v1.Image {
	return imagetest.Image(t, v1.Config{User: "1000", Healthcheck: &v1.HealthConfig{Test: []string{"CMD", "true"}}},
		imagetest.Step{CreatedBy: "ADD rootfs /", Layer: imagetest.Layer(t,
			imagetest.File("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n"),
			imagetest.File("var/lib/dpkg/status", "Package: libssl3\nStatus: install ok installed\nSource: openssl\nVersion: 3.0.11-1~deb12u2\nArchitecture: amd64\n"),
		)})
}

func minerImage(t *testing.T) v1.Image {
	return imagetest.Image(t, v1.Config{},
		imagetest.Step{CreatedBy: "ADD rootfs /", Layer: imagetest.Layer(t, imagetest.File("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n"))},
		imagetest.Step{CreatedBy: "COPY miner /opt", Layer: imagetest.Layer(t, imagetest.File("opt/config.json", `{"url": "stratum+tcp://pool.example:3333"}`))},
	)
}

func TestImageExitCodes(t *testing.T) {
	clean := imagetest.WriteTarball(t, cleanImage(t), "registry.example/app:1.0")
	miner := imagetest.WriteTarball(t, minerImage(t), "registry.example/miner:1.0")
	r := run(t, "", "image", "--input", clean)
	wantCode(t, r, 0)
	if !strings.Contains(r.stdout, "Image registry.example/app:1.0") || !strings.Contains(r.stdout, "no vulnerability database") {
		t.Errorf("stdout:\n%s", r.stdout)
	}
	r = run(t, "", "image", "--input", miner)
	wantCode(t, r, 1)
	if !strings.Contains(r.stdout, "CRITICAL cryptominer-stratum-url /opt/config.json:1") || !strings.Contains(r.stdout, "COPY miner /opt") {
		t.Errorf("stdout:\n%s", r.stdout)
	}
	// Raising --fail-on above the findings passes.
	wantCode(t, run(t, "", "image", "--input", clean, "--fail-on", "critical", "--min-severity", "high"), 0)
	// Usage errors and unreadable input.
	wantCode(t, run(t, "", "image"), 2)
	wantCode(t, run(t, "", "image", "--input", clean, "--oci-layout", "x"), 2)
	wantCode(t, run(t, "", "image", "--input", clean, "-o", "xml"), 2)
	wantCode(t, run(t, "", "image", "--input", filepath.Join(t.TempDir(), "missing.tar")), 2)
	wantCode(t, run(t, "", "image", "--input", clean, "--disable", "no-such-check"), 2)
}

func TestImageVulnerabilitiesAndDBImport(t *testing.T) {
	clean := imagetest.WriteTarball(t, cleanImage(t), "registry.example/app:1.0")
	src := filepath.Join(t.TempDir(), "DSA-0001-1.json")
	_ = os.WriteFile(src, []byte(`{"id":"DSA-0001-1","aliases":["CVE-2099-0001"],"summary":"openssl: overflow","database_specific":{"severity":"HIGH"},
		"affected":[{"package":{"ecosystem":"Debian:12","name":"openssl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.0.11-1~deb12u3"}]}]}]}`), 0o644)
	db := filepath.Join(t.TempDir(), "db")
	r := run(t, "", "db", "import", "--db", db, src)
	wantCode(t, r, 0)
	if !strings.Contains(r.stdout, "imported 1 advisories") {
		t.Errorf("stdout: %s", r.stdout)
	}
	r = run(t, "", "image", "--input", clean, "--db", db, "-o", "json")
	wantCode(t, r, 1)
	var doc struct {
		Findings []struct {
			RuleID   string `json:"ruleId"`
			Severity string `json:"severity"`
			Advisory struct {
				ID, Fixed string
			} `json:"advisory"`
		} `json:"findings"`
		Packages []struct{ PURL string } `json:"packages"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	if len(doc.Findings) != 1 || doc.Findings[0].RuleID != "vulnerable-package" || doc.Findings[0].Severity != "high" || doc.Findings[0].Advisory.Fixed != "3.0.11-1~deb12u3" {
		t.Errorf("findings = %+v", doc.Findings)
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	_ = os.WriteFile(bad, []byte("{"), 0o644)
	wantCode(t, run(t, "", "db", "import", "--db", db, bad), 2)
}

func TestImageOutputs(t *testing.T) {
	dir := imagetest.WriteLayout(t, map[string]v1.Image{"linux/amd64": minerImage(t), "linux/arm64": cleanImage(t)})
	out := t.TempDir()
	sarifFile, cdx, spdx := filepath.Join(out, "r.sarif"), filepath.Join(out, "bom.cdx.json"), filepath.Join(out, "bom.spdx.json")
	r := run(t, "", "image", "--oci-layout", dir, "-o", "sarif="+sarifFile, "-o", "cyclonedx="+cdx, "-o", "spdx="+spdx, "-o", "json")
	wantCode(t, r, 1)
	for _, f := range []string{sarifFile, cdx, spdx} {
		b, err := os.ReadFile(f)
		if err != nil || !json.Valid(b) {
			t.Errorf("%s: %v", f, err)
		}
	}
	// The SARIF log conforms to the official schema kept in shared/.
	schemaPath := filepath.Join("..", "..", "..", "shared", "schemas", "sarif-schema-2.1.0.json")
	sf, err := os.Open(schemaPath)
	if err != nil {
		t.Skipf("SARIF schema not available: %v", err)
	}
	defer sf.Close()
	sdoc, err := jsonschema.UnmarshalJSON(sf)
	if err != nil {
		t.Fatal(err)
	}
	const url = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
	c := jsonschema.NewCompiler()
	if err := c.AddResource(url, sdoc); err != nil {
		t.Fatal(err)
	}
	schema, err := c.Compile(url)
	if err != nil {
		t.Fatal(err)
	}
	lf, _ := os.Open(sarifFile)
	defer lf.Close()
	inst, err := jsonschema.UnmarshalJSON(lf)
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(inst); err != nil {
		t.Errorf("SARIF log does not conform: %v", err)
	}
	// The arm64 image of the same layout is clean.
	wantCode(t, run(t, "", "image", "--oci-layout", dir, "--platform", "linux/arm64", "--fail-on", "medium"), 0)
}

func TestImageFromRegistry(t *testing.T) {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	ref, err := name.ParseReference(strings.TrimPrefix(srv.URL, "http://") + "/acme/miner:latest")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, minerImage(t)); err != nil {
		t.Fatal(err)
	}
	r := run(t, "", "image", ref.String(), "--fail-on", "critical")
	wantCode(t, r, 1)
	for _, want := range []string{"cryptominer-stratum-url", "image-latest-tag", "image-runs-as-root"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("no %s in:\n%s", want, r.stdout)
		}
	}
}
