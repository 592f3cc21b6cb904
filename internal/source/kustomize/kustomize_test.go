package kustomize

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/palisade-dev/palisade/internal/object"
)

func build(t *testing.T, dir string, opts Options) *Result {
	t.Helper()
	res := Build(dir, opts)
	for _, e := range res.Errors {
		t.Errorf("input error: %v", e)
	}
	return res
}

func find(t *testing.T, objs []*object.Object, kind, name string) *object.Object {
	t.Helper()
	for _, o := range objs {
		if o.Kind == kind && o.Name == name {
			return o
		}
	}
	t.Fatalf("no %s %s", kind, name)
	return nil
}

// lineOf returns the line of file containing s.
func lineOf(t *testing.T, file, s string) int {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(data), "\n") {
		if strings.Contains(l, s) {
			return i + 1
		}
	}
	t.Fatalf("%s has no line with %q", file, s)
	return 0
}

var shop = filepath.Join("testdata", "shop")

func checkOrigin(t *testing.T, o *object.Object, p object.Path, file, line string) {
	t.Helper()
	org := o.Origin(p)
	if org == nil {
		t.Fatalf("%s: no origin for %s", o.Name, p)
	}
	want := filepath.Join(shop, file)
	if org.File != want || org.Line != lineOf(t, want, line) || org.Approximate {
		t.Errorf("%s %s: origin %s:%d (approximate %v), want %s:%d (%q)", o.Name, p, org.File, org.Line, org.Approximate, want, lineOf(t, want, line), line)
	}
}

func TestOverlayWithPatches(t *testing.T) {
	res := build(t, filepath.Join(shop, "overlays", "prod"), Options{})
	dep := find(t, res.Objects, "Deployment", "prod-api")
	if dep.RawNamespace != "shop-prod" {
		t.Errorf("namespace = %q", dep.RawNamespace)
	}
	if dep.Source.File != filepath.Join(shop, "base", "deployment.yaml") || dep.Line != 1 {
		t.Errorf("deployment at %s:%d", dep.Source.File, dep.Line)
	}
	// JSON 6902 patch in a file.
	checkOrigin(t, dep, "spec.template.spec.hostNetwork", "overlays/prod/node-access.yaml", "value: true")
	checkOrigin(t, dep, "spec.replicas", "overlays/prod/node-access.yaml", "value: 3")
	// Strategic-merge patch inline in the kustomization.
	checkOrigin(t, dep, "spec.template.spec.volumes[0].hostPath.path", "overlays/prod/kustomization.yaml", "path: /var/log")
	// Fields from the base.
	checkOrigin(t, dep, "spec.template.spec.containers[0].image", "base/deployment.yaml", "image: ghcr.io/acme/api:latest")
	// A missing field is placed where its parent is written in the base.
	if org := dep.Origin("spec.template.spec.containers[1].securityContext.runAsNonRoot"); org == nil || org.Line != 32 {
		t.Errorf("missing field origin %+v, want base/deployment.yaml:32 (the log-shipper's securityContext)", org)
	}
	// A generated ConfigMap: the generator's literal.
	var cm *object.Object
	for _, o := range res.Objects {
		if o.Kind == "ConfigMap" && strings.HasPrefix(o.Name, "prod-api-config-") {
			cm = o
		}
	}
	if cm == nil {
		t.Fatal("no generated ConfigMap")
	}
	checkOrigin(t, cm, "data.DB_PASSWORD", "base/kustomization.yaml", "DB_PASSWORD=")
	// Everything the build read is reported, patches included.
	for _, f := range []string{"base/deployment.yaml", "base/kustomization.yaml", "overlays/prod/node-access.yaml", "overlays/prod/kustomization.yaml"} {
		abs, _ := filepath.Abs(filepath.Join(shop, f))
		found := false
		for _, r := range res.Read {
			found = found || r == abs
		}
		if !found {
			t.Errorf("Read lacks %s: %v", f, res.Read)
		}
	}
}

func TestComponent(t *testing.T) {
	res := build(t, filepath.Join(shop, "overlays", "staging"), Options{})
	dep := find(t, res.Objects, "Deployment", "staging-api")
	checkOrigin(t, dep, "spec.template.spec.containers[0].securityContext.privileged", "components/debug/debug-patch.yaml", "privileged: true")
	// A field the component's patch merges into but does not set.
	checkOrigin(t, dep, "spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem", "base/deployment.yaml", "readOnlyRootFilesystem: true")
	// hostNetwork is missing: where the pod spec is written in the base.
	checkOrigin(t, dep, "spec.template.spec.hostNetwork", "base/deployment.yaml", "    spec:")
}

func TestLoadRestrictions(t *testing.T) {
	dir := filepath.Join("testdata", "outside", "overlay")
	res := Build(dir, Options{})
	if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Msg, "security") && !strings.Contains(res.Errors[0].Msg, "outside") {
		t.Errorf("rooted build errors = %v, want a load restriction error", res.Errors)
	}
	res = build(t, dir, Options{LoadRestrictionsNone: true})
	sa := find(t, res.Objects, "ServiceAccount", "shared")
	if org := sa.Origin("automountServiceAccountToken"); org == nil || org.File != filepath.Join("testdata", "outside", "shared", "serviceaccount.yaml") || org.Line != 5 {
		t.Errorf("origin %+v", org)
	}
}

func TestBuildErrors(t *testing.T) {
	for _, dir := range []string{"missing", "badyaml"} {
		res := Build(filepath.Join("testdata", "broken", dir), Options{})
		if len(res.Errors) != 1 || len(res.Objects) != 0 {
			t.Fatalf("%s: errors %v, objects %d", dir, res.Errors, len(res.Objects))
		}
		if e := res.Errors[0]; e.File != filepath.Join("testdata", "broken", dir, "kustomization.yaml") {
			t.Errorf("%s: error %v names the wrong file", dir, e)
		}
	}
	if res := Build(filepath.Join("testdata", "broken"), Options{}); len(res.Errors) != 1 {
		t.Errorf("a directory without kustomization: %v", res.Errors)
	}
}

func TestReferences(t *testing.T) {
	refs := References(filepath.Join(shop, "overlays", "staging"))
	want := []string{filepath.Join(shop, "base"), filepath.Join(shop, "components", "debug")}
	if strings.Join(refs, ",") != strings.Join(want, ",") {
		t.Errorf("References = %v, want %v", refs, want)
	}
}

func TestHelmChartsMustBeVendored(t *testing.T) {
	dir := filepath.Join("testdata", "helmcharts")
	res := Build(dir, Options{EnableHelm: true, HelmCommand: "/nonexistent/helm"})
	if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Msg, "not vendored") || res.Errors[0].Line != 2 {
		t.Errorf("errors = %v, want redis not vendored at line 2", res.Errors)
	}
	// Without --enable-helm, kustomize refuses helmCharts itself.
	if res := Build(dir, Options{}); len(res.Errors) != 1 {
		t.Errorf("errors = %v", res.Errors)
	}
}
