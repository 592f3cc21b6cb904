package discover

import (
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"github.com/palisade-dev/palisade/internal/source/helm"
)

var tree = filepath.Join("testdata", "tree")

func names(t *testing.T, paths []string, opts Options) []string {
	t.Helper()
	in, err := Load(paths, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range in.Errors {
		t.Errorf("input error: %v", e)
	}
	var out []string
	for _, o := range in.Objects {
		out = append(out, o.Kind+" "+o.Name+" "+o.Source.File)
	}
	slices.Sort(out)
	return out
}

func TestTree(t *testing.T) {
	got := names(t, []string{tree}, Options{})
	want := []string{
		"ConfigMap extra " + filepath.Join(tree, "kust", "overlays", "dev", "extra.yaml"),
		"DaemonSet release-name-agent " + filepath.Join(tree, "chart", "templates", "daemonset.yaml"),
		"Deployment dev-app " + filepath.Join(tree, "kust", "base", "deployment.yaml"),
		"Pod plain " + filepath.Join(tree, "plain", "pod.yaml"),
	}
	if !slices.Equal(got, want) {
		t.Errorf("objects:\n%q\nwant\n%q", got, want)
	}
}

func TestExplicitPaths(t *testing.T) {
	// A chart named on the command line takes the Helm options.
	in, err := Load([]string{filepath.Join(tree, "chart"), filepath.Join(tree, "kust", "base", "kustomization.yaml")},
		Options{Helm: helm.Options{Set: []string{"hostPID=true"}, ReleaseName: "r"}})
	if err != nil {
		t.Fatal(err)
	}
	var ds, app bool
	for _, o := range in.Objects {
		if o.Kind == "DaemonSet" && o.Name == "r-agent" {
			_, ds = o.Position("spec.template.spec.hostPID")
		}
		// The base named explicitly is built on its own.
		app = app || (o.Kind == "Deployment" && o.Name == "app")
	}
	if !ds || !app {
		t.Errorf("hostPID set: %v, base built: %v", ds, app)
	}
	// Helm values without a chart on the command line are a usage error.
	if _, err := Load([]string{tree}, Options{Helm: helm.Options{ValuesFiles: []string{"x.yaml"}}}); !errors.Is(err, ErrNoChart) {
		t.Errorf("err = %v, want ErrNoChart", err)
	}
}
