package helm

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"

	yaml "go.yaml.in/yaml/v3"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/strvals"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/palisade-dev/palisade/internal/object"
)

// valuesSource is one place values come from: a values file or a --set
// style argument. It answers whether it sets a given key, and where.
type valuesSource struct {
	// name is the file's display path, or the flag ("--set").
	name string
	// node is a values file's top-level mapping; nil for flags.
	node *yaml.Node
	// tree is what a flag argument sets; nil for files.
	tree map[string]any
}

// find reports whether the source sets the key at p, and the line of the
// key in a file (0 for flags).
func (s *valuesSource) find(p []object.Elem) (int, bool) {
	if s.node != nil {
		n, line := s.node, s.node.Line
		for _, e := range p {
			for n.Kind == yaml.AliasNode && n.Alias != nil {
				n = n.Alias
			}
			switch {
			case e.IsIndex && n.Kind == yaml.SequenceNode && e.Index < len(n.Content):
				n = n.Content[e.Index]
				line = n.Line
			case !e.IsIndex && n.Kind == yaml.MappingNode:
				found := false
				for i := 0; i+1 < len(n.Content); i += 2 {
					if n.Content[i].Value == e.Key {
						line, n, found = n.Content[i].Line, n.Content[i+1], true
						break
					}
				}
				if !found {
					return 0, false
				}
			default:
				return 0, false
			}
		}
		return line, true
	}
	var cur any = s.tree
	for _, e := range p {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[e.Key]
			if e.IsIndex || !ok {
				return 0, false
			}
			cur = v
		case []any:
			if !e.IsIndex || e.Index >= len(c) {
				return 0, false
			}
			cur = c[e.Index]
		default:
			return 0, false
		}
	}
	return 0, s.tree != nil
}

// userValues are the values given on the command line, merged as helm
// merges them, with each source kept for attribution.
type userValues struct {
	merged map[string]any
	// sources are in the order applied: later ones win.
	sources []*valuesSource
}

// valuesError is a values file or flag that cannot be read.
type valuesError struct {
	file string
	line int
	msg  string
}

var yamlLineRE = regexp.MustCompile(`line (\d+): (.*)$`)

// readValues reads opts' values files and flags the way helm does: files
// merged in order, then --set, --set-string and --set-file.
func readValues(opts Options) (*userValues, *valuesError) {
	uv := &userValues{merged: map[string]any{}}
	for _, file := range opts.ValuesFiles {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, &valuesError{file: file, msg: "cannot read values file: " + describe(err)}
		}
		cur := map[string]any{}
		if err := sigsyaml.Unmarshal(data, &cur); err != nil {
			ve := &valuesError{file: file, msg: "invalid values file: " + err.Error()}
			if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
				ve.line, _ = strconv.Atoi(m[1])
				ve.msg = "invalid values file: yaml: " + m[2]
			}
			return nil, ve
		}
		uv.merged = mergeMaps(uv.merged, cur)
		uv.sources = append(uv.sources, &valuesSource{name: file, node: parseValuesNode(data)})
	}
	readFile := func(rs []rune) (any, error) {
		data, err := os.ReadFile(string(rs))
		if err != nil {
			return nil, fmt.Errorf("cannot read %s: %s", string(rs), describe(err))
		}
		return string(data), nil
	}
	flags := []struct {
		name  string
		args  []string
		into  func(string, map[string]any) error
		parse func(string) (map[string]any, error)
	}{
		{"--set", opts.Set, strvals.ParseInto, strvals.Parse},
		{"--set-string", opts.SetString, strvals.ParseIntoString, strvals.ParseString},
		{"--set-file", opts.SetFile,
			func(s string, m map[string]any) error { return strvals.ParseIntoFile(s, m, readFile) },
			func(s string) (map[string]any, error) { return strvals.ParseFile(s, readFile) }},
	}
	for _, fl := range flags {
		for _, arg := range fl.args {
			if err := fl.into(arg, uv.merged); err != nil {
				return nil, &valuesError{file: fl.name, msg: fmt.Sprintf("cannot parse %s %s: %v", fl.name, arg, err)}
			}
			tree, err := fl.parse(arg)
			if err != nil {
				return nil, &valuesError{file: fl.name, msg: fmt.Sprintf("cannot parse %s %s: %v", fl.name, arg, err)}
			}
			uv.sources = append(uv.sources, &valuesSource{name: fl.name, tree: tree})
		}
	}
	return uv, nil
}

// mergeMaps merges b over a: maps merge key by key, anything else in b
// replaces what a has.
func mergeMaps(a, b map[string]any) map[string]any {
	out := make(map[string]any, len(a))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		if bm, ok := v.(map[string]any); ok {
			if am, ok := out[k].(map[string]any); ok {
				out[k] = mergeMaps(am, bm)
				continue
			}
		}
		out[k] = v
	}
	return out
}

// parseValuesNode parses a values file for key lookups; nil when it does
// not parse (helm's parser has already accepted or rejected it).
func parseValuesNode(data []byte) *yaml.Node {
	var root yaml.Node
	if yaml.Unmarshal(data, &root) != nil || len(root.Content) == 0 {
		return &yaml.Node{Kind: yaml.MappingNode}
	}
	return root.Content[0]
}

func describe(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// chartValues is one chart's own values.yaml and where its values sit in
// the top-level values (the subchart names leading to it).
type chartValues struct {
	prefix []string
	src    *valuesSource
}

// attributor says which values source set a key last.
type attributor struct {
	user   []*valuesSource
	charts []chartValues // the root chart first, then subcharts depth-first
}

func newAttributor(ch *chart.Chart, l *layout, uv *userValues) *attributor {
	a := &attributor{user: uv.sources}
	var walk func(c *chart.Chart, prefix []string)
	walk = func(c *chart.Chart, prefix []string) {
		for _, f := range c.Raw {
			if f.Name == chartutil.ValuesfileName {
				a.charts = append(a.charts, chartValues{prefix: prefix, src: &valuesSource{name: l.byFile[f], node: parseValuesNode(f.Data)}})
			}
		}
		for _, sc := range c.Dependencies() {
			walk(sc, append(append([]string(nil), prefix...), sc.Name()))
		}
	}
	walk(ch, nil)
	return a
}

// attribute returns the source that set the top-level values key p and
// the line there. Command-line sources win over chart values files, a
// parent chart's values over a subchart's own; a subchart's global values
// may also be set as the parent's globals.
func (a *attributor) attribute(p []object.Elem) (string, int, bool) {
	candidates := [][]object.Elem{p}
	if g := globalVariant(p); g != nil {
		candidates = append(candidates, g)
	}
	for i := len(a.user) - 1; i >= 0; i-- {
		for _, c := range candidates {
			if line, ok := a.user[i].find(c); ok {
				return a.user[i].name, line, true
			}
		}
	}
	for _, cv := range a.charts {
		rest, ok := under(p, cv.prefix)
		if !ok {
			continue
		}
		cands := [][]object.Elem{rest}
		if g := globalVariant(rest); g != nil {
			cands = append(cands, g)
		}
		if len(cv.prefix) == 0 && len(candidates) > 1 {
			cands = append(cands, candidates[1])
		}
		for _, c := range cands {
			if line, ok := cv.src.find(c); ok {
				return cv.src.name, line, true
			}
		}
	}
	return "", 0, false
}

// under returns p without prefix, if p starts with it.
func under(p []object.Elem, prefix []string) ([]object.Elem, bool) {
	if len(p) < len(prefix) {
		return nil, false
	}
	for i, k := range prefix {
		if p[i].IsIndex || p[i].Key != k {
			return nil, false
		}
	}
	return p[len(prefix):], true
}

// globalVariant returns global.rest for a key sub...global.rest inside a
// subchart's values, where the value may have been set as a global of the
// parent; nil otherwise.
func globalVariant(p []object.Elem) []object.Elem {
	for i := 1; i < len(p); i++ {
		if p[i].IsIndex {
			return nil
		}
		if p[i].Key == chartutil.GlobalKey {
			return p[i:]
		}
	}
	return nil
}

// pathString formats values path elements as a dotted path.
func pathString(p []object.Elem) string {
	var out object.Path
	for _, e := range p {
		if e.IsIndex {
			out = out.Index(e.Index)
		} else {
			out = out.Field(e.Key)
		}
	}
	return string(out)
}
