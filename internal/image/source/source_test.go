package source_test

import (
	"context"
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/palisade-dev/palisade/internal/image/imagetest"
	"github.com/palisade-dev/palisade/internal/image/source"
)

func testImage(t *testing.T, marker string) v1.Image {
	return imagetest.Image(t, v1.Config{User: "app"},
		imagetest.Step{CreatedBy: "ADD rootfs.tar /", Layer: imagetest.Layer(t, imagetest.File("etc/marker", marker))},
		imagetest.Step{CreatedBy: "ENV A=b", Empty: true},
		imagetest.Step{CreatedBy: "RUN echo hi > /hi", Layer: imagetest.Layer(t, imagetest.File("hi", "hi\n"))},
	)
}

func readLayer(t *testing.T, l source.Layer) []byte {
	t.Helper()
	rc, err := l.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func checkImage(t *testing.T, img *source.Image) {
	t.Helper()
	if len(img.Layers) != 2 {
		t.Fatalf("layers = %d", len(img.Layers))
	}
	if img.Layers[0].CreatedBy != "ADD rootfs.tar /" || img.Layers[1].CreatedBy != "RUN echo hi > /hi" {
		t.Errorf("history not mapped past the empty ENV entry: %q, %q", img.Layers[0].CreatedBy, img.Layers[1].CreatedBy)
	}
	if img.Config.Config.User != "app" || img.Platform != "linux/amd64" {
		t.Errorf("config = %+v, platform %s", img.Config.Config, img.Platform)
	}
	for _, l := range img.Layers {
		if !strings.HasPrefix(l.DiffID, "sha256:") || len(readLayer(t, l)) == 0 {
			t.Errorf("layer %d unreadable: %+v", l.Index, l)
		}
	}
}

func TestTarball(t *testing.T) {
	p := imagetest.WriteTarball(t, testImage(t, "x"), "registry.example/app:1.0")
	img, err := source.Open(context.Background(), source.Options{Input: p})
	if err != nil {
		t.Fatal(err)
	}
	checkImage(t, img)
	if img.Name != "registry.example/app:1.0" || img.Tag != "1.0" {
		t.Errorf("name %q tag %q", img.Name, img.Tag)
	}
}

func TestLayoutPicksPlatform(t *testing.T) {
	dir := imagetest.WriteLayout(t, map[string]v1.Image{
		"linux/amd64": testImage(t, "amd64"),
		"linux/arm64": testImage(t, "arm64"),
	})
	for plat, want := range map[string]string{"": "amd64", "linux/arm64": "arm64"} {
		img, err := source.Open(context.Background(), source.Options{OCILayout: dir, Platform: plat})
		if err != nil {
			t.Fatal(err)
		}
		checkImage(t, img)
		// The marker layer is gzip; compare through its DiffID instead of
		// decompressing: the two images differ only there.
		other, _ := source.Open(context.Background(), source.Options{OCILayout: dir, Platform: map[string]string{"amd64": "linux/arm64", "arm64": "linux/amd64"}[want]})
		if other.Layers[0].DiffID == img.Layers[0].DiffID {
			t.Errorf("platform %q: same layer as the other platform", plat)
		}
	}
	if _, err := source.Open(context.Background(), source.Options{OCILayout: dir, Platform: "linux/s390x"}); err == nil || !strings.Contains(err.Error(), "no image for platform") {
		t.Errorf("err = %v", err)
	}
}

func TestRegistry(t *testing.T) {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	ref, err := name.ParseReference(host + "/team/app:2.1")
	if err != nil {
		t.Fatal(err)
	}
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: testImage(t, "amd64"), Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: testImage(t, "arm64"), Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64"}}},
	)
	if err := remote.WriteIndex(ref, idx); err != nil {
		t.Fatal(err)
	}
	img, err := source.Open(context.Background(), source.Options{Ref: ref.String()})
	if err != nil {
		t.Fatal(err)
	}
	checkImage(t, img)
	if img.Tag != "2.1" || !strings.HasPrefix(img.Digest, "sha256:") {
		t.Errorf("tag %q digest %q", img.Tag, img.Digest)
	}
}

func TestOpenErrors(t *testing.T) {
	for _, o := range []source.Options{
		{},
		{Input: "a.tar", OCILayout: "dir"},
		{Input: "/nonexistent/image.tar"},
		{OCILayout: t.TempDir()},
		{Ref: "UPPER/Case:bad tag"},
		{Input: "x.tar", Platform: "not/a/platform/really"},
	} {
		if _, err := source.Open(context.Background(), o); err == nil {
			t.Errorf("Open(%+v) succeeded", o)
		}
	}
}
