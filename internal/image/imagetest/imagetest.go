// Package imagetest builds container images in code for tests: layers from
// lists of entries, images with configuration and history, written as
// `docker save` tarballs or OCI layouts, with go-containerregistry.
package imagetest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Entry is one tar entry. Type defaults to a regular file; Mode to 0644
// (0755 for directories).
type Entry struct {
	Name string
	Body string
	Mode int64
	Type byte
	Link string
}

// File returns a regular file entry.
func File(name, body string) Entry { return Entry{Name: name, Body: body} }

// Exec returns an executable file entry.
func Exec(name, body string) Entry { return Entry{Name: name, Body: body, Mode: 0o755} }

// Symlink returns a symbolic link entry.
func Symlink(name, target string) Entry {
	return Entry{Name: name, Type: tar.TypeSymlink, Link: target}
}

// Dir returns a directory entry.
func Dir(name string) Entry { return Entry{Name: name, Type: tar.TypeDir} }

// Tar writes the entries as an uncompressed tar stream.
func Tar(t testing.TB, entries ...Entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.Name, Mode: e.Mode, Typeflag: e.Type, Linkname: e.Link, ModTime: time.Unix(1700000000, 0)}
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(e.Body))
		}
		if h.Mode == 0 {
			h.Mode = 0o644
			if h.Typeflag == tar.TypeDir {
				h.Mode = 0o755
			}
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := io.WriteString(tw, e.Body); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Gzip compresses b.
func Gzip(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Layer returns a gzip-compressed layer holding the entries.
func Layer(t testing.TB, entries ...Entry) v1.Layer {
	t.Helper()
	return RawLayer(t, Tar(t, entries...))
}

// RawLayer returns a layer made from an uncompressed tar stream, which
// may be deliberately broken.
func RawLayer(t testing.TB, tarBytes []byte) v1.Layer {
	t.Helper()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(tarBytes)), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// Step is one layer with the history entry that made it.
type Step struct {
	CreatedBy string
	Layer     v1.Layer
	// Empty marks a history entry without a layer (ENV, USER, ...);
	// Layer must then be nil.
	Empty bool
}

// Image builds a linux/amd64 image from cfg and steps.
func Image(t testing.TB, cfg v1.Config, steps ...Step) v1.Image {
	t.Helper()
	img := empty.Image
	var err error
	for _, s := range steps {
		add := mutate.Addendum{History: v1.History{CreatedBy: s.CreatedBy, EmptyLayer: s.Empty, Created: v1.Time{Time: time.Unix(1700000000, 0)}}}
		if s.Empty {
			cf, err := img.ConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			cf = cf.DeepCopy()
			cf.History = append(cf.History, add.History)
			if img, err = mutate.ConfigFile(img, cf); err != nil {
				t.Fatal(err)
			}
			continue
		}
		add.Layer = s.Layer
		if img, err = mutate.Append(img, add); err != nil {
			t.Fatal(err)
		}
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.Config = cfg
	cf.OS, cf.Architecture = "linux", "amd64"
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	return img
}

// WriteTarball writes img as a `docker save` tarball tagged tag and
// returns its path.
func WriteTarball(t testing.TB, img v1.Image, tag string) string {
	t.Helper()
	ref, err := name.NewTag(tag)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "image.tar")
	if err := tarball.WriteToFile(p, ref, img); err != nil {
		t.Fatal(err)
	}
	return p
}

// WriteLayout writes the images as an OCI layout, each with its platform,
// and returns the directory.
func WriteLayout(t testing.TB, imgs map[string]v1.Image) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "layout")
	lp, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	for plat, img := range imgs {
		p, err := v1.ParsePlatform(plat)
		if err != nil {
			t.Fatal(err)
		}
		if err := lp.AppendImage(img, layout.WithPlatform(*p)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// RPMDB reads an rpm database from the test data of
// github.com/knqyf263/go-rpmdb in the module cache (name is relative to its
// pkg/testdata, e.g. "sle15-bci/Packages.db"): real databases of real
// images, in every format. It skips the test when the module or the file is
// not there.
func RPMDB(t *testing.T, name string) []byte {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/knqyf263/go-rpmdb").Output()
	if err != nil {
		t.Skipf("go-rpmdb module not found: %v", err)
	}
	content, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "pkg/testdata", name))
	if err != nil {
		t.Skipf("no test database: %v", err)
	}
	return content
}
