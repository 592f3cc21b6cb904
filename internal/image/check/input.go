package check

import (
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/palisade-dev/palisade/internal/image/sbom"
	"github.com/palisade-dev/palisade/internal/image/walk"
)

// Input is what the whole-image checks look at.
type Input struct {
	// Config is the image configuration (never nil).
	Config *v1.ConfigFile
	// Tag is the tag the image was named by; "" when unknown.
	Tag string
	// Layers are the layers, base first.
	Layers []LayerInfo
	// Index is the merged filesystem.
	Index *walk.Index
	// Packages are the packages installed at run time.
	Packages []sbom.Package
	// Anomalies are the tar anomalies of every layer.
	Anomalies []LayerAnomaly
	// Preload lists each /etc/ld.so.preload entry of every layer.
	Preload []PreloadEntry
	// ReaddirHooks lists the shared objects that define readdir or
	// readdir64 and are not a C library.
	ReaddirHooks []ELFFact
}

// LayerInfo describes one layer for locating findings.
type LayerInfo struct {
	Index     int
	Digest    string
	CreatedBy string
}

// LayerAnomaly is a tar anomaly in one layer.
type LayerAnomaly struct {
	Layer int
	walk.Anomaly
}

// PreloadEntry is one library that /etc/ld.so.preload lists.
type PreloadEntry struct {
	Layer   int    `json:"layer"`
	Line    int    `json:"line"`
	Library string `json:"library"`
}

// ELFFact is a fact about one ELF file.
type ELFFact struct {
	Layer  int    `json:"layer"`
	Path   string `json:"path"`
	Symbol string `json:"symbol"`
}

// Locate returns the location of a file in a layer.
func (in *Input) Locate(layer int, path string) Location {
	loc := Location{Layer: layer, Path: path}
	if layer >= 0 && layer < len(in.Layers) {
		loc.LayerDigest, loc.CreatedBy = in.Layers[layer].Digest, in.Layers[layer].CreatedBy
	}
	loc.Present = in.Index != nil && in.Index.Present(path, layer)
	return loc
}
