// Package helm renders Helm charts in-process with the Helm SDK, as
// `helm template` does, and decodes the rendered manifests into objects
// whose findings point back at the files a person edits.
//
// Rendering never touches the network or a cluster: dependencies must be
// vendored in charts/ (as directories or archives), lookup returns nothing,
// getHostByName returns an empty string, and a values.schema.json that
// refers to remote schemas is not validated.
//
// Each rendered object carries an object.OriginMapper (see mapper.go) that
// names the template file and line that produced a field, and, when the
// field's value came from .Values, the values key and the values file and
// line that set it. The mapping is traced by rendering the chart a second
// time with instrumented templates (see trace.go); where the trace cannot
// be trusted the mapper says its answer is approximate.
package helm

import (
	"bytes"
	"cmp"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"

	"github.com/palisade-dev/palisade/internal/object"
)

// Options are the settings `helm template` takes that change what a chart
// renders.
type Options struct {
	// ValuesFiles are merged in order over the chart's values.yaml; later
	// files win (helm's -f/--values).
	ValuesFiles []string
	// Set, SetString and SetFile are helm's --set, --set-string and
	// --set-file arguments, applied in that order after ValuesFiles.
	Set, SetString, SetFile []string
	// ReleaseName is .Release.Name; "" means "release-name", as helm
	// template uses.
	ReleaseName string
	// Namespace is .Release.Namespace; "" means "default".
	Namespace string
	// KubeVersion is .Capabilities.KubeVersion, such as v1.30 or 1.30.2;
	// "" means the Kubernetes version Palisade is built against.
	KubeVersion string
	// APIVersions are added to .Capabilities.APIVersions.
	APIVersions []string
}

// Result is what rendering one chart produced.
type Result struct {
	Objects []*object.Object
	// Errors are problems with the chart, its values or its templates,
	// each naming the file and line when known. A chart that fails to
	// render contributes no objects.
	Errors  []*object.InputError
	Skipped []object.Skipped
	// Files counts the templates rendered.
	Files int
}

// Default release settings, as helm template uses them.
const (
	DefaultReleaseName = "release-name"
	DefaultNamespace   = "default"
)

// IsChartDir reports whether dir holds a chart (a Chart.yaml).
func IsChartDir(dir string) bool {
	fi, err := os.Stat(filepath.Join(dir, "Chart.yaml"))
	return err == nil && fi.Mode().IsRegular()
}

// IsChartArchive reports whether file looks like a packaged chart: a gzip
// file named .tgz or .tar.gz.
func IsChartArchive(file string) bool {
	lower := strings.ToLower(file)
	if !strings.HasSuffix(lower, ".tgz") && !strings.HasSuffix(lower, ".tar.gz") {
		return false
	}
	f, err := os.Open(file)
	if err != nil {
		return false
	}
	defer func() { _ = f.Close() }()
	var magic [2]byte
	n, _ := f.Read(magic[:])
	return n == 2 && magic[0] == 0x1f && magic[1] == 0x8b
}

// Render renders the chart in the directory or archive at chartPath and
// decodes what it renders.
func Render(chartPath string, opts Options) *Result {
	res := &Result{}
	fail := func(file string, line int, format string, args ...any) *Result {
		res.Errors = append(res.Errors, &object.InputError{File: file, Line: line, Msg: fmt.Sprintf(format, args...)})
		return res
	}
	chartFile := chartPath
	isDir := false
	if fi, err := os.Stat(chartPath); err == nil && fi.IsDir() {
		isDir = true
		chartFile = filepath.Join(chartPath, "Chart.yaml")
	}
	ch, err := loader.Load(chartPath)
	if err != nil {
		return fail(chartFile, 0, "cannot load chart: %v", err)
	}
	layout := newLayout(ch, chartPath, isDir)

	vals, verr := readValues(opts)
	if verr != nil {
		return fail(verr.file, verr.line, "%s", verr.msg)
	}
	if missing := missingDependencies(ch); len(missing) > 0 {
		for _, d := range missing {
			res.Errors = append(res.Errors, &object.InputError{
				File: chartFile, Line: dependencyLine(ch, d.Name),
				Msg: fmt.Sprintf("dependency %q (%s) is not vendored in charts/; Palisade does not download charts: run `helm dependency build %s` and scan again",
					d.Name, cmp.Or(d.Repository, "no repository"), chartPath),
			})
		}
		return res
	}
	if err := chartutil.ProcessDependenciesWithMerge(ch, vals.merged); err != nil {
		return fail(chartFile, 0, "cannot resolve dependencies: %v", err)
	}
	layout.names(ch)
	caps, err := capabilities(opts)
	if err != nil {
		return fail(chartFile, 0, "%v", err)
	}
	if c := ch.Metadata.KubeVersion; c != "" && !chartutil.IsCompatibleRange(c, caps.KubeVersion.String()) {
		return fail(chartFile, 0, "chart requires kubeVersion %s, which is incompatible with Kubernetes %s (set --kube-version)", c, caps.KubeVersion.String())
	}
	rel := chartutil.ReleaseOptions{
		Name:      cmp.Or(opts.ReleaseName, DefaultReleaseName),
		Namespace: cmp.Or(opts.Namespace, DefaultNamespace),
		Revision:  1,
		IsInstall: true,
	}
	// Schemas are validated here rather than by ToRenderValues so that one
	// with remote references is skipped instead of fetched.
	top, err := chartutil.ToRenderValuesWithSchemaValidation(ch, vals.merged, rel, caps, true)
	if err != nil {
		return fail(chartFile, 0, "cannot compute values: %v", err)
	}
	if !remoteSchema(ch) {
		if v, ok := top["Values"].(chartutil.Values); ok {
			if err := chartutil.ValidateAgainstSchema(ch, v); err != nil {
				return fail(layout.valuesFile(ch), 0, "values do not match values.schema.json: %v", err)
			}
		}
	}
	rendered, err := engine.Engine{}.Render(ch, top)
	if err != nil {
		res.Errors = append(res.Errors, templateError(err, layout, chartFile))
		return res
	}

	names := make([]string, 0, len(rendered))
	for name, text := range rendered {
		if strings.HasSuffix(name, "NOTES.txt") || strings.TrimSpace(text) == "" {
			continue
		}
		names = append(names, name)
	}
	slices.Sort(names)
	attr := newAttributor(ch, layout, vals)
	tr := newTracer(ch, top, layout, rendered)
	for _, name := range names {
		text := rendered[name]
		display := layout.template(name)
		res.Files++
		ft := tr.file(name)
		dec := object.Decode(display, []byte(text))
		m := &fileMapper{trace: ft, attr: attr, text: text, lines: lineStarts(text), display: display, source: tr.sources[name]}
		for _, o := range dec.Objects {
			o.Mapper = m
			o.Line = 1 // the rendered line means nothing in the template
			if org, ok := m.Origin(o, ""); ok && org.File == display && org.Line > 0 {
				o.Line = org.Line
			}
		}
		for _, e := range dec.Errors {
			e.Msg, e.Line = m.renderedError(e)
		}
		for i := range dec.Skipped {
			if l := m.templateLine(dec.Skipped[i].Line); l > 0 {
				dec.Skipped[i].Line = l
			}
		}
		res.Objects = append(res.Objects, dec.Objects...)
		res.Errors = append(res.Errors, dec.Errors...)
		res.Skipped = append(res.Skipped, dec.Skipped...)
	}
	return res
}

// missingDependencies returns the dependencies Chart.yaml declares that are
// not in charts/, as helm install checks them.
func missingDependencies(ch *chart.Chart) []*chart.Dependency {
	var missing []*chart.Dependency
	for _, d := range ch.Metadata.Dependencies {
		found := false
		for _, sc := range ch.Dependencies() {
			if sc.Name() == d.Name {
				found = true
				break
			}
		}
		if !found {
			missing = append(missing, d)
		}
	}
	return missing
}

// dependencyLine finds the line of a dependency's name in Chart.yaml.
func dependencyLine(ch *chart.Chart, name string) int {
	for _, f := range ch.Raw {
		if f.Name != "Chart.yaml" {
			continue
		}
		var root yaml.Node
		if yaml.Unmarshal(f.Data, &root) != nil || len(root.Content) == 0 {
			return 0
		}
		deps := mapValue(root.Content[0], "dependencies")
		if deps == nil || deps.Kind != yaml.SequenceNode {
			return 0
		}
		for _, d := range deps.Content {
			if n := mapValue(d, "name"); n != nil && n.Value == name {
				return n.Line
			}
		}
	}
	return 0
}

// remoteSchema reports whether any chart's values.schema.json refers to a
// schema by URL, which validation would fetch.
func remoteSchema(ch *chart.Chart) bool {
	if bytes.Contains(ch.Schema, []byte(`"http://`)) || bytes.Contains(ch.Schema, []byte(`"https://`)) {
		// "$schema" naming a draft is built in; any other URL is a reference.
		for _, m := range schemaURLRE.FindAllSubmatch(ch.Schema, -1) {
			if string(m[1]) != "$schema" {
				return true
			}
		}
	}
	for _, d := range ch.Dependencies() {
		if remoteSchema(d) {
			return true
		}
	}
	return false
}

var schemaURLRE = regexp.MustCompile(`"(\$?\w+)"\s*:\s*"https?://`)

// capabilities builds .Capabilities: helm's defaults, with
// DefaultKubeVersion unless opts says otherwise.
func capabilities(opts Options) (*chartutil.Capabilities, error) {
	caps := chartutil.DefaultCapabilities.Copy()
	v := opts.KubeVersion
	if v == "" || v == "latest" {
		v = DefaultKubeVersion
	}
	kv, err := chartutil.ParseKubeVersion(v)
	if err != nil {
		return nil, fmt.Errorf("invalid kube version %q: %w", v, err)
	}
	caps.KubeVersion = *kv
	caps.APIVersions = append(slices.Clone(caps.APIVersions), opts.APIVersions...)
	return caps, nil
}

// DefaultKubeVersion is .Capabilities.KubeVersion when none is given: the
// Kubernetes release of the k8s.io/api module Palisade is built with, as a
// helm binary built from the same modules reports it. A test keeps it in
// step with go.mod.
const DefaultKubeVersion = "v1.37.0"

// templateErrorRE finds the template locations in Helm's error messages:
// "parse error at (chart/templates/x.yaml:12): ...",
// "execution error at (chart/templates/x.yaml:12:5): ...", and
// "template: chart/templates/x.yaml:12:5: executing ...".
var templateErrorRE = regexp.MustCompile(`(?:at \(|template: )([^():\s]+):(\d+)(?::\d+)?\)?:?\s*`)

// templateError turns a rendering error into an input error at the
// template file and line it names (the innermost location when several
// are nested through include).
func templateError(err error, layout *layout, chartFile string) *object.InputError {
	msg := err.Error()
	locs := templateErrorRE.FindAllStringSubmatchIndex(msg, -1)
	if len(locs) == 0 {
		return &object.InputError{File: chartFile, Msg: "cannot render chart: " + msg}
	}
	last := locs[len(locs)-1]
	name := msg[last[2]:last[3]]
	line, _ := strconv.Atoi(msg[last[4]:last[5]])
	detail := strings.TrimSpace(msg[last[1]:])
	if i := strings.Index(detail, ": "); strings.HasPrefix(detail, "executing ") && i >= 0 {
		// executing "name" at <.Values.x>: error calling ...: message
		detail = detail[i+2:]
	}
	kind := "template error"
	switch {
	case strings.HasPrefix(msg, "parse error"):
		kind = "template syntax error"
	case strings.HasPrefix(msg, "execution error"):
		kind = "template failed"
	}
	return &object.InputError{File: layout.template(name), Line: line, Msg: kind + ": " + detail}
}

// layout knows where each file of a loaded chart lives, for messages and
// findings: a path on disk for charts in directories, or
// "archive.tgz#chart/templates/x.yaml" for files inside an archive.
type layout struct {
	// byFile maps every template and raw file to its display path.
	byFile map[*chart.File]string
	// byName maps rendered template names (chart full path + name) to
	// display paths; filled as templates are enumerated.
	byName map[string]string
}

func newLayout(ch *chart.Chart, chartPath string, isDir bool) *layout {
	l := &layout{byFile: map[*chart.File]string{}, byName: map[string]string{}}
	base := chartPath
	if !isDir {
		base = chartPath + "#" + ch.Metadata.Name
	}
	l.place(ch, base, isDir)
	return l
}

// place records the display paths of c's files under base, then those of
// its subcharts, found in base/charts by name and version.
func (l *layout) place(c *chart.Chart, base string, isDir bool) {
	join := func(name string) string {
		if isDir {
			return filepath.Join(base, filepath.FromSlash(name))
		}
		return base + "/" + name
	}
	for _, f := range c.Templates {
		l.byFile[f] = join(f.Name)
	}
	for _, f := range c.Raw {
		l.byFile[f] = join(f.Name)
	}
	var entries []os.DirEntry
	if isDir {
		entries, _ = os.ReadDir(filepath.Join(base, "charts"))
	}
	for _, sc := range c.Dependencies() {
		name, version := sc.Metadata.Name, sc.Metadata.Version
		placed := false
		for _, e := range entries {
			p := filepath.Join(base, "charts", e.Name())
			if e.IsDir() {
				if md, err := chartutil.LoadChartfile(filepath.Join(p, "Chart.yaml")); err == nil && md.Name == name && md.Version == version {
					l.place(sc, p, true)
					placed = true
					break
				}
			} else if e.Name() == name+"-"+version+".tgz" {
				l.place(sc, p+"#"+name, false)
				placed = true
				break
			}
		}
		if !placed {
			l.place(sc, join("charts/"+name), isDir)
		}
	}
}

// names records the rendered names of c's templates (as the engine keys
// them) and those of its subcharts. It runs after dependencies are
// processed, when aliases have renamed subcharts and disabled ones are gone.
func (l *layout) names(c *chart.Chart) {
	for _, f := range c.Templates {
		l.byName[path.Join(c.ChartFullPath(), f.Name)] = l.byFile[f]
	}
	for _, sc := range c.Dependencies() {
		l.names(sc)
	}
}

// template returns the display path of a rendered template name.
func (l *layout) template(name string) string {
	if p, ok := l.byName[name]; ok {
		return p
	}
	return name
}

// valuesFile returns the display path of c's values.yaml ("" if none).
func (l *layout) valuesFile(c *chart.Chart) string {
	for _, f := range c.Raw {
		if f.Name == chartutil.ValuesfileName {
			return l.byFile[f]
		}
	}
	return ""
}

// mapValue returns the value of key in the YAML mapping n, or nil.
func mapValue(n *yaml.Node, key string) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}
