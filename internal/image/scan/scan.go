// Package scan runs every image check over one image: it walks the layers
// (internal/image/walk) with one analyzer per layer that feeds each file to
// the malware rules, the secret rules, the package parsers and the ELF
// checks, then merges the layers into the filesystem a container sees and
// runs the whole-image checks, the SBOM and the vulnerability matcher over
// it.
//
// A finding in a file names the layer, the history instruction that made
// the layer, the file, the line or offset and masked evidence, and says
// whether the file is present at run time; files deleted by a later layer
// are still reported, since they ship in the image.
package scan

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/palisade-dev/palisade/internal/image/check"
	"github.com/palisade-dev/palisade/internal/image/malware"
	"github.com/palisade-dev/palisade/internal/image/sbom"
	"github.com/palisade-dev/palisade/internal/image/source"
	"github.com/palisade-dev/palisade/internal/image/vuln"
	"github.com/palisade-dev/palisade/internal/image/walk"
	"github.com/palisade-dev/palisade/internal/rule"
)

// Options configure a scan. Zero values take the defaults.
type Options struct {
	Walk walk.Options
	// MaxFileBytes bounds the files read whole into memory; larger ones
	// are only searched in pieces for the malware literals and Go build
	// information. Default 32 MiB.
	MaxFileBytes int64
	// MaxSecretFileBytes bounds the files searched for secrets. Default
	// 2 MiB.
	MaxSecretFileBytes int64
	// DB is the vulnerability database; nil skips vulnerability matching.
	DB *vuln.DB
}

// Defaults.
const (
	DefaultMaxFileBytes       = 32 << 20
	DefaultMaxSecretFileBytes = 2 << 20
	// MemoryLimit is the soft memory limit (runtime/debug.SetMemoryLimit)
	// the command line sets for a scan unless GOMEMLIMIT is set: the live
	// heap of a scan with the default bounds stays under 100 MiB, and
	// the limit keeps the garbage collector from letting the heap double
	// past it.
	MemoryLimit = 150 << 20
	// version names the analyzers' output format in cache keys; bump it
	// whenever LayerData or what the analyzers find changes.
	version = "palisade-image-1"
)

// Scanner holds the compiled rules; it is safe for concurrent use and
// should be reused across images.
type Scanner struct {
	opts    Options
	engine  *malware.Engine
	secrets *check.SecretScanner
}

// New compiles the rules.
func New(opts Options) (*Scanner, error) {
	if opts.MaxFileBytes <= 0 {
		opts.MaxFileBytes = DefaultMaxFileBytes
	}
	if opts.MaxSecretFileBytes <= 0 {
		opts.MaxSecretFileBytes = DefaultMaxSecretFileBytes
	}
	eng, err := malware.NewEngine(malware.Rules())
	if err != nil {
		return nil, err
	}
	if opts.Walk.Cache != nil {
		opts.Walk.CacheKey = fmt.Sprintf("%s/%d/%d", version, opts.MaxFileBytes, opts.MaxSecretFileBytes)
	}
	return &Scanner{opts: opts, engine: eng, secrets: check.NewSecretScanner()}, nil
}

// Result is the outcome of scanning one image.
type Result struct {
	Image    ImageInfo       `json:"image"`
	OS       *sbom.OS        `json:"os,omitempty"`
	Findings []check.Finding `json:"findings"`
	Packages []sbom.Package  `json:"packages"`
	// Errors are problems that leave the scan incomplete: layers that
	// could not be read to their end.
	Errors []string `json:"errors,omitempty"`
	// Notices are things to know that do not make the scan incomplete.
	Notices []string `json:"notices,omitempty"`
}

// ImageInfo describes the scanned image.
type ImageInfo struct {
	Name     string      `json:"name"`
	Tag      string      `json:"tag,omitempty"`
	Digest   string      `json:"digest,omitempty"`
	Platform string      `json:"platform,omitempty"`
	Layers   []LayerInfo `json:"layers"`
	Files    int         `json:"files"`
}

// LayerInfo describes one layer.
type LayerInfo struct {
	Index       int    `json:"index"`
	Digest      string `json:"digest"`
	DiffID      string `json:"diffId"`
	CreatedBy   string `json:"createdBy,omitempty"`
	Entries     int    `json:"entries"`
	Bytes       int64  `json:"bytes"`
	Compression string `json:"compression,omitempty"`
	Cached      bool   `json:"cached,omitempty"`
	Error       string `json:"error,omitempty"`
}

// Scan scans an opened image.
func (s *Scanner) Scan(ctx context.Context, img *source.Image) (*Result, error) {
	results, err := walk.Walk(ctx, img.Layers, s.opts.Walk, func(source.Layer) walk.Analyzer[LayerData] {
		return &analyzer{s: s}
	})
	if err != nil {
		return nil, err
	}
	res := &Result{Image: ImageInfo{Name: img.Name, Tag: img.Tag, Digest: img.Digest, Platform: img.Platform}}
	files := make([][]walk.File, len(results))
	in := &check.Input{Config: img.Config, Tag: img.Tag}
	for i, lr := range results {
		files[i] = lr.Files
		li := LayerInfo{Index: i, Digest: lr.Layer.ID(), DiffID: lr.Layer.DiffID, CreatedBy: lr.Layer.CreatedBy,
			Entries: lr.Stats.Entries, Bytes: lr.Stats.Bytes, Compression: lr.Stats.Compression, Cached: lr.Cached}
		if lr.Err != nil {
			li.Error = lr.Err.Error()
			res.Errors = append(res.Errors, lr.Err.Error())
		}
		res.Image.Layers = append(res.Image.Layers, li)
		in.Layers = append(in.Layers, check.LayerInfo{Index: i, Digest: lr.Layer.ID(), CreatedBy: lr.Layer.CreatedBy})
		for _, a := range lr.Anomalies {
			in.Anomalies = append(in.Anomalies, check.LayerAnomaly{Layer: i, Anomaly: a})
		}
		for _, p := range lr.Data.Preload {
			p.Layer = i
			in.Preload = append(in.Preload, p)
		}
		for _, f := range lr.Data.Readdir {
			f.Layer = i
			in.ReaddirHooks = append(in.ReaddirHooks, f)
		}
		if n := lr.Data.Streamed; n > 0 {
			res.Notices = append(res.Notices, fmt.Sprintf("layer %d: %d files larger than %d MiB were searched in pieces (malware literals and Go build information only)", i, n, s.opts.MaxFileBytes>>20))
		}
		for _, p := range lr.Data.Problems {
			res.Notices = append(res.Notices, fmt.Sprintf("layer %d: %s", i, p))
		}
	}
	in.Index = walk.BuildIndex(files)
	res.Image.Files = in.Index.Len()

	// The SBOM: package databases present at run time.
	owned := map[string]bool{}
	var pkgs []sbom.Package
	for i, lr := range results {
		for _, f := range lr.Data.Found {
			if !in.Index.Present(outerPath(f.Path), i) {
				continue
			}
			if f.OS != nil && (res.OS == nil || f.Path == "/etc/os-release") {
				res.OS = f.OS
			}
			for _, o := range f.Owned {
				owned[o] = true
			}
			for _, p := range f.Packages {
				p.Layer = i
				pkgs = append(pkgs, p)
			}
		}
	}
	in.Packages = sbom.Finalize(pkgs, res.OS)
	res.Packages = in.Packages

	// Findings in files, from every layer.
	meta := map[string]rule.Meta{}
	for _, m := range check.All() {
		meta[m.ID] = m
	}
	add := func(id string, f check.Finding) {
		f.RuleID = id
		if f.Severity == 0 {
			f.Severity = meta[id].Severity
		}
		res.Findings = append(res.Findings, f)
	}
	for i, lr := range results {
		for _, h := range lr.Data.Malware {
			loc := in.Locate(i, h.Path)
			loc.Line, loc.Offset, loc.Evidence = h.Line, h.Offset, h.Evidence
			add(h.RuleID, check.Finding{Message: fileMessage(meta[h.RuleID].Title, h, loc), Location: loc})
		}
		for _, h := range lr.Data.Secrets {
			if owned[h.Path] {
				continue // installed by a package: its own, public defaults
			}
			loc := in.Locate(i, h.Path)
			loc.Line, loc.Evidence = h.Line, h.Evidence
			add(h.RuleID, check.Finding{Message: fmt.Sprintf("%s holds %s", h.Path, h.Message), Location: loc})
		}
	}
	// The entrypoint and command are scripts too.
	for field, argv := range map[string][]string{"config.Entrypoint": img.Config.Config.Entrypoint, "config.Cmd": img.Config.Config.Cmd} {
		if len(argv) == 0 {
			continue
		}
		text := []byte(strings.Join(argv, " "))
		for _, h := range s.engine.ScanFile(field, text, malware.Text) {
			loc := check.Location{Layer: -1, Field: field, Evidence: h.Evidence, Present: true}
			add(h.Rule.ID, check.Finding{Message: fmt.Sprintf("%s in %s", lowerFirst(h.Rule.Title), field), Location: loc})
		}
	}
	for _, c := range append(check.ConfigChecks(), check.ImageChecks()...) {
		for _, f := range c.Run(in) {
			add(c.ID, f)
		}
	}
	if s.opts.DB != nil {
		matches, err := s.opts.DB.Match(in.Packages)
		if err != nil {
			res.Errors = append(res.Errors, err.Error())
		}
		for _, m := range matches {
			m.Finding.Location = in.Locate(m.Package.Layer, outerPath(m.Package.Path))
			m.Finding.Path = m.Package.Path
			m.Finding.Evidence = m.Package.PURL
			add(m.Finding.RuleID, m.Finding)
		}
	}
	sortFindings(res.Findings)
	return res, nil
}

// outerPath strips the member of a nested archive ("a.jar!/b.jar").
func outerPath(p string) string {
	if i := strings.Index(p, "!/"); i >= 0 {
		return p[:i]
	}
	return p
}

func fileMessage(title string, h FileHit, loc check.Location) string {
	where := h.Path
	if h.Line > 0 {
		where = fmt.Sprintf("%s:%d", h.Path, h.Line)
	}
	msg := fmt.Sprintf("%s in %s", lowerFirst(title), where)
	if !loc.Present {
		msg += " (deleted or replaced by a later layer, still shipped in the image)"
	}
	return msg
}

// lowerFirst lower-cases the first letter of a title unless its first
// word is an acronym or a name written with capitals inside (XMRig, SSH).
func lowerFirst(s string) string {
	word, _, _ := strings.Cut(s, " ")
	if len(word) > 1 && strings.ToLower(word[1:]) != word[1:] {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

func sortFindings(fs []check.Finding) {
	slices.SortStableFunc(fs, func(a, b check.Finding) int {
		return cmp.Or(
			cmp.Compare(b.Severity, a.Severity),
			cmp.Compare(a.RuleID, b.RuleID),
			cmp.Compare(a.Layer, b.Layer),
			cmp.Compare(a.Path, b.Path),
			cmp.Compare(a.Field, b.Field),
			cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Message, b.Message),
		)
	})
}
