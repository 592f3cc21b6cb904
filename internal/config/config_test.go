package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	c, err := Parse("p.yaml", []byte(`version: 1
failOn: medium
pss: {level: baseline, version: v1.30}
kubeVersion: v1.31.2
strict: true
rules:
  probes-missing:
    enabled: true
  image-registry-not-allowed:
    severity: high
    params:
      registries: [ghcr.io/acme]
ignore:
  - rules: [host-network]
    kinds: [DaemonSet]
    reason: node agents
  - rules: ["*"]
    paths: ["charts/**"]
    reason: vendored
    expires: 2027-01-31
`))
	if err != nil {
		t.Fatal(err)
	}
	if c.FailOn != "medium" || c.PSS.Level != "baseline" || c.PSS.Version != "v1.30" || !c.Strict || c.KubeVersion != "v1.31.2" {
		t.Errorf("parsed %+v", c)
	}
	if on := c.Rules["probes-missing"].Enabled; on == nil || !*on {
		t.Error("probes-missing not enabled")
	}
	if len(c.Ignore) != 2 || c.Ignore[0].Line != 14 || c.Ignore[1].Line != 17 {
		t.Fatalf("ignores %+v", c.Ignore)
	}
	if want := time.Date(2027, 1, 31, 23, 59, 59, 999999999, time.UTC); !c.Ignore[1].ExpiresAt.Equal(want) {
		t.Errorf("ExpiresAt = %v, want the end of the day %v", c.Ignore[1].ExpiresAt, want)
	}
	if got := c.Where("rules", "image-registry-not-allowed", "params", "registries"); got != "p.yaml:12" {
		t.Errorf("Where = %q", got)
	}
	if got := c.Where("rules", "no-such-rule"); got != "p.yaml" {
		t.Errorf("Where of a missing key = %q", got)
	}
}

func TestParseEmpty(t *testing.T) {
	for _, data := range []string{"", "# only a comment\n"} {
		c, err := Parse("e.yaml", []byte(data))
		if err != nil || c.File != "e.yaml" || len(c.Ignore) != 0 {
			t.Errorf("Parse(%q) = %+v, %v", data, c, err)
		}
	}
	var zero Config
	if zero.Line("rules") != 0 || zero.Where("rules") != "" || zero.Dir() != "." {
		t.Error("the zero Config does not locate keys gracefully")
	}
}

// Every error names the file and, where the YAML says, the line.
func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ data, want string }{
		{"version: 1\nfailon: high\n", `c.yaml:2: unknown key "failon" (want version, failOn, pss, kubeVersion, strict, rules, ignore)`},
		{"version: 1\nignore:\n  - rules: [a]\n    reasn: x\n", `c.yaml:4: unknown key "reasn" (want rules, namespaces, kinds, names, paths, reason, expires)`},
		{"pss:\n  lvl: baseline\n", `c.yaml:2: unknown key "lvl" (want level, version)`},
		{"rules:\n  a:\n    enable: true\n", `c.yaml:3: unknown key "enable" (want enabled, severity, params)`},
		{"version: two\n", "c.yaml:1: cannot unmarshal"},
		{"version: 2\n", "c.yaml:1: unsupported config version 2"},
		{"version: 1\nfailOn: severe\n", `c.yaml:2: failOn: unknown severity "severe"`},
		{"pss:\n  level: privileged\n", `c.yaml:2: pss.level must be baseline or restricted`},
		{"pss:\n  version: \"1.30\"\n", `c.yaml:2: pss.version must be latest`},
		{"kubeVersion: soon\n", `c.yaml:1: kubeVersion must be latest`},
		{"rules:\n  a:\n    severity: huge\n", `c.yaml:3: rules.a.severity: unknown severity "huge"`},
		{"ignore:\n  - reason: x\n", "c.yaml:2: ignore entry: rules is required"},
		{"ignore:\n  - rules: [a]\n", "c.yaml:2: ignore entry: reason is required"},
		{"ignore:\n  - rules: [a]\n    reason: x\n    expires: 2027-02-30\n", "c.yaml:2: ignore entry: expiry \"2027-02-30\""},
		{"ignore:\n  - rules: [a]\n    reason: x\n    names: [\"[\"]\n", `c.yaml:2: ignore entry: bad pattern "["`},
		{"ignore:\n  - rules: [a]\n    reason: x\n    paths: [\"a/[/**\"]\n", `c.yaml:2: ignore entry: bad path pattern "a/[/**"`},
		{"ignore: [\n", "c.yaml:"},
	} {
		_, err := Parse("c.yaml", []byte(tc.data))
		if err == nil || !strings.HasPrefix(err.Error(), "c.yaml") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) error = %v, want %q", tc.data, err, tc.want)
		}
	}
}

func TestVersions(t *testing.T) {
	for v, want := range map[string]bool{"latest": true, "v1.0": true, "v1.30": true, "1.30": false, "v1.30.1": false, "v2.1": false, "": false, "v1.030": false} {
		if got := ValidPSSVersion(v); got != want {
			t.Errorf("ValidPSSVersion(%q) = %v", v, got)
		}
	}
	for v, want := range map[string]string{"latest": "latest", "v1.30": "v1.30", "1.30": "v1.30", "v1.30.2": "v1.30", "v1.30.2-eks-1": "v1.30", "1.29+k3s1": "v1.29", "v2.0": "", "next": "", "v1": ""} {
		got, ok := NormalizeKubeVersion(v)
		if got != want || ok != (want != "") {
			t.Errorf("NormalizeKubeVersion(%q) = %q, %v; want %q", v, got, ok, want)
		}
	}
}

func TestFind(t *testing.T) {
	root := t.TempDir()
	deep := filepath.Join(root, "a", "b")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(deep, "x.yaml")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(root, "a", FileName)
	if err := os.WriteFile(cfg, []byte("version: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, start := range []string{deep, file, filepath.Join(root, "a")} {
		if got := Find(start); got != cfg {
			t.Errorf("Find(%s) = %q, want %q", start, got, cfg)
		}
	}
	// A directory named like the file is not a configuration.
	if err := os.Mkdir(filepath.Join(deep, FileName), 0o755); err != nil {
		t.Fatal(err)
	}
	if got := Find(deep); got != cfg {
		t.Errorf("Find took a directory: %q", got)
	}
}
