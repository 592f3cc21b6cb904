package sbom

import (
	"archive/zip"
	"bytes"
	"debug/buildinfo"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

func names(pkgs []Package) []string {
	var out []string
	for _, p := range pkgs {
		out = append(out, p.Name+"@"+p.Version)
	}
	return out
}

// checkGlibcNaming checks the ecosystem and purl Finalize gives an rpm
// glibc package at version under the os-release file osRelease.
func checkGlibcNaming(t *testing.T, osRelease, version, ecosystem, purl string) {
	t.Helper()
	f := mustParse(t, "/etc/os-release", []byte(osRelease))
	pk := Finalize([]Package{{Name: "glibc", Version: version, Type: "rpm", Arch: "x86_64", Source: "glibc", SourceVersion: version}}, f.OS)
	if pk[0].Ecosystem != ecosystem {
		t.Errorf("ecosystem = %q, want %q", pk[0].Ecosystem, ecosystem)
	}
	if pk[0].PURL != purl {
		t.Errorf("purl = %s, want %s", pk[0].PURL, purl)
	}
}

func mustParse(t *testing.T, p string, content []byte) *Found {
	t.Helper()
	if Wants(p) != Content {
		t.Fatalf("Wants(%s) = %v", p, Wants(p))
	}
	f, err := Parse(p, 0, content)
	if err != nil {
		t.Fatal(err)
	}
	if f == nil {
		t.Fatalf("%s: nothing found", p)
	}
	return f
}

const dpkgStatus = `Package: libssl3
Status: install ok installed
Architecture: amd64
Source: openssl (3.0.11-1~deb12u2)
Version: 3.0.11-1~deb12u2+b1
Description: Secure Sockets Layer toolkit
 continuation line

Package: removed-pkg
Status: deinstall ok config-files
Version: 1.0

Package: bash
Status: install ok installed
Architecture: amd64
Version: 5.2.15-2+b2
`

func TestDpkg(t *testing.T) {
	f := mustParse(t, "/var/lib/dpkg/status", []byte(dpkgStatus))
	if got := names(f.Packages); !slices.Equal(got, []string{"libssl3@3.0.11-1~deb12u2+b1", "bash@5.2.15-2+b2"}) {
		t.Fatalf("packages = %v", got)
	}
	if p := f.Packages[0]; p.Source != "openssl" || p.SourceVersion != "3.0.11-1~deb12u2" {
		t.Errorf("source = %s %s", p.Source, p.SourceVersion)
	}
	// distroless: one stanza per file, no Status.
	f = mustParse(t, "/var/lib/dpkg/status.d/base-files", []byte("Package: base-files\nVersion: 12.4+deb12u5\nArchitecture: amd64\n"))
	if got := names(f.Packages); !slices.Equal(got, []string{"base-files@12.4+deb12u5"}) {
		t.Fatalf("status.d packages = %v", got)
	}
	if Wants("/var/lib/dpkg/status.d/base-files.md5sums") == Content {
		t.Error("md5sums files are not package data")
	}
	f = mustParse(t, "/var/lib/dpkg/info/bash.list", []byte("/.\n/bin\n/bin/bash\n"))
	if !slices.Equal(f.Owned, []string{"/bin", "/bin/bash"}) {
		t.Errorf("owned = %v", f.Owned)
	}
	os := &OS{ID: "debian", VersionID: "12"}
	pk := Finalize(mustParse(t, "/var/lib/dpkg/status", []byte(dpkgStatus)).Packages, os)
	if pk[1].Ecosystem != "Debian:12" || pk[1].PURL != "pkg:deb/debian/libssl3@3.0.11-1~deb12u2%2Bb1?arch=amd64&distro=debian-12" {
		t.Errorf("finalized = %+v", pk[1])
	}
}

func TestApk(t *testing.T) {
	db := "C:Q1abc=\nP:musl\nV:1.2.4-r2\nA:x86_64\nL:MIT\no:musl\nF:lib\nR:ld-musl-x86_64.so.1\nR:libc.musl-x86_64.so.1\n\nP:libcrypto3\nV:3.1.4-r5\nA:x86_64\nL:Apache-2.0\no:openssl\nF:usr/lib\nR:libcrypto.so.3\n"
	f := mustParse(t, "/lib/apk/db/installed", []byte(db))
	if got := names(f.Packages); !slices.Equal(got, []string{"musl@1.2.4-r2", "libcrypto3@3.1.4-r5"}) {
		t.Fatalf("packages = %v", got)
	}
	if f.Packages[1].Source != "openssl" || f.Packages[1].Licenses[0] != "Apache-2.0" {
		t.Errorf("libcrypto3 = %+v", f.Packages[1])
	}
	if !slices.Contains(f.Owned, "/lib/ld-musl-x86_64.so.1") || !slices.Contains(f.Owned, "/usr/lib/libcrypto.so.3") {
		t.Errorf("owned = %v", f.Owned)
	}
	pk := Finalize(f.Packages, &OS{ID: "alpine", VersionID: "3.19.1"})
	if pk[0].Ecosystem != "Alpine:v3.19" {
		t.Errorf("ecosystem = %s", pk[0].Ecosystem)
	}
}

func TestLanguagePackages(t *testing.T) {
	f := mustParse(t, "/app/node_modules/@types/node/package.json", []byte(`{"name":"@types/node","version":"20.11.5","license":"MIT"}`))
	pk := Finalize(f.Packages, nil)
	if pk[0].PURL != "pkg:npm/%40types/node@20.11.5" {
		t.Errorf("npm purl = %s", pk[0].PURL)
	}
	if Wants("/app/package.json") == Content {
		t.Error("an application's own package.json is not a dependency")
	}
	f = mustParse(t, "/usr/lib/python3/dist-packages/PyYAML-6.0.1.dist-info/METADATA", []byte("Metadata-Version: 2.1\nName: PyYAML\nVersion: 6.0.1\nLicense: MIT\n\nLong description\nName: not-this\n"))
	pk = Finalize(f.Packages, nil)
	if pk[0].Name != "PyYAML" || pk[0].PURL != "pkg:pypi/pyyaml@6.0.1" {
		t.Errorf("python = %+v", pk[0])
	}
	f = mustParse(t, "/usr/lib/python3/site-packages/six-1.16.0.egg-info/PKG-INFO", []byte("Metadata-Version: 1.1\nName: six\nVersion: 1.16.0\n"))
	if names(f.Packages)[0] != "six@1.16.0" {
		t.Errorf("egg-info = %v", names(f.Packages))
	}
}

func jar(t *testing.T, files map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	keys := make([]string, 0, len(files))
	for k := range files {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		w, err := zw.Create(k)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write(files[k])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestJava(t *testing.T) {
	inner := jar(t, map[string][]byte{
		"META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties": []byte("groupId=org.apache.logging.log4j\nartifactId=log4j-core\nversion=2.14.1\n"),
	})
	outer := jar(t, map[string][]byte{
		"META-INF/MANIFEST.MF":               []byte("Manifest-Version: 1.0\r\nImplementation-Title: shop\r\nImplementation-Version: 1.4.0\r\n\r\n"),
		"BOOT-INF/lib/log4j-core-2.14.1.jar": inner,
	})
	f := mustParse(t, "/app/shop.jar", outer)
	got := names(f.Packages)
	if !slices.Contains(got, "log4j-core@2.14.1") {
		t.Fatalf("packages = %v", got)
	}
	pk := Finalize(f.Packages, nil)
	if pk[0].PURL != "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1" || !strings.Contains(pk[0].Path, "/app/shop.jar") {
		t.Errorf("maven = %+v", pk[0])
	}
	f = mustParse(t, "/opt/lib/plain.jar", jar(t, map[string][]byte{"META-INF/MANIFEST.MF": []byte("Implementation-Title: plain\nImplementation-Version: 0.3\n")}))
	if got := names(f.Packages); !slices.Equal(got, []string{"plain@0.3"}) {
		t.Errorf("manifest-only jar = %v", got)
	}
	if _, err := Parse("/x.jar", 0, []byte("not a zip")); err == nil {
		t.Error("a corrupt jar must be an error")
	}
}

// goBinary returns the test binary: a Go binary with build information
// and real dependencies, built by go test.
func goBinary(t *testing.T) []byte {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGoBinary(t *testing.T) {
	b := goBinary(t)
	f, err := Parse("/usr/local/bin/app", 0, b)
	if err != nil || f == nil {
		t.Fatalf("Parse = %v, %v", f, err)
	}
	got := strings.Join(names(f.Packages), " ")
	if !strings.Contains(got, "stdlib@v1.") {
		t.Errorf("go packages = %s", got)
	}
	// The streaming reader finds the same, across piece boundaries.
	var g GoStream
	for off := 0; off < len(b); off += 100_003 {
		g.Feed(b[off:min(len(b), off+100_003)], int64(off))
	}
	if s := strings.Join(names(g.Packages()), " "); s != got {
		t.Errorf("streamed = %s\nwhole    = %s", s, got)
	}
	if f, _ := Parse("/bin/sh", 0, []byte("\x7fELF not go")); f != nil {
		t.Errorf("non-Go ELF gave %+v", f)
	}
}

// TestGoBinaryBuilt builds a small program and reads it back.
func TestGoBinaryBuilt(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go build")
	}
	dir := t.TempDir()
	_ = os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/hello\n\ngo 1.22\n\nrequire example.com/dep v1.2.3\n\nreplace example.com/dep => ./dep\n"), 0o644)
	_ = os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nimport \"example.com/dep\"\n\nfunc main() { println(dep.Hi) }\n"), 0o644)
	_ = os.MkdirAll(filepath.Join(dir, "dep"), 0o755)
	_ = os.WriteFile(filepath.Join(dir, "dep", "go.mod"), []byte("module example.com/dep\n\ngo 1.22\n"), 0o644)
	_ = os.WriteFile(filepath.Join(dir, "dep", "dep.go"), []byte("package dep\n\nconst Hi = \"hi\"\n"), 0o644)
	cmd := exec.Command("go", "build", "-o", "hello", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-buildvcs=false")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "hello"))
	bi, err := buildinfo.Read(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	f, _ := Parse("/hello", 0, b)
	want := []string{"example.com/dep@v1.2.3", "stdlib@v" + strings.TrimPrefix(bi.GoVersion, "go")}
	if f == nil || !slices.Equal(names(f.Packages), want) {
		t.Errorf("packages = %+v, want %v", f, want)
	}
}

func compileSchema(t *testing.T, main string, files map[string]string) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	for url, file := range files {
		f, err := os.Open(filepath.Join("testdata/schema", file))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(f)
		_ = f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if err := c.AddResource(url, doc); err != nil {
			t.Fatal(err)
		}
	}
	s, err := c.Compile(main)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func validate(t *testing.T, s *jsonschema.Schema, b []byte) {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(doc); err != nil {
		t.Errorf("invalid document: %v\n%s", err, b[:min(len(b), 2000)])
	}
}

func samplePackages(t *testing.T) ([]Package, *OS) {
	os := &OS{ID: "debian", VersionID: "12"}
	pkgs := mustParse(t, "/var/lib/dpkg/status", []byte(dpkgStatus)).Packages
	pkgs = append(pkgs, mustParse(t, "/app/node_modules/@types/node/package.json", []byte(`{"name":"@types/node","version":"20.11.5","license":"MIT"}`)).Packages...)
	pkgs = append(pkgs, Package{Name: "github.com/google/uuid", Version: "v1.6.0", Type: "golang", Ecosystem: "Go", Path: "/app/server", Layer: 2, Licenses: []string{"BSD 3-clause, see LICENSE"}})
	return Finalize(pkgs, os), os
}

func TestCycloneDXValidatesAgainstSchema(t *testing.T) {
	s := compileSchema(t, "http://cyclonedx.org/schema/bom-1.5.schema.json", map[string]string{
		"http://cyclonedx.org/schema/bom-1.5.schema.json":           "bom-1.5.SNAPSHOT.schema.json",
		"http://cyclonedx.org/schema/spdx.SNAPSHOT.schema.json":     "spdx.SNAPSHOT.schema.json",
		"http://cyclonedx.org/schema/jsf-0.82.SNAPSHOT.schema.json": "jsf-0.82.SNAPSHOT.schema.json",
	})
	pkgs, os := samplePackages(t)
	var buf bytes.Buffer
	vulns := []Vulnerability{{ID: "CVE-2024-0001", Severity: "high", Summary: "x", Fixed: "3.0.13-1~deb12u1", PURL: pkgs[len(pkgs)-1].PURL, Path: pkgs[len(pkgs)-1].Path}}
	if err := WriteCycloneDX(&buf, Subject{Name: "registry.example/app:1", Digest: "sha256:abc", Platform: "linux/amd64", OS: os}, pkgs, vulns, Tool{"palisade", "dev"}, time.Unix(1700000000, 0)); err != nil {
		t.Fatal(err)
	}
	validate(t, s, buf.Bytes())
	if !strings.Contains(buf.String(), `"vulnerabilities"`) {
		t.Error("no vulnerabilities section")
	}
	// The schema is strict enough to catch a broken document.
	doc, _ := jsonschema.UnmarshalJSON(strings.NewReader(`{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"type":"nonsense","name":"x"}]}`))
	if s.Validate(doc) == nil {
		t.Error("schema accepted an invalid component type")
	}
}

// TestSPDXValidatesAgainstSchema validates against the official SPDX 2.3
// JSON schema (testdata/schema/README.md). The schema leaves the form of
// SPDX identifiers (clauses 3.2 and 7.2) and the targets of relationships
// to the prose; the test checks those itself.
func TestSPDXValidatesAgainstSchema(t *testing.T) {
	id := "http://spdx.org/rdf/terms/2.3"
	s := compileSchema(t, id, map[string]string{id: "spdx-schema-2.3.json"})
	pkgs, os := samplePackages(t)
	var buf bytes.Buffer
	if err := WriteSPDX(&buf, Subject{Name: "registry.example/app:1", Digest: "sha256:abc", OS: os}, pkgs, Tool{"palisade", "dev"}, time.Unix(1700000000, 0)); err != nil {
		t.Fatal(err)
	}
	validate(t, s, buf.Bytes())

	var doc struct {
		SPDXID   string
		Packages []struct {
			SPDXID string
		}
		Relationships []struct {
			SPDXElementID      string `json:"spdxElementId"`
			RelatedSPDXElement string `json:"relatedSpdxElement"`
		}
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	spdxID := regexp.MustCompile(`^SPDXRef-[A-Za-z0-9.-]+$`)
	ids := map[string]bool{doc.SPDXID: true}
	for _, p := range doc.Packages {
		if !spdxID.MatchString(p.SPDXID) || ids[p.SPDXID] {
			t.Errorf("bad or repeated SPDX ID %q", p.SPDXID)
		}
		ids[p.SPDXID] = true
	}
	for _, r := range doc.Relationships {
		if !ids[r.SPDXElementID] || !ids[r.RelatedSPDXElement] {
			t.Errorf("relationship between unknown elements %q and %q", r.SPDXElementID, r.RelatedSPDXElement)
		}
	}

	// The schema is strict enough to catch a broken document.
	const head = `{"spdxVersion":"SPDX-2.3","dataLicense":"CC0-1.0","SPDXID":"SPDXRef-DOCUMENT","name":"x","documentNamespace":"https://x/y","creationInfo":{"created":"2024-01-01T00:00:00Z","creators":["Tool: x"]},`
	for what, body := range map[string]string{
		"a package without downloadLocation": `"packages":[{"name":"a","SPDXID":"SPDXRef-a"}]}`,
		"an unknown relationship type":       `"packages":[{"name":"a","SPDXID":"SPDXRef-a","downloadLocation":"NOASSERTION"}],"relationships":[{"spdxElementId":"SPDXRef-DOCUMENT","relationshipType":"HOLDS","relatedSpdxElement":"SPDXRef-a"}]}`,
		"an unknown package field":           `"packages":[{"name":"a","SPDXID":"SPDXRef-a","downloadLocation":"NOASSERTION","layer":1}]}`,
	} {
		doc, err := jsonschema.UnmarshalJSON(strings.NewReader(head + body))
		if err != nil {
			t.Fatal(err)
		}
		if s.Validate(doc) == nil {
			t.Errorf("schema accepted %s", what)
		}
	}
}
