package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fix runs `palisade fix --no-config args...`.
func fix(t *testing.T, args ...string) result {
	t.Helper()
	return run(t, "", append([]string{"fix", "--no-config"}, args...)...)
}

// copyFixtures copies files of testdata/fix into a temporary directory and
// returns their new paths.
func copyFixtures(t *testing.T, names ...string) []string {
	t.Helper()
	dir := t.TempDir()
	var out []string
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join("testdata", "fix", n))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, n)
		if err := os.WriteFile(p, data, 0o644); err != nil { //nolint:gosec // a test fixture
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

func read(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestFixDiff(t *testing.T) {
	file := filepath.Join("testdata", "fix", "web.yaml")
	before := read(t, file)
	r := fix(t, "--diff", file)
	wantCode(t, r, 1) // unsafe fixes remain, some of them high
	if read(t, file) != before {
		t.Fatal("--diff changed the file")
	}
	checkGolden(t, filepath.Join("testdata", "fix", "web.diff.golden"), r.stdout)
	if !strings.Contains(r.stderr, "would fix") || !strings.Contains(r.stderr, "1 file would change") {
		t.Errorf("no summary on standard error:\n%s", r.stderr)
	}
}

func TestFixInPlace(t *testing.T) {
	files := copyFixtures(t, "web.yaml")
	r := fix(t, files[0])
	wantCode(t, r, 1)
	got := read(t, files[0])
	checkGolden(t, filepath.Join("testdata", "fix", "web.fixed.golden"), got)
	if !strings.Contains(r.stdout, "1 file changed") || !strings.Contains(r.stdout, "skipped") {
		t.Errorf("summary:\n%s", r.stdout)
	}
	// The Service document is untouched.
	if !strings.HasSuffix(got, read(t, filepath.Join("testdata", "fix", "web.yaml"))[strings.Index(read(t, filepath.Join("testdata", "fix", "web.yaml")), "---"):]) {
		t.Error("the untouched document changed")
	}
	// A second run changes nothing.
	r = fix(t, files[0])
	if read(t, files[0]) != got || !strings.Contains(r.stdout, "0 files changed, 0 fixes applied") {
		t.Errorf("second run changed the file or applied fixes:\n%s", r.stdout)
	}
}

func TestFixSelection(t *testing.T) {
	files := copyFixtures(t, "web.yaml")
	r := fix(t, "--rules", "privileged-container", files[0])
	got := read(t, files[0])
	if !strings.Contains(got, "privileged: false") || strings.Contains(got, "seccompProfile") {
		t.Errorf("--rules privileged-container fixed:\n%s", got)
	}
	// Only the selected rule's findings count for the exit code.
	wantCode(t, r, 0)

	files = copyFixtures(t, "web.yaml")
	r = fix(t, "--severity", "critical", files[0])
	if got := read(t, files[0]); strings.Contains(got, "seccompProfile") || !strings.Contains(got, "privileged: false") {
		t.Errorf("--severity critical fixed:\n%s", got)
	}
	wantCode(t, r, 1)

	files = copyFixtures(t, "web.yaml")
	fix(t, "--unsafe", files[0])
	if got := read(t, files[0]); !strings.Contains(got, "readOnlyRootFilesystem: true") || !strings.Contains(got, "kind: NetworkPolicy") {
		t.Errorf("--unsafe did not apply the unsafe fixes:\n%s", got)
	}

	r = fix(t, "--rules", "no-such-rule", files[0])
	wantCode(t, r, 2)
}

func TestFixSuppressed(t *testing.T) {
	files := copyFixtures(t, "suppressed.yaml")
	fix(t, files[0])
	if !strings.Contains(read(t, files[0]), "privileged: true") {
		t.Error("a suppressed finding was fixed")
	}
	// --strict ignores the annotations, so the finding is fixed.
	fix(t, "--strict", files[0])
	if !strings.Contains(read(t, files[0]), "privileged: false") {
		t.Error("--strict did not fix the finding")
	}
}

func TestFixBroken(t *testing.T) {
	files := copyFixtures(t, "broken.yaml", "web.yaml")
	before := read(t, files[0])
	r := fix(t, files...)
	wantCode(t, r, 2)
	if read(t, files[0]) != before {
		t.Error("the broken file changed")
	}
	if !strings.Contains(r.stderr, "broken.yaml:9") || !strings.Contains(r.stderr, "not fixed") {
		t.Errorf("stderr:\n%s", r.stderr)
	}
	if !strings.Contains(read(t, files[1]), "privileged: false") {
		t.Error("the other file was not fixed")
	}
}

func TestFixStdin(t *testing.T) {
	in := read(t, filepath.Join("testdata", "fix", "web.yaml"))
	r := run(t, in, "fix", "--no-config", "-")
	want := read(t, filepath.Join("testdata", "fix", "web.fixed.golden"))
	if r.stdout != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", r.stdout, want)
	}
	if !strings.Contains(r.stderr, "-: ") {
		t.Errorf("no report on standard error:\n%s", r.stderr)
	}
	r = run(t, "kind: [", "fix", "--no-config", "-")
	wantCode(t, r, 2)
	if r.stdout != "kind: [" {
		t.Errorf("a broken input was not passed on unchanged: %q", r.stdout)
	}
}

// TestFixNewObjectOnce checks that a namespace's default-deny policy is
// created once, in the first file, when two files need it.
func TestFixNewObjectOnce(t *testing.T) {
	files := copyFixtures(t, "ns-a.yaml", "ns-b.yaml")
	r := fix(t, append([]string{"--unsafe", "--rules", "default-deny-ingress-missing,workload-without-network-policy"}, files...)...)
	wantCode(t, r, 0)
	a, b := read(t, files[0]), read(t, files[1])
	if strings.Count(a, "name: default-deny-ingress") != 1 || strings.Contains(b, "NetworkPolicy") {
		t.Errorf("policy created %d times in a, b is:\n%s", strings.Count(a, "name: default-deny-ingress"), b)
	}
}

func checkGolden(t *testing.T, file, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(file, []byte(got), 0o600); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if string(want) != got {
		t.Errorf("output differs from %s (go test -update refreshes it):\ngot:\n%s\nwant:\n%s", file, got, want)
	}
}
