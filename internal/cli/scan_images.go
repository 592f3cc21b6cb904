package cli

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/spf13/pflag"

	"github.com/palisade-dev/palisade/internal/engine"
	"github.com/palisade-dev/palisade/internal/image/check"
	"github.com/palisade-dev/palisade/internal/image/scan"
	"github.com/palisade-dev/palisade/internal/image/source"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
)

// imageScanFlags make `palisade scan` read the images its workloads run.
type imageScanFlags struct {
	images   bool
	platform string
	db       string
	cacheDir string
}

func addImageScanFlags(fl *pflag.FlagSet, f *imageScanFlags) {
	fl.BoolVar(&f.images, "images", false, "also scan the container images the workloads run (pulled from their registries with the Docker credentials; see palisade image)")
	fl.StringVar(&f.platform, "image-platform", source.DefaultPlatform, "with --images, `OS/ARCH[/VARIANT]` to pick from multi-platform images")
	fl.StringVar(&f.db, "image-db", "", "with --images, OSV vulnerability database `DIR` (default: the one 'palisade db import' fills, when present)")
	fl.StringVar(&f.cacheDir, "image-cache-dir", "", "with --images, cache layer results in `DIR`, keyed by layer DiffID")
}

func (f imageScanFlags) check() error {
	if !f.images && (f.db != "" || f.cacheDir != "" || f.platform != source.DefaultPlatform) {
		return usageError{fmt.Errorf("--image-platform, --image-db and --image-cache-dir need --images")}
	}
	return nil
}

// imageScan is what scanning the images of a scan produced.
type imageScan struct {
	// findings are the image findings as findings of the workloads that
	// run each image, on the container's image field.
	findings []rule.Finding
	// rules describe the image checks that found something, for the
	// reports.
	rules []*rule.Rule
	// errors are images that could not be read, at the image field of
	// the first workload that runs each.
	errors  []*object.InputError
	notices []engine.Notice
}

// scanImages reads every image the workloads of objs run, once each, and
// turns its findings into findings of those workloads: a suppression
// annotation on the workload (ignore.palisade.dev/<image-check-id>) or an
// ignore in .palisade.yaml then applies to them as to any finding.
func scanImages(ctx context.Context, f imageScanFlags, objs []*object.Object) (*imageScan, error) {
	type use struct {
		o *object.Object
		c object.Container
	}
	uses := map[string][]use{}
	for _, o := range objs {
		pt, ok := o.PodTemplate()
		if !ok {
			continue
		}
		for _, c := range pt.Containers() {
			if c.Image != "" {
				uses[c.Image] = append(uses[c.Image], use{o, c})
			}
		}
	}
	out := &imageScan{}
	if len(uses) == 0 {
		return out, nil
	}
	var opts scan.Options
	found, err := setUpImageScan(&opts, f.cacheDir, f.db)
	if err != nil {
		return nil, err
	}
	if !found {
		out.notices = append(out.notices, engine.Notice{Message: "--images: no vulnerability database, so image packages were not matched against advisories (give --image-db DIR or run palisade db import)"})
	}
	scanner, err := scan.New(opts)
	if err != nil {
		return nil, err
	}
	refs := make([]string, 0, len(uses))
	for ref := range uses {
		refs = append(refs, ref)
	}
	sort.Strings(refs)
	seenRule := map[string]bool{}
	for _, ref := range refs {
		first := uses[ref][0]
		img, err := source.Open(ctx, source.Options{Ref: ref, Platform: f.platform})
		var res *scan.Result
		if err == nil {
			res, err = scanner.Scan(ctx, img)
		}
		if err == nil && len(res.Errors) > 0 {
			err = fmt.Errorf("incomplete: %s", strings.Join(res.Errors, "; "))
		}
		if err != nil {
			pos, _ := first.o.Position(first.c.Path.Field("image"))
			out.errors = append(out.errors, &object.InputError{File: first.o.Source.File, Line: pos.Line, Msg: fmt.Sprintf("image %q of %s could not be scanned: %v", ref, rule.ContainerMessage(first.c), err)})
			continue
		}
		for _, fd := range res.Findings {
			if !seenRule[fd.RuleID] {
				seenRule[fd.RuleID] = true
				if m, ok := check.ByID(fd.RuleID); ok {
					out.rules = append(out.rules, &rule.Rule{Meta: m})
				}
			}
			for _, u := range uses[ref] {
				out.findings = append(out.findings, rule.Finding{
					RuleID:    fd.RuleID,
					Severity:  fd.Severity,
					Object:    u.o,
					Path:      u.c.Path.Field("image"),
					Container: u.c.Name,
					Message:   fmt.Sprintf("%s image %q: %s%s", rule.ContainerMessage(u.c), ref, fd.Message, where(fd)),
				})
			}
		}
	}
	slices.SortFunc(out.rules, func(a, b *rule.Rule) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// where says where in the image a finding is, for its message.
func where(fd check.Finding) string {
	switch {
	case fd.Path != "" && fd.Layer >= 0:
		return fmt.Sprintf(" (%s, layer %d)", fd.Path, fd.Layer)
	case fd.Path != "":
		return fmt.Sprintf(" (%s)", fd.Path)
	case fd.Field != "":
		return fmt.Sprintf(" (%s)", fd.Field)
	}
	return ""
}
