// Package source opens container images for scanning: `docker save`
// tarballs (legacy and OCI-style), OCI image layout directories and
// registry references, through github.com/google/go-containerregistry.
//
// Whatever the input, the result is an Image: its configuration, and its
// layers in order, each with its DiffID, its compressed digest where that
// is known without recompressing, the history entry (created_by) that
// made it, and a function that opens the layer's raw bytes. The raw bytes
// may be gzip- or zstd-compressed or a plain tar; internal/image/walk sniffs
// which. Nothing is ever written to disk, and the network is used only for
// a registry reference.
package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// DefaultPlatform is the platform picked from multi-platform images unless
// told otherwise.
const DefaultPlatform = "linux/amd64"

// Options say which image to open. Exactly one of Ref, Input and OCILayout
// must be set.
type Options struct {
	// Ref is a registry reference such as "ghcr.io/acme/app:1.2".
	Ref string
	// Input is a `docker save` tarball.
	Input string
	// OCILayout is an OCI image layout directory.
	OCILayout string
	// Platform is "os/arch[/variant]"; empty means DefaultPlatform. It
	// selects an image from a multi-platform index.
	Platform string
	// Tag picks one image from a tarball holding several; optional.
	Tag string
	// Keychain supplies registry credentials; nil means the Docker
	// configuration (authn.DefaultKeychain).
	Keychain authn.Keychain
	// Transport is the HTTP transport for registry access; optional.
	Transport http.RoundTripper
}

// Image is an opened image.
type Image struct {
	// Name is how the image is named in reports: the reference, the
	// tarball's first tag, or the file or directory given.
	Name string
	// Tag is the tag the image was referred to by ("" when unknown or
	// when it was referred to by digest only).
	Tag string
	// Digest is the manifest digest when known.
	Digest string
	// Platform is the image's platform as its configuration says.
	Platform string
	// Config is the image configuration (never nil).
	Config *v1.ConfigFile
	// Layers are the layers, base first.
	Layers []Layer
}

// Layer is one layer of an image.
type Layer struct {
	// Index is the position of the layer, 0 for the base layer.
	Index int
	// DiffID is the digest of the uncompressed layer tar.
	DiffID string
	// Digest is the digest of the layer blob as stored, when known
	// without recompressing (it is unknown for legacy `docker save`
	// tarballs, whose layers are stored uncompressed).
	Digest string
	// Size is the stored size in bytes, or -1 when unknown.
	Size int64
	// MediaType is the layer's declared media type; optional.
	MediaType string
	// CreatedBy is the history entry (a Dockerfile instruction, as the
	// builder recorded it) that created the layer; "" when the image
	// carries no history for it.
	CreatedBy string
	// Open returns the raw layer bytes, possibly compressed.
	Open func() (io.ReadCloser, error) `json:"-"`
}

// ID returns the layer's digest, or its DiffID when the digest is unknown.
func (l Layer) ID() string {
	if l.Digest != "" {
		return l.Digest
	}
	return l.DiffID
}

// Open opens the image the options name.
func Open(ctx context.Context, o Options) (*Image, error) {
	n := 0
	for _, s := range []string{o.Ref, o.Input, o.OCILayout} {
		if s != "" {
			n++
		}
	}
	if n != 1 {
		return nil, errors.New("give exactly one of an image reference, --input or --oci-layout")
	}
	plat, err := v1.ParsePlatform(firstNonEmpty(o.Platform, DefaultPlatform))
	if err != nil {
		return nil, fmt.Errorf("--platform: %w", err)
	}
	switch {
	case o.Input != "":
		return openTarball(o.Input, o.Tag)
	case o.OCILayout != "":
		return openLayout(o.OCILayout, *plat)
	default:
		return openRemote(ctx, o, *plat)
	}
}

func openRemote(ctx context.Context, o Options, plat v1.Platform) (*Image, error) {
	ref, err := name.ParseReference(o.Ref)
	if err != nil {
		return nil, fmt.Errorf("image reference %q: %w", o.Ref, err)
	}
	kc := o.Keychain
	if kc == nil {
		kc = authn.DefaultKeychain
	}
	opts := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(kc), remote.WithPlatform(plat)}
	if o.Transport != nil {
		opts = append(opts, remote.WithTransport(o.Transport))
	}
	img, err := remote.Image(ref, opts...)
	if err != nil {
		return nil, fmt.Errorf("pull %s: %w", o.Ref, err)
	}
	out, err := fromV1(img, func(l v1.Layer) func() (io.ReadCloser, error) { return l.Compressed })
	if err != nil {
		return nil, fmt.Errorf("%s: %w", o.Ref, err)
	}
	out.Name = ref.Name()
	if t, ok := ref.(name.Tag); ok {
		out.Tag = t.TagStr()
	}
	return out, nil
}

func openLayout(dir string, plat v1.Platform) (*Image, error) {
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return nil, fmt.Errorf("OCI layout %s: %w", dir, err)
	}
	img, desc, err := pick(idx, plat, 0)
	if err != nil {
		return nil, fmt.Errorf("OCI layout %s: %w", dir, err)
	}
	out, err := fromV1(img, func(l v1.Layer) func() (io.ReadCloser, error) { return l.Compressed })
	if err != nil {
		return nil, fmt.Errorf("OCI layout %s: %w", dir, err)
	}
	out.Name = dir
	if desc != nil {
		if r := desc.Annotations["org.opencontainers.image.ref.name"]; r != "" {
			out.Tag = r
			if i := strings.LastIndex(r, ":"); i >= 0 && !strings.Contains(r[i:], "/") {
				out.Tag = r[i+1:]
			}
			out.Name = dir + " (" + r + ")"
		}
	}
	return out, nil
}

// pick finds the image for plat in an index, descending into nested
// indexes. An index with a single image and no platform information
// yields that image.
func pick(idx v1.ImageIndex, plat v1.Platform, depth int) (v1.Image, *v1.Descriptor, error) {
	if depth > 4 {
		return nil, nil, errors.New("image indexes nested too deeply")
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, nil, err
	}
	var images []v1.Descriptor
	var seen []string
	for _, d := range im.Manifests {
		switch {
		case d.MediaType.IsIndex():
			if d.Platform != nil && !d.Platform.Satisfies(plat) {
				continue
			}
			sub, err := idx.ImageIndex(d.Digest)
			if err != nil {
				return nil, nil, err
			}
			if img, sd, err := pick(sub, plat, depth+1); err == nil {
				if sd == nil || sd.Annotations["org.opencontainers.image.ref.name"] == "" {
					sd = &d
				}
				return img, sd, nil
			}
		case d.MediaType.IsImage() || d.MediaType == "":
			if d.Platform != nil {
				seen = append(seen, d.Platform.String())
				if !d.Platform.Satisfies(plat) {
					continue
				}
			}
			images = append(images, d)
		}
	}
	switch {
	case len(images) == 0 && len(seen) > 0:
		return nil, nil, fmt.Errorf("no image for platform %s (the index has %s)", plat.String(), strings.Join(seen, ", "))
	case len(images) == 0:
		return nil, nil, errors.New("the index holds no image")
	}
	// Prefer one whose platform is stated over one without.
	best := images[0]
	for _, d := range images {
		if d.Platform != nil && best.Platform == nil {
			best = d
		}
	}
	img, err := idx.Image(best.Digest)
	if err != nil {
		return nil, nil, err
	}
	if best.Platform == nil {
		// The descriptor says nothing; the configuration decides.
		cf, err := img.ConfigFile()
		if err != nil {
			return nil, nil, err
		}
		if cf.OS != "" && !cf.Platform().Satisfies(plat) && len(images) > 1 {
			return nil, nil, fmt.Errorf("no image for platform %s", plat.String())
		}
	}
	return img, &best, nil
}

func openTarball(file, tag string) (*Image, error) {
	opener := func() (io.ReadCloser, error) { return openFile(file) }
	m, err := tarball.LoadManifest(opener)
	if err != nil {
		return nil, fmt.Errorf("%s: not a docker save tarball: %w", file, err)
	}
	if len(m) == 0 {
		return nil, fmt.Errorf("%s: the tarball's manifest.json lists no image", file)
	}
	d := m[0]
	var ntag *name.Tag
	if tag != "" {
		t, err := name.NewTag(tag)
		if err != nil {
			return nil, fmt.Errorf("--tag: %w", err)
		}
		ntag = &t
		found := false
		for _, x := range m {
			for _, rt := range x.RepoTags {
				if rt2, err := name.NewTag(rt); err == nil && rt2.String() == t.String() {
					d, found = x, true
				}
			}
		}
		if !found {
			return nil, fmt.Errorf("%s: no image tagged %s", file, tag)
		}
	} else if len(m) > 1 {
		var tags []string
		for _, x := range m {
			tags = append(tags, x.RepoTags...)
		}
		return nil, fmt.Errorf("%s holds %d images; pick one with --tag (%s)", file, len(m), strings.Join(tags, ", "))
	}
	img, err := tarball.Image(opener, ntag)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("%s: image configuration: %w", file, err)
	}
	if len(d.Layers) != len(cf.RootFS.DiffIDs) {
		return nil, fmt.Errorf("%s: manifest.json lists %d layers but the configuration %d", file, len(d.Layers), len(cf.RootFS.DiffIDs))
	}
	out := &Image{Name: file, Config: cf, Platform: platformOf(cf)}
	if len(d.RepoTags) > 0 {
		out.Name = d.RepoTags[0]
		if t, err := name.NewTag(d.RepoTags[0]); err == nil {
			out.Tag = t.TagStr()
		}
	}
	for i, p := range d.Layers {
		l := Layer{Index: i, DiffID: cf.RootFS.DiffIDs[i].String(), Size: -1, Open: tarEntryOpener(file, p)}
		// OCI-style `docker save` (Docker 25 and later) stores layers as
		// blobs/sha256/<digest>: the digest is the path.
		if hex, ok := strings.CutPrefix(p, "blobs/sha256/"); ok && len(hex) == 64 {
			l.Digest = "sha256:" + hex
		}
		if src, ok := d.LayerSources[cf.RootFS.DiffIDs[i]]; ok {
			l.Digest, l.Size, l.MediaType = src.Digest.String(), src.Size, string(src.MediaType)
		}
		out.Layers = append(out.Layers, l)
	}
	attachHistory(out)
	return out, nil
}

// fromV1 describes a go-containerregistry image.
func fromV1(img v1.Image, open func(v1.Layer) func() (io.ReadCloser, error)) (*Image, error) {
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("image configuration: %w", err)
	}
	if cf == nil {
		return nil, errors.New("image has no configuration")
	}
	m, err := img.Manifest()
	if err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	dg, err := img.Digest()
	if err != nil {
		return nil, err
	}
	if len(m.Layers) != len(cf.RootFS.DiffIDs) {
		return nil, fmt.Errorf("the manifest lists %d layers but the configuration %d", len(m.Layers), len(cf.RootFS.DiffIDs))
	}
	out := &Image{Digest: dg.String(), Config: cf, Platform: platformOf(cf)}
	for i, ld := range m.Layers {
		l, err := img.LayerByDigest(ld.Digest)
		if err != nil {
			return nil, fmt.Errorf("layer %d: %w", i, err)
		}
		layer := Layer{
			Index: i, DiffID: cf.RootFS.DiffIDs[i].String(), Digest: ld.Digest.String(),
			Size: ld.Size, MediaType: string(ld.MediaType), Open: open(l),
		}
		if !ld.MediaType.IsDistributable() {
			// Foreign layers (Windows base layers) live at URLs outside
			// the registry; fetching them is never done implicitly.
			layer.Open = func() (io.ReadCloser, error) {
				return nil, fmt.Errorf("foreign layer %s is not stored with the image and was not fetched", ld.Digest)
			}
		}
		out.Layers = append(out.Layers, layer)
	}
	attachHistory(out)
	return out, nil
}

// attachHistory gives each layer the created_by of its history entry:
// the history entries that are not marked empty_layer correspond, in
// order, to the layers. When the counts disagree (images built by tools
// that skip history), no layer gets one rather than a wrong one.
func attachHistory(img *Image) {
	var nonEmpty []v1.History
	for _, h := range img.Config.History {
		if !h.EmptyLayer {
			nonEmpty = append(nonEmpty, h)
		}
	}
	if len(nonEmpty) != len(img.Layers) {
		return
	}
	for i := range img.Layers {
		img.Layers[i].CreatedBy = nonEmpty[i].CreatedBy
	}
}

func platformOf(cf *v1.ConfigFile) string {
	if cf.OS == "" {
		return ""
	}
	p := cf.Platform()
	if p == nil {
		return ""
	}
	return p.String()
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
