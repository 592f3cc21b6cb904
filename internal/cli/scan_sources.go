package cli

import (
	"fmt"

	"github.com/spf13/pflag"

	"github.com/palisade-dev/palisade/internal/source/discover"
	"github.com/palisade-dev/palisade/internal/source/helm"
	"github.com/palisade-dev/palisade/internal/source/kustomize"
	"github.com/palisade-dev/palisade/internal/source/manifest"
)

// sourceFlags are the scan flags for Helm charts and Kustomize directories.
type sourceFlags struct {
	values         []string
	set            []string
	setString      []string
	setFile        []string
	releaseName    string
	namespace      string
	apiVersions    []string
	enableHelm     bool
	loadRestrictor string
}

func addSourceFlags(fl *pflag.FlagSet, f *sourceFlags) {
	fl.StringArrayVarP(&f.values, "values", "f", nil, "Helm values `FILE` for the chart named on the command line (repeatable; later files win)")
	fl.StringArrayVar(&f.set, "set", nil, "set Helm values for the chart named on the command line (`KEY=VAL[,KEY=VAL]`, repeatable)")
	fl.StringArrayVar(&f.setString, "set-string", nil, "set Helm values as strings (`KEY=VAL[,KEY=VAL]`, repeatable)")
	fl.StringArrayVar(&f.setFile, "set-file", nil, "set Helm values from files (`KEY=PATH[,KEY=PATH]`, repeatable)")
	fl.StringVar(&f.releaseName, "release-name", "", "Helm release `NAME` (default release-name)")
	fl.StringVarP(&f.namespace, "namespace", "n", "", "with --cluster, the `NAMESPACE`s to scan (comma-separated; default the context's); for a Helm chart, its release namespace (default default)")
	fl.StringSliceVar(&f.apiVersions, "api-versions", nil, "extra `API_VERSION`s for Helm's .Capabilities.APIVersions (repeatable)")
	fl.BoolVar(&f.enableHelm, "enable-helm", false, "let Kustomize inflate helmCharts by running the helm binary (charts must be vendored)")
	fl.StringVar(&f.loadRestrictor, "load-restrictor", "LoadRestrictionsRootOnly", "Kustomize file loading: LoadRestrictionsRootOnly or LoadRestrictionsNone")
}

// loadInputs reads the scanned paths: manifests, charts and kustomizations.
// kubeVersion is the scan's --kube-version, also used as Helm's
// .Capabilities.KubeVersion.
func loadInputs(paths []string, f sourceFlags, kubeVersion string, mopts manifest.Options) (*manifest.Input, error) {
	opts := discover.Options{
		Manifest: mopts,
		Helm: helm.Options{
			ValuesFiles: f.values, Set: f.set, SetString: f.setString, SetFile: f.setFile,
			ReleaseName: f.releaseName, Namespace: f.namespace,
			KubeVersion: kubeVersion, APIVersions: f.apiVersions,
		},
		Kustomize: kustomize.Options{EnableHelm: f.enableHelm},
	}
	switch f.loadRestrictor {
	case "LoadRestrictionsRootOnly", "rootOnly":
	case "LoadRestrictionsNone", "none":
		opts.Kustomize.LoadRestrictionsNone = true
	default:
		return nil, usageError{fmt.Errorf("--load-restrictor must be LoadRestrictionsRootOnly or LoadRestrictionsNone, not %q", f.loadRestrictor)}
	}
	in, err := discover.Load(paths, opts)
	if err != nil {
		return nil, usageError{err}
	}
	return in, nil
}
