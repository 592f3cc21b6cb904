package fix

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "a.yaml")
	if err := os.WriteFile(name, []byte("old\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(name, 0o640); err != nil { // whatever the umask
		t.Fatal(err)
	}
	if err := WriteFile(name, []byte("old\n"), []byte("new\n")); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(name)
	fi, _ := os.Stat(name)
	if string(got) != "new\n" || fi.Mode().Perm() != 0o640 {
		t.Errorf("got %q with mode %v, want %q with mode 0640", got, fi.Mode().Perm(), "new\n")
	}
	onlyFile(t, dir, "a.yaml")

	// A file changed since it was read is left alone.
	err := WriteFile(name, []byte("old\n"), []byte("newer\n"))
	if err == nil || !strings.Contains(err.Error(), "changed while it was being fixed") {
		t.Errorf("got %v, want a refusal", err)
	}
	if got, _ := os.ReadFile(name); string(got) != "new\n" {
		t.Errorf("the changed file was overwritten: %q", got)
	}
	onlyFile(t, dir, "a.yaml")
}

func TestWriteFileSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "real.yaml")
	link := filepath.Join(dir, "link.yaml")
	if err := os.WriteFile(target, []byte("old\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real.yaml", link); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	if err := WriteFile(link, []byte("old\n"), []byte("new\n")); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced by a file")
	}
	if got, _ := os.ReadFile(target); string(got) != "new\n" {
		t.Errorf("target holds %q", got)
	}
}

func TestWriteFileFailureKeepsOriginal(t *testing.T) {
	if os.Getuid() == 0 {
		t.Skip("root writes into read-only directories")
	}
	dir := t.TempDir()
	name := filepath.Join(dir, "a.yaml")
	if err := os.WriteFile(name, []byte("old\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = os.Chmod(dir, 0o700) }()
	if err := WriteFile(name, []byte("old\n"), []byte("new\n")); err == nil {
		t.Fatal("writing into a read-only directory succeeded")
	}
	if got, _ := os.ReadFile(name); string(got) != "old\n" {
		t.Errorf("the original changed: %q", got)
	}
	onlyFile(t, dir, "a.yaml")
}

// onlyFile checks that dir holds name and nothing else: no temporary file
// is left behind.
func onlyFile(t *testing.T, dir, name string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != name {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("directory holds %v, want only %s", names, name)
	}
}
