package source_test

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/palisade-dev/palisade/internal/image/imagetest"
	"github.com/palisade-dev/palisade/internal/image/source"
)

// TestOCIStyleDockerSave reads a tarball laid out as Docker 25 and later
// save it: an OCI layout with a manifest.json naming blobs/sha256 paths,
// and uncompressed layers.
func TestOCIStyleDockerSave(t *testing.T) {
	layer := imagetest.Tar(t, imagetest.File("etc/os-release", "ID=alpine\nVERSION_ID=3.19.1\n"))
	sum := sha256.Sum256(layer)
	lhex := hex.EncodeToString(sum[:])
	cfg, _ := json.Marshal(map[string]any{
		"architecture": "amd64", "os": "linux", "config": map[string]any{"User": "app"},
		"rootfs":  map[string]any{"type": "layers", "diff_ids": []string{"sha256:" + lhex}},
		"history": []map[string]any{{"created_by": "ADD alpine-minirootfs.tar.gz /"}, {"created_by": "CMD [\"/bin/sh\"]", "empty_layer": true}},
	})
	csum := sha256.Sum256(cfg)
	chex := hex.EncodeToString(csum[:])
	manifest, _ := json.Marshal([]map[string]any{{"Config": "blobs/sha256/" + chex, "RepoTags": []string{"alpine:3.19"}, "Layers": []string{"blobs/sha256/" + lhex}}})

	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	add := func(name string, data []byte) {
		_ = tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg})
		_, _ = tw.Write(data)
	}
	add("oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`))
	add("blobs/sha256/"+lhex, layer)
	add("blobs/sha256/"+chex, cfg)
	add("manifest.json", manifest)
	_ = tw.Close()
	p := filepath.Join(t.TempDir(), "alpine.tar")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	img, err := source.Open(context.Background(), source.Options{Input: p})
	if err != nil {
		t.Fatal(err)
	}
	if img.Name != "alpine:3.19" || img.Tag != "3.19" || len(img.Layers) != 1 {
		t.Fatalf("image = %+v", img)
	}
	l := img.Layers[0]
	if l.Digest != "sha256:"+lhex || l.CreatedBy != "ADD alpine-minirootfs.tar.gz /" {
		t.Errorf("layer = %+v", l)
	}
	rc, err := l.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got, _ := io.ReadAll(rc)
	if !bytes.Equal(got, layer) {
		t.Error("layer bytes differ")
	}
}
