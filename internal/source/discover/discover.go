// Package discover loads everything the paths given to a scan hold: plain
// manifests, Helm charts and Kustomize directories, each rendered or built
// once.
//
// A path named on the command line is a chart when it is a directory with a
// Chart.yaml or a chart archive (.tgz), and a kustomization when it is a
// directory with a kustomization file or the file itself. Directories are
// walked as for plain manifests (internal/source/manifest), with two
// differences:
//
//   - A directory with a Chart.yaml is a chart: it is rendered with its own
//     values.yaml and not walked, so its templates, values files and
//     vendored subcharts are never read as manifests. The Helm options that
//     set values and the release apply only to charts named on the command
//     line; discovered charts get only the Kubernetes version and API
//     versions.
//   - Every directory with a kustomization file is noted. Those that no
//     other kustomization found in the scan refers to (through resources,
//     bases or components) are built; a base shared by overlays is thus
//     built once per overlay that uses it, and not on its own. A
//     kustomization named on the command line is always built. The files a
//     build read (resources, patches, generator inputs, the kustomization
//     files) are then not decoded again as plain manifests; other files in
//     those directories still are. When a build fails, the files directly
//     in its directory are left out too, since they are likely patches.
package discover

import (
	"errors"
	"os"
	"path/filepath"
	"slices"

	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/source/helm"
	"github.com/palisade-dev/palisade/internal/source/kustomize"
	"github.com/palisade-dev/palisade/internal/source/manifest"
)

// Options control loading.
type Options struct {
	Manifest manifest.Options
	// Helm applies in full to charts named on the command line; charts
	// found inside directories use only its KubeVersion and APIVersions.
	Helm      helm.Options
	Kustomize kustomize.Options
}

// ErrNoChart is returned when Helm values or release options are given but
// no path names a chart.
var ErrNoChart = errors.New("--values, --set, --set-string, --set-file, --release-name and --namespace apply to a chart named on the command line (a directory with Chart.yaml or a .tgz), and none was given")

// Load reads every path, rendering charts and building kustomizations.
func Load(paths []string, opts Options) (*manifest.Input, error) {
	var (
		charts       []string // named on the command line
		found        []string // found while walking
		kusts        []string
		explicitKust = map[string]bool{}
		plain        []string
	)
	for _, p := range paths {
		fi, err := os.Stat(p)
		switch {
		case p == "-" || err != nil:
			plain = append(plain, p) // the manifest loader reports errors
		case fi.IsDir() && helm.IsChartDir(p):
			charts = append(charts, p)
		case !fi.IsDir() && helm.IsChartArchive(p):
			charts = append(charts, p)
		case !fi.IsDir() && slices.Contains(kustomize.FileNames, filepath.Base(p)):
			dir := filepath.Dir(p)
			kusts = append(kusts, dir)
			explicitKust[abs(dir)] = true
		case fi.IsDir() && kustomize.File(p) != "":
			explicitKust[abs(p)] = true
			plain = append(plain, p)
		default:
			plain = append(plain, p)
		}
	}
	if len(charts) == 0 && helmValuesGiven(opts.Helm) {
		return nil, ErrNoChart
	}
	mopts := opts.Manifest
	mopts.Claim = func(dir string) bool {
		if helm.IsChartDir(dir) {
			found = append(found, dir)
			return true
		}
		if kustomize.File(dir) != "" {
			kusts = append(kusts, dir)
		}
		return false
	}
	// Files are decoded as the walk finds them, and while Kustomize
	// builds; the results of files a kustomization turns out to consume
	// are dropped below.
	loader := manifest.NewLoader(mopts)
	mopts.Found = loader.Add
	files, walkErrs := manifest.Files(plain, mopts)

	in := &manifest.Input{}
	add := func(objs []*object.Object, errs []*object.InputError, skipped []object.Skipped) {
		in.Objects = append(in.Objects, objs...)
		in.Errors = append(in.Errors, errs...)
		in.Skipped = append(in.Skipped, skipped...)
	}

	// Kustomizations first: their builds decide which files are consumed.
	consumed := map[string]bool{}
	referenced := map[string]bool{}
	for _, k := range kusts {
		for _, r := range kustomize.References(k) {
			referenced[abs(r)] = true
		}
	}
	built := map[string]bool{}
	for _, k := range kusts {
		a := abs(k)
		if built[a] || (referenced[a] && !explicitKust[a]) {
			continue
		}
		built[a] = true
		res := kustomize.Build(k, opts.Kustomize)
		add(res.Objects, res.Errors, res.Skipped)
		for _, f := range res.Read {
			consumed[f] = true
		}
		if len(res.Errors) > 0 {
			entries, _ := os.ReadDir(k)
			for _, e := range entries {
				if !e.IsDir() {
					consumed[abs(filepath.Join(k, e.Name()))] = true
				}
			}
		}
	}
	// Referenced kustomizations whose referrers were not built (none of
	// them is in the scan) are covered: every referrer found is built.

	results := loader.Results()
	kept := results[:0:0]
	for i, f := range files {
		if f == "-" || !consumed[abs(f)] {
			kept = append(kept, results[i])
		}
	}
	pin := manifest.Gather(kept)
	in.Errors = append(in.Errors, walkErrs...)
	add(pin.Objects, pin.Errors, pin.Skipped)
	in.Files = pin.Files + len(consumed)

	discovered := helm.Options{KubeVersion: opts.Helm.KubeVersion, APIVersions: opts.Helm.APIVersions}
	for i, c := range append(charts, found...) {
		ho := opts.Helm
		if i >= len(charts) {
			ho = discovered
		}
		res := helm.Render(c, ho)
		add(res.Objects, res.Errors, res.Skipped)
		in.Files += res.Files
	}
	return in, nil
}

func helmValuesGiven(o helm.Options) bool {
	return len(o.ValuesFiles)+len(o.Set)+len(o.SetString)+len(o.SetFile) > 0 || o.ReleaseName != "" || o.Namespace != ""
}

func abs(p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		return filepath.Clean(p)
	}
	return a
}
