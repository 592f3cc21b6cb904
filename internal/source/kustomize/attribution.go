package kustomize

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	yaml "go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/palisade-dev/palisade/internal/object"
)

// generated describes one built resource.
type generated struct {
	kind, name, namespace string
	root                  string // display directory of the build
	file                  string // display path of its origin file
	generator             string // the generator kind, for generated resources
	remote                bool
	tree                  map[string]any // the built resource
}

// layer is one kustomization of a build with its patches; layers are kept
// in precedence order (the root, whose patches apply last, first).
type layer struct {
	kust    *kustFile
	depth   float64
	patches []*patch // in the order kustomize applies them
}

// patch is a strategic-merge or JSON 6902 patch, from a file or inline.
type patch struct {
	file string // display path
	// offset is added to lines within docs (inline patches).
	offset   int
	docs     []*yaml.Node
	json6902 bool
	target   map[string]string // the selector's fields; nil for none
}

// attribution knows the kustomizations of one build.
type attribution struct {
	layers []*layer
	mu     sync.Mutex // guards files
	files  map[string]*object.Result
}

func newAttribution(dir string) *attribution {
	at := &attribution{files: map[string]*object.Result{}}
	seen := map[string]bool{}
	seq := 0
	type entry struct {
		l   *layer
		seq int
	}
	var entries []entry
	var visit func(dir string, depth float64)
	visit = func(dir string, depth float64) {
		abs, err := filepath.Abs(dir)
		if err != nil || seen[abs] || len(seen) > 1000 {
			return
		}
		seen[abs] = true
		file := File(dir)
		if file == "" {
			return
		}
		kf := readKustFile(file)
		l := &layer{kust: kf, depth: depth}
		l.patches = kf.patches()
		entries = append(entries, entry{l, seq})
		seq++
		for _, field := range []string{"resources", "bases"} {
			for _, n := range kf.strings(field) {
				visit(filepath.Join(dir, n.Value), depth+1)
			}
		}
		for _, n := range kf.strings("components") {
			visit(filepath.Join(dir, n.Value), depth+0.5)
		}
	}
	visit(dir, 0)
	slices.SortStableFunc(entries, func(a, b entry) int {
		switch {
		case a.l.depth < b.l.depth:
			return -1
		case a.l.depth > b.l.depth:
			return 1
		}
		return a.seq - b.seq
	})
	for _, e := range entries {
		at.layers = append(at.layers, e.l)
	}
	return at
}

// patches reads the patches a kustomization file lists.
func (kf *kustFile) patches() []*patch {
	var out []*patch
	add := func(p *patch) {
		if p != nil {
			out = append(out, p)
		}
	}
	if n := kf.nodes["patchesStrategicMerge"]; n != nil && n.Kind == yaml.SequenceNode {
		for _, c := range n.Content {
			if strings.Contains(c.Value, "\n") || strings.Contains(c.Value, ": ") {
				add(inlinePatch(kf.path, c, nil))
			} else {
				add(filePatch(filepath.Join(kf.dir, c.Value), nil))
			}
		}
	}
	for _, field := range []string{"patchesJson6902", "patches"} {
		n := kf.nodes[field]
		if n == nil || n.Kind != yaml.SequenceNode {
			continue
		}
		for _, c := range n.Content {
			var target map[string]string
			if t := mapField(c, "target"); t != nil && t.Kind == yaml.MappingNode {
				target = map[string]string{}
				for i := 0; i+1 < len(t.Content); i += 2 {
					target[t.Content[i].Value] = t.Content[i+1].Value
				}
			}
			if p := mapField(c, "path"); p != nil {
				add(filePatch(filepath.Join(kf.dir, p.Value), target))
			} else if p := mapField(c, "patch"); p != nil {
				add(inlinePatch(kf.path, p, target))
			}
		}
	}
	return out
}

func filePatch(file string, target map[string]string) *patch {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil
	}
	return parsePatch(file, 0, data, target)
}

func inlinePatch(file string, n *yaml.Node, target map[string]string) *patch {
	offset := n.Line - 1
	if n.Style == yaml.LiteralStyle || n.Style == yaml.FoldedStyle {
		offset = n.Line
	}
	return parsePatch(file, offset, []byte(n.Value), target)
}

func parsePatch(file string, offset int, data []byte, target map[string]string) *patch {
	p := &patch{file: file, offset: offset, target: target}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) || err != nil {
			break
		}
		if len(doc.Content) > 0 {
			p.docs = append(p.docs, doc.Content[0])
		}
	}
	if len(p.docs) == 1 && p.docs[0].Kind == yaml.SequenceNode {
		p.json6902 = true
	}
	return p
}

func mapField(n *yaml.Node, key string) *yaml.Node {
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

// names returns the names the resource may have had in the layers of the
// build: its name with the name prefixes and suffixes of the layers taken
// off, one after another.
func (at *attribution) names(name string) []string {
	out := []string{name}
	cur := name
	for _, l := range at.layers {
		if n := l.kust.nodes["namePrefix"]; n != nil && n.Value != "" {
			cur = strings.TrimPrefix(cur, n.Value)
		}
		if n := l.kust.nodes["nameSuffix"]; n != nil && n.Value != "" {
			cur = strings.TrimSuffix(cur, n.Value)
		}
		if !slices.Contains(out, cur) {
			out = append(out, cur)
		}
	}
	if m := hashSuffixRE.FindStringSubmatch(cur); m != nil && !slices.Contains(out, m[1]) {
		out = append(out, m[1])
	}
	return out
}

// hashSuffixRE matches the content hash kustomize appends to generated
// ConfigMap and Secret names.
var hashSuffixRE = regexp.MustCompile(`^(.*)-[a-z0-9]{10}$`)

// matches reports whether a selector field (a regular expression, as
// kustomize reads it) matches any of the values.
func matches(pattern string, values ...string) bool {
	if pattern == "" {
		return true
	}
	re, err := regexp.Compile("^(?:" + pattern + ")$")
	for _, v := range values {
		if v == pattern || (err == nil && re.MatchString(v)) {
			return true
		}
	}
	return false
}

// docsFor returns the documents of p that apply to the resource.
func (p *patch) docsFor(g *generated, names []string) []*yaml.Node {
	if p.target != nil {
		t := p.target
		if !matches(t["kind"], g.kind) || !matches(t["name"], names...) || (t["namespace"] != "" && !matches(t["namespace"], g.namespace)) {
			return nil
		}
		if !selects(t["labelSelector"], g.tree, "labels") || !selects(t["annotationSelector"], g.tree, "annotations") {
			return nil
		}
		if p.json6902 {
			return p.docs
		}
		return p.docs // a strategic-merge patch with a target applies as written
	}
	if p.json6902 {
		return nil // a JSON 6902 patch needs a target
	}
	var out []*yaml.Node
	for _, d := range p.docs {
		kind := mapField(d, "kind")
		name := mapField(mapField(d, "metadata"), "name")
		if kind != nil && kind.Value == g.kind && name != nil && slices.Contains(names, name.Value) {
			out = append(out, d)
		}
	}
	return out
}

func selects(selector string, tree map[string]any, field string) bool {
	if selector == "" {
		return true
	}
	sel, err := labels.Parse(selector)
	if err != nil {
		return false
	}
	md, _ := tree["metadata"].(map[string]any)
	m, _ := md[field].(map[string]any)
	set := labels.Set{}
	for k, v := range m {
		if s, ok := v.(string); ok {
			set[k] = s
		}
	}
	return sel.Matches(set)
}

// patchLine returns the line in a patch that sets the field at elems of
// the resource, if the patch sets it.
func (p *patch) patchLine(doc *yaml.Node, g *generated, elems []object.Elem) (int, bool) {
	if p.json6902 {
		return p.jsonPatchLine(doc, g, elems)
	}
	n := doc
	var tree any = g.tree
	line := 0
	for _, e := range elems {
		switch {
		case !e.IsIndex && n.Kind == yaml.MappingNode:
			v := mapField(n, e.Key)
			if v == nil {
				return 0, false
			}
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i+1] == v {
					line = n.Content[i].Line
				}
			}
			n = v
			if m, ok := tree.(map[string]any); ok {
				tree = m[e.Key]
			}
		case e.IsIndex && n.Kind == yaml.SequenceNode:
			item := mergeItem(n, tree, e.Index)
			if item == nil {
				return 0, false
			}
			line, n = item.Line, item
			if l, ok := tree.([]any); ok && e.Index < len(l) {
				tree = l[e.Index]
			}
		default:
			return 0, false
		}
	}
	return p.offset + line, line > 0
}

// mergeKeys are the fields strategic merge matches list items by.
var mergeKeys = []string{"name", "mountPath", "containerPort", "devicePath", "ip", "port"}

// mergeItem returns the item of the patch list n that merges into item i
// of the built list tree: the one with the same merge key, or for lists
// without one, item i itself.
func mergeItem(n *yaml.Node, tree any, i int) *yaml.Node {
	list, _ := tree.([]any)
	if i < len(list) {
		if m, ok := list[i].(map[string]any); ok {
			for _, k := range mergeKeys {
				v, ok := m[k]
				if !ok {
					continue
				}
				want := scalarString(v)
				for _, c := range n.Content {
					if f := mapField(c, k); f != nil && f.Value == want {
						return c
					}
				}
				return nil
			}
		}
	}
	if i < len(n.Content) {
		return n.Content[i]
	}
	return nil
}

func scalarString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return ""
}

// jsonPatchLine finds the last operation of a JSON 6902 patch that sets
// the field at elems or one of its ancestors.
func (p *patch) jsonPatchLine(doc *yaml.Node, g *generated, elems []object.Elem) (int, bool) {
	for i := len(doc.Content) - 1; i >= 0; i-- {
		op := doc.Content[i]
		kind, path := mapField(op, "op"), mapField(op, "path")
		if kind == nil || path == nil {
			continue
		}
		switch kind.Value {
		case "add", "replace", "copy", "move":
		default:
			continue
		}
		ptr, ok := pointerElems(path.Value, g.tree)
		if !ok || len(ptr) > len(elems) || !slices.Equal(ptr, elems[:len(ptr)]) {
			continue
		}
		line := path.Line
		if v := mapField(op, "value"); v != nil {
			if l, ok := nodeLine(v, elems[len(ptr):]); ok {
				line = l
			}
		}
		return p.offset + line, true
	}
	return 0, false
}

// pointerElems converts a JSON pointer into path elements, reading "-"
// (append) as the last item of the built list.
func pointerElems(ptr string, tree map[string]any) ([]object.Elem, bool) {
	if ptr == "" || ptr[0] != '/' {
		return nil, false
	}
	var out []object.Elem
	var cur any = tree
	for _, tok := range strings.Split(ptr[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		if l, ok := cur.([]any); ok {
			i, err := strconv.Atoi(tok)
			if tok == "-" {
				i, err = len(l)-1, nil
			}
			if err != nil || i < 0 || i >= len(l) {
				return nil, false
			}
			out = append(out, object.Elem{Index: i, IsIndex: true})
			cur = l[i]
			continue
		}
		out = append(out, object.Elem{Key: tok})
		if m, ok := cur.(map[string]any); ok {
			cur = m[tok]
		} else {
			cur = nil
		}
	}
	return out, true
}

// nodeLine returns the line of the key or item at elems under n.
func nodeLine(n *yaml.Node, elems []object.Elem) (int, bool) {
	line := n.Line
	for _, e := range elems {
		switch {
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
		case e.IsIndex && n.Kind == yaml.SequenceNode && e.Index < len(n.Content):
			n = n.Content[e.Index]
			line = n.Line
		default:
			return 0, false
		}
	}
	return line, true
}

// decoded returns the decoded objects of a file, read once.
func (at *attribution) decoded(file string) *object.Result {
	at.mu.Lock()
	defer at.mu.Unlock()
	if r, ok := at.files[file]; ok {
		return r
	}
	var r *object.Result
	if data, err := os.ReadFile(file); err == nil {
		r = object.Decode(file, data)
	}
	at.files[file] = r
	return r
}

// mapper implements object.OriginMapper for one built resource.
type mapper struct {
	at  *attribution
	gen generated
}

// Origin implements object.OriginMapper.
func (m *mapper) Origin(o *object.Object, p object.Path) (object.Origin, bool) {
	org := object.Origin{Generator: "kustomize", File: m.gen.file}
	elems, err := p.Elems()
	if err != nil {
		return org, false
	}
	// Attribute the deepest field that exists: a missing field is added
	// where its parent is written.
	var prefix object.Path
	k := 0
	for _, e := range elems {
		if e.IsIndex {
			prefix = prefix.Index(e.Index)
		} else {
			prefix = prefix.Field(e.Key)
		}
		if _, ok := o.Position(prefix); !ok {
			break
		}
		k++
	}
	exists := k == len(elems)
	elems = elems[:k]
	names := m.at.names(m.gen.name)
	// Patches are looked at only for fields that exist: a patch that
	// merges into a field's parent did not make the field go missing.
	if exists && len(elems) > 0 {
		for _, l := range m.at.layers {
			for i := len(l.patches) - 1; i >= 0; i-- {
				pt := l.patches[i]
				for _, doc := range pt.docsFor(&m.gen, names) {
					if line, ok := pt.patchLine(doc, &m.gen, elems); ok {
						org.File, org.Line = pt.file, line
						org.Note = "set by a patch listed in " + l.kust.path
						return org, true
					}
				}
			}
		}
	}
	if m.gen.generator != "" {
		org.Line = m.generatorLine(names, elems)
		org.Note = "generated by " + m.gen.generator
		return org, true
	}
	if m.gen.remote {
		org.Approximate = true
		return org, true
	}
	if r := m.at.decoded(m.gen.file); r != nil {
		var best *object.Object
		for _, c := range r.Objects {
			if c.Kind == m.gen.kind && slices.Contains(names, c.Name) {
				best = c
			}
		}
		if best != nil {
			pos, ok := best.Position(pathOf(elems))
			org.Line, org.Column = pos.Line, pos.Column
			org.Approximate = !ok
			return org, true
		}
	}
	org.Approximate = true
	return org, true
}

// generatorLine finds the generator entry that made the resource in the
// kustomization, and the literal that set a data key when there is one.
func (m *mapper) generatorLine(names []string, elems []object.Elem) int {
	kf := readKustFile(m.gen.file)
	field := map[string]string{"ConfigMapGenerator": "configMapGenerator", "SecretGenerator": "secretGenerator"}[m.gen.generator]
	list := kf.nodes[field]
	if list == nil || list.Kind != yaml.SequenceNode {
		return 0
	}
	for _, entry := range list.Content {
		name := mapField(entry, "name")
		if name == nil || !slices.Contains(names, name.Value) {
			continue
		}
		if len(elems) == 2 && !elems[1].IsIndex && (elems[0].Key == "data" || elems[0].Key == "stringData") {
			if lits := mapField(entry, "literals"); lits != nil && lits.Kind == yaml.SequenceNode {
				for _, l := range lits.Content {
					if strings.HasPrefix(l.Value, elems[1].Key+"=") {
						return l.Line
					}
				}
			}
		}
		return name.Line
	}
	return 0
}

func pathOf(elems []object.Elem) object.Path {
	var p object.Path
	for _, e := range elems {
		if e.IsIndex {
			p = p.Index(e.Index)
		} else {
			p = p.Field(e.Key)
		}
	}
	return p
}
