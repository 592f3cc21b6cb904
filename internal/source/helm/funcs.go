package helm

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"
	"text/template"

	"github.com/BurntSushi/toml"
	"github.com/Masterminds/sprig/v3"
	"github.com/gobwas/glob"
	yaml "go.yaml.in/yaml/v3"
	"helm.sh/helm/v3/pkg/chart"
	sigsyaml "sigs.k8s.io/yaml"
)

// The tracing render (trace.go) cannot use the Helm engine, which takes no
// extra template functions, so it rebuilds the engine's function map: the
// sprig functions, Helm's conversions, and include, tpl, required, fail and
// an offline lookup. The real render always comes from the Helm engine; a
// difference here only makes a mapping fall back, because every traced
// output is compared with the real one before it is trusted.

// maxIncludeDepth bounds recursive include calls, as Helm does.
const maxIncludeDepth = 1000

// funcMap returns the template functions for the template set root.
func funcMap(root *template.Template, extra template.FuncMap) template.FuncMap {
	f := sprig.TxtFuncMap()
	delete(f, "env")
	delete(f, "expandenv")
	f["toYaml"] = toYAML
	f["toYamlPretty"] = toYAMLPretty
	f["fromYaml"] = fromYAML
	f["fromYamlArray"] = fromYAMLArray
	f["toJson"] = toJSON
	f["fromJson"] = fromJSON
	f["fromJsonArray"] = fromJSONArray
	f["toToml"] = toTOML
	f["fromToml"] = fromTOML
	f["required"] = func(msg string, v any) (any, error) {
		if v == nil {
			return v, errors.New(msg)
		}
		if s, ok := v.(string); ok && s == "" {
			return v, errors.New(msg)
		}
		return v, nil
	}
	f["fail"] = func(msg string) (string, error) { return "", errors.New(msg) }
	f["lookup"] = func(string, string, string, string) (map[string]any, error) { return map[string]any{}, nil }
	f["getHostByName"] = func(string) string { return "" }
	depth := map[string]int{}
	bindIncludes(f, root, depth)
	for k, v := range extra {
		f[k] = v
	}
	return f
}

// bindIncludes sets include and tpl for the template set t.
func bindIncludes(f template.FuncMap, t *template.Template, depth map[string]int) {
	f["include"] = func(name string, data any) (string, error) {
		if depth[name] > maxIncludeDepth {
			return "", fmt.Errorf("include %q nested more than %d levels", name, maxIncludeDepth)
		}
		depth[name]++
		defer func() { depth[name]-- }()
		var b strings.Builder
		err := t.ExecuteTemplate(&b, name, data)
		return b.String(), err
	}
	f["tpl"] = func(text string, data any) (string, error) {
		c, err := t.Clone()
		if err != nil {
			return "", err
		}
		c.Option("missingkey=zero")
		inner := template.FuncMap{}
		bindIncludes(inner, c, depth)
		c.Funcs(inner)
		c, err = c.New(t.Name()).Parse(text)
		if err != nil {
			return "", err
		}
		var b strings.Builder
		if err := c.Execute(&b, data); err != nil {
			return "", err
		}
		return strings.ReplaceAll(b.String(), "<no value>", ""), nil
	}
}

func toYAML(v any) string {
	data, err := sigsyaml.Marshal(v)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(data), "\n")
}

func toYAMLPretty(v any) string {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return ""
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func fromYAML(s string) map[string]any {
	m := map[string]any{}
	if err := sigsyaml.Unmarshal([]byte(s), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

func fromYAMLArray(s string) []any {
	var a []any
	if err := sigsyaml.Unmarshal([]byte(s), &a); err != nil {
		a = []any{err.Error()}
	}
	return a
}

func toJSON(v any) string {
	data, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(data)
}

func fromJSON(s string) map[string]any {
	m := map[string]any{}
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

func fromJSONArray(s string) []any {
	var a []any
	if err := json.Unmarshal([]byte(s), &a); err != nil {
		a = []any{err.Error()}
	}
	return a
}

func toTOML(v any) string {
	var b bytes.Buffer
	if err := toml.NewEncoder(&b).Encode(v); err != nil {
		return err.Error()
	}
	return b.String()
}

func fromTOML(s string) map[string]any {
	m := map[string]any{}
	if _, err := toml.Decode(s, &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

// chartFiles is .Files: a chart's files other than templates and values.
type chartFiles map[string][]byte

func newChartFiles(from []*chart.File) chartFiles {
	f := chartFiles{}
	for _, x := range from {
		f[x.Name] = x.Data
	}
	return f
}

// GetBytes returns a file's contents, or nothing.
func (f chartFiles) GetBytes(name string) []byte {
	if v, ok := f[name]; ok {
		return v
	}
	return []byte{}
}

// Get returns a file's contents as a string.
func (f chartFiles) Get(name string) string { return string(f.GetBytes(name)) }

// Glob returns the files whose names match pattern ("**" crosses
// directories).
func (f chartFiles) Glob(pattern string) chartFiles {
	g, err := glob.Compile(pattern, '/')
	if err != nil {
		g, _ = glob.Compile("**")
	}
	out := chartFiles{}
	for name, data := range f {
		if g.Match(name) {
			out[name] = data
		}
	}
	return out
}

// AsConfig renders the files as ConfigMap data: base names to contents.
func (f chartFiles) AsConfig() string {
	if f == nil {
		return ""
	}
	m := map[string]string{}
	for k, v := range f {
		m[path.Base(k)] = string(v)
	}
	return toYAML(m)
}

// AsSecrets renders the files as Secret data: base names to base64.
func (f chartFiles) AsSecrets() string {
	if f == nil {
		return ""
	}
	m := map[string]string{}
	for k, v := range f {
		m[path.Base(k)] = base64.StdEncoding.EncodeToString(v)
	}
	return toYAML(m)
}

// Lines returns a file's lines.
func (f chartFiles) Lines(name string) []string {
	if f == nil || len(f[name]) == 0 {
		return []string{}
	}
	return strings.Split(strings.TrimSuffix(string(f[name]), "\n"), "\n")
}
