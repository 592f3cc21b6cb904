package helm

import (
	"archive/tar"
	"compress/gzip"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/palisade-dev/palisade/internal/object"
)

// webChart copies testdata/web to a temporary directory and vendors the
// cache subchart into its charts/ as an archive, as `helm dependency
// build` would. It returns the chart directory.
func webChart(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "web")
	copyDir(t, filepath.Join("testdata", "web"), dir)
	PackageChart(t, filepath.Join("testdata", "cache"), filepath.Join(dir, "charts", "cache-0.1.0.tgz"))
	return dir
}

func copyDir(t testing.TB, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), data, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// PackageChart writes the chart in dir as a .tgz archive at out, with the
// files under a top directory named after dir, as `helm package` does.
func PackageChart(t testing.TB, dir, out string) {
	t.Helper()
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(f)
	tw := tar.NewWriter(zw)
	top := filepath.Base(dir)
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if err := tw.WriteHeader(&tar.Header{Name: top + "/" + filepath.ToSlash(rel), Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		_, err = tw.Write(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []interface{ Close() error }{tw, zw, f} {
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// lineOf returns the 1-based line of the first line of file containing s.
func lineOf(t testing.TB, file, s string) int {
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
	t.Fatalf("%s has no line containing %q", file, s)
	return 0
}

func find(t testing.TB, objs []*object.Object, kind, name string) *object.Object {
	t.Helper()
	for _, o := range objs {
		if o.Kind == kind && o.Name == name {
			return o
		}
	}
	var have []string
	for _, o := range objs {
		have = append(have, o.Kind+" "+o.Name)
	}
	t.Fatalf("no %s %s among %v", kind, name, have)
	return nil
}

func render(t testing.TB, dir string, opts Options) *Result {
	t.Helper()
	res := Render(dir, opts)
	for _, e := range res.Errors {
		t.Errorf("input error: %v", e)
	}
	return res
}

// origin returns the origin of the field at p of o, failing when there is
// none or it is approximate.
func origin(t testing.TB, o *object.Object, p object.Path) object.Origin {
	t.Helper()
	org := o.Origin(p)
	if org == nil {
		t.Fatalf("%s %s: no origin for %s", o.Kind, o.Name, p)
	}
	if org.Approximate {
		t.Errorf("%s %s: origin of %s is approximate: %+v", o.Kind, o.Name, p, *org)
	}
	return *org
}

type wantOrigin struct {
	file, line string // file relative to the chart; a text on the line
	key        string
	valuesFile string // relative to the chart, or a flag
	valuesLine string // a text on the values line
}

func checkOrigin(t *testing.T, dir string, o *object.Object, p object.Path, w wantOrigin) {
	t.Helper()
	org := origin(t, o, p)
	file := filepath.Join(dir, w.file)
	if strings.Contains(w.file, "#") {
		file = dir + "/" + w.file
	}
	if org.File != file {
		t.Errorf("%s %s: file = %s, want %s", o.Name, p, org.File, file)
	} else if !strings.Contains(w.file, "#") {
		if line := lineOf(t, file, w.line); org.Line != line {
			t.Errorf("%s %s: line = %d, want %d (%q)", o.Name, p, org.Line, line, w.line)
		}
	}
	if org.ValuesKey != w.key {
		t.Errorf("%s %s: values key = %q, want %q", o.Name, p, org.ValuesKey, w.key)
	}
	switch {
	case w.valuesFile == "":
		if org.ValuesFile != "" {
			t.Errorf("%s %s: values file = %s, want none", o.Name, p, org.ValuesFile)
		}
	case strings.HasPrefix(w.valuesFile, "--"):
		if org.ValuesFile != w.valuesFile || org.ValuesLine != 0 {
			t.Errorf("%s %s: values from %s:%d, want %s", o.Name, p, org.ValuesFile, org.ValuesLine, w.valuesFile)
		}
	default:
		vf := filepath.Join(dir, w.valuesFile)
		if strings.Contains(w.valuesFile, "#") {
			vf = dir + "/" + w.valuesFile
		}
		if org.ValuesFile != vf {
			t.Errorf("%s %s: values file = %s, want %s", o.Name, p, org.ValuesFile, vf)
		} else if w.valuesLine != "" && !strings.Contains(vf, "#") {
			if line := lineOf(t, vf, w.valuesLine); org.ValuesLine != line {
				t.Errorf("%s %s: values line = %d, want %d (%q)", o.Name, p, org.ValuesLine, line, w.valuesLine)
			}
		}
	}
}

func TestRenderDefaults(t *testing.T) {
	dir := webChart(t)
	res := render(t, dir, Options{})
	var got []string
	for _, o := range res.Objects {
		got = append(got, o.Kind+" "+o.Name)
	}
	want := []string{
		"StatefulSet release-name-cache", "DaemonSet release-name-metrics", "Deployment release-name-web",
		"Secret release-name-web-auth", "Service release-name-web", "ServiceAccount release-name-web",
		"Deployment release-name-web-worker",
	}
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Errorf("objects:\n%v\nwant\n%v", got, want)
	}
	if res.Files != len(want) {
		t.Errorf("Files = %d, want %d (NOTES.txt and helpers are not counted)", res.Files, len(want))
	}
	dep := find(t, res.Objects, "Deployment", "release-name-web")
	// The library chart's helper rendered the labels.
	if dep.Labels()["app.kubernetes.io/managed-by"] != "Helm" {
		t.Errorf("labels = %v", dep.Labels())
	}
	if dep.Line != 1 || !strings.HasSuffix(dep.Source.File, filepath.Join("templates", "deployment.yaml")) {
		t.Errorf("deployment at %s:%d", dep.Source.File, dep.Line)
	}
	w := find(t, res.Objects, "Deployment", "release-name-web-worker")
	if w.Line != 2 {
		t.Errorf("worker starts at line %d, want 2 (after the if)", w.Line)
	}
	// lookup finds nothing offline, so the template generates a password.
	sec := find(t, res.Objects, "Secret", "release-name-web-auth")
	if pos, ok := sec.Position("data.password"); !ok || pos.Line == 0 {
		t.Errorf("secret has no password")
	}
	if org := origin(t, sec, "data.password"); org.Line != lineOf(t, filepath.Join(dir, "templates", "secret.yaml"), "b64enc") {
		t.Errorf("password origin %+v", org)
	}
}

func TestOrigins(t *testing.T) {
	dir := webChart(t)
	res := render(t, dir, Options{
		ValuesFiles: []string{filepath.Join(dir, "values-prod.yaml"), filepath.Join(dir, "values-debug.yaml")},
		Set:         []string{"worker.privileged=true"},
	})
	dep := find(t, res.Objects, "Deployment", "release-name-web")
	worker := find(t, res.Objects, "Deployment", "release-name-web-worker")
	metrics := find(t, res.Objects, "DaemonSet", "release-name-metrics")
	cache := find(t, res.Objects, "StatefulSet", "release-name-cache")
	tests := []struct {
		o    *object.Object
		p    object.Path
		want wantOrigin
	}{
		// A value from a later values file, through toYaml of a map.
		{dep, "spec.template.spec.containers[0].securityContext.privileged", wantOrigin{
			"templates/deployment.yaml", "toYaml .Values.securityContext", "securityContext.privileged", "values-debug.yaml", "privileged: true"}},
		// A value from the chart's values.yaml, the same way.
		{dep, "spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem", wantOrigin{
			"templates/deployment.yaml", "toYaml .Values.securityContext", "securityContext.readOnlyRootFilesystem", "values.yaml", "readOnlyRootFilesystem: true"}},
		// Literal text inside a conditional: the template line, no value.
		{dep, "spec.template.spec.hostNetwork", wantOrigin{"templates/deployment.yaml", "hostNetwork: true", "", "", ""}},
		// A scalar action; the first values file sets it.
		{dep, "spec.replicas", wantOrigin{"templates/deployment.yaml", "replicas: {{", "replicaCount", "values-prod.yaml", "replicaCount: 4"}},
		// range over a list, with over an item's map.
		{dep, "spec.template.spec.containers[1].securityContext.runAsUser", wantOrigin{
			"templates/deployment.yaml", "toYaml . | nindent 12", "sidecars[0].securityContext.runAsUser", "values-prod.yaml", "runAsUser: 0"}},
		{dep, "spec.template.spec.containers[1].image", wantOrigin{"templates/deployment.yaml", "image: {{ .image }}", "sidecars[0].image", "values-prod.yaml", "image: ghcr.io/acme/proxy"}},
		// A helper template given a values map; --set sets the value.
		{worker, "spec.template.spec.containers[0].securityContext.privileged", wantOrigin{
			"templates/_helpers.tpl", "privileged: {{ .privileged", "worker.privileged", "--set", ""}},
		{worker, "spec.template.spec.containers[0].securityContext.runAsUser", wantOrigin{
			"templates/_helpers.tpl", "runAsUser: {{ .runAsUser }}", "worker.runAsUser", "values.yaml", "runAsUser: 1000"}},
		// A subchart's value set by the parent's values file.
		{metrics, "spec.template.spec.hostPID", wantOrigin{"charts/metrics/templates/daemonset.yaml", "hostPID:", "metrics.hostPID", "values-debug.yaml", "hostPID: true"}},
		// A subchart's value left at its own default.
		{metrics, "spec.template.spec.containers[0].ports[0].containerPort", wantOrigin{"charts/metrics/templates/daemonset.yaml", "containerPort:", "metrics.port", "charts/metrics/values.yaml", "port: 9100"}},
		// A global set by the parent chart.
		{metrics, "spec.template.spec.containers[0].env[0].value", wantOrigin{"charts/metrics/templates/daemonset.yaml", "value: {{ .Values.global", "metrics.global.imageRegistry", "values.yaml", "imageRegistry:"}},
		// A subchart vendored as an archive, with its own values.
		{cache, "spec.template.spec.volumes[0].hostPath.path", wantOrigin{"charts/cache-0.1.0.tgz#cache/templates/statefulset.yaml", "", "cache.persistence.hostPath", "charts/cache-0.1.0.tgz#cache/values.yaml", ""}},
	}
	for _, tt := range tests {
		checkOrigin(t, dir, tt.o, tt.p, tt.want)
	}
	if org := origin(t, cache, "spec.template.spec.volumes[0].hostPath.path"); org.Line != 24 || org.ValuesLine != 3 {
		t.Errorf("archive origin lines %d, %d; want 24, 3", org.Line, org.ValuesLine)
	}
	// A field missing from a map that comes from values: the key to add.
	if org := origin(t, dep, "spec.template.spec.containers[0].securityContext.runAsNonRoot"); org.ValuesKey != "securityContext.runAsNonRoot" || org.Note == "" {
		t.Errorf("missing field origin %+v", org)
	}
}

func TestSetOverridesFiles(t *testing.T) {
	dir := webChart(t)
	res := render(t, dir, Options{
		ValuesFiles: []string{filepath.Join(dir, "values-prod.yaml")},
		Set:         []string{"replicaCount=7"},
		SetString:   []string{"image.tag=2.0"},
	})
	dep := find(t, res.Objects, "Deployment", "release-name-web")
	checkOrigin(t, dir, dep, "spec.replicas", wantOrigin{"templates/deployment.yaml", "replicas: {{", "replicaCount", "--set", ""})
	w := find(t, res.Objects, "Deployment", "release-name-web-worker")
	if pt, ok := w.PodTemplate(); !ok || pt.Spec.Containers[0].Image != "ghcr.io/acme/web:2.0" {
		t.Errorf("worker image not from --set-string: %+v", pt.Spec)
	}
}

func TestReleaseAndCapabilities(t *testing.T) {
	dir := webChart(t)
	res := render(t, dir, Options{ReleaseName: "shop", Namespace: "prod", APIVersions: []string{"cilium.io/v2"}, Set: []string{"metrics.enabled=false,cache.enabled=false"}})
	svc := find(t, res.Objects, "Service", "shop-web")
	if svc.RawNamespace != "prod" {
		t.Errorf("namespace = %q", svc.RawNamespace)
	}
	find(t, res.Objects, "CiliumNetworkPolicy", "shop-web")
	for _, o := range res.Objects {
		if o.Kind == "DaemonSet" || o.Kind == "StatefulSet" {
			t.Errorf("disabled subchart rendered %s %s", o.Kind, o.Name)
		}
	}
	res = Render(dir, Options{KubeVersion: "v1.22"})
	if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Msg, "kubeVersion") {
		t.Errorf("errors = %v, want an incompatible kubeVersion", res.Errors)
	}
}

func TestChartArchive(t *testing.T) {
	dir := webChart(t)
	tgz := filepath.Join(t.TempDir(), "web-1.2.0.tgz")
	PackageChart(t, dir, tgz)
	res := render(t, tgz, Options{})
	dep := find(t, res.Objects, "Deployment", "release-name-web")
	if want := tgz + "#web/templates/deployment.yaml"; dep.Source.File != want {
		t.Errorf("file = %s, want %s", dep.Source.File, want)
	}
	org := origin(t, dep, "spec.template.spec.containers[0].securityContext.privileged")
	if org.ValuesFile != tgz+"#web/values.yaml" || org.ValuesLine != 20 {
		t.Errorf("origin %+v", org)
	}
}

// writeChart writes a chart from a map of file names to contents.
func writeChart(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "c")
	files["Chart.yaml"] = "apiVersion: v2\nname: c\nversion: 0.1.0\n"
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestInputErrors(t *testing.T) {
	dir := webChart(t)
	tests := []struct {
		name     string
		dir      string
		opts     Options
		file     string // relative to dir
		line     string // text on the line ("" for none)
		contains string
	}{
		{"required", dir, Options{Set: []string{"image.repository="}}, "templates/deployment.yaml", "required", "image.repository is required"},
		{"missing dependency", filepath.Join("testdata", "web"), Options{}, "Chart.yaml", "name: cache", "helm dependency build"},
		{"bad values file", dir, Options{ValuesFiles: []string{filepath.Join(dir, "templates", "_helpers.tpl")}}, "templates/_helpers.tpl", "", "invalid values file"},
		{"missing values file", dir, Options{ValuesFiles: []string{filepath.Join(dir, "nope.yaml")}}, "nope.yaml", "", "no such file"},
		{"bad --set", dir, Options{Set: []string{"a[=1"}}, "--set", "", "--set"},
	}
	broken := writeChart(t, map[string]string{
		"values.yaml":         "x: 1\n",
		"templates/ok.yaml":   "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n",
		"templates/bad.yaml":  "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.x | nosuchfunc }}\n",
		"templates/_help.tpl": "{{ define \"h\" }}{{ end }}\n",
	})
	tests = append(tests, struct {
		name     string
		dir      string
		opts     Options
		file     string
		line     string
		contains string
	}{"syntax", broken, Options{}, "templates/bad.yaml", "nosuchfunc", "nosuchfunc"})
	failing := writeChart(t, map[string]string{
		"templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n{{- if not .Values.ok }}\n{{- fail \"set ok to true\" }}\n{{- end }}\n",
	})
	tests = append(tests, struct {
		name     string
		dir      string
		opts     Options
		file     string
		line     string
		contains string
	}{"fail", failing, Options{}, "templates/cm.yaml", "fail", "set ok to true"})
	yamlErr := writeChart(t, map[string]string{
		"templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: {{ .Values.a }}\n  b: [\n",
		"values.yaml":       "a: 1\n",
	})
	tests = append(tests, struct {
		name     string
		dir      string
		opts     Options
		file     string
		line     string
		contains string
	}{"rendered yaml", yamlErr, Options{}, "templates/cm.yaml", "", "rendered template"})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Render(tt.dir, tt.opts)
			if len(res.Errors) != 1 {
				t.Fatalf("errors = %v, want one", res.Errors)
			}
			e := res.Errors[0]
			want := tt.file
			if !strings.HasPrefix(want, "--") {
				want = filepath.Join(tt.dir, tt.file)
			}
			if e.File != want {
				t.Errorf("file = %s, want %s (%v)", e.File, want, e)
			}
			if tt.line != "" {
				if l := lineOf(t, want, tt.line); e.Line != l {
					t.Errorf("line = %d, want %d (%v)", e.Line, l, e)
				}
			}
			if !strings.Contains(e.Msg, tt.contains) {
				t.Errorf("message %q lacks %q", e.Msg, tt.contains)
			}
			if tt.name == "rendered yaml" && e.Line == 0 {
				t.Errorf("no line: %v", e)
			}
		})
	}
}

// TestTraceFallback checks that helper output cut by trunc, which damages
// the markers inside it, is still traced: to the include call.
func TestTraceFallback(t *testing.T) {
	dir := writeChart(t, map[string]string{
		"values.yaml":        "name: abcdefghijklmnop\npriv: true\n",
		"templates/_h.tpl":   "{{- define \"n\" }}{{ .Values.name }}{{ end }}\n",
		"templates/pod.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ include \"n\" . | trunc 5 }}\nspec:\n  containers:\n    - name: c\n      image: x\n      securityContext:\n        privileged: {{ .Values.priv }}\n",
	})
	res := render(t, dir, Options{})
	pod := find(t, res.Objects, "Pod", "abcde")
	org := origin(t, pod, "metadata.name")
	if org.Line != 4 || !strings.HasSuffix(org.File, "pod.yaml") {
		t.Errorf("name origin %+v", org)
	}
	org = origin(t, pod, "spec.containers[0].securityContext.privileged")
	if org.Line != 10 || org.ValuesKey != "priv" || org.ValuesLine != 2 {
		t.Errorf("privileged origin %+v", org)
	}
}

// TestDefaultKubeVersion keeps DefaultKubeVersion in step with the
// k8s.io/api module in go.mod.
func TestDefaultKubeVersion(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*k8s\.io/api v0\.(\d+)\.`).FindSubmatch(data)
	if m == nil {
		t.Fatal("go.mod requires no k8s.io/api")
	}
	if want := "v1." + string(m[1]) + ".0"; DefaultKubeVersion != want {
		t.Errorf("DefaultKubeVersion = %s, want %s for k8s.io/api v0.%s", DefaultKubeVersion, want, m[1])
	}
}
