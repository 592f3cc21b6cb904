package fix

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/palisade-dev/palisade/internal/object"
)

// refusal is a change the editor will not make, with the reason reported
// to the user: the field is shared through an anchor, or written in a way
// the editor cannot change without rewriting more than the field.
type refusal struct{ msg string }

func (r *refusal) Error() string { return r.msg }

func refuse(format string, args ...any) error {
	return &refusal{msg: fmt.Sprintf(format, args...)}
}

// ydoc is one parsed YAML or JSON document: its text, the parser's node
// tree with positions, and its style. Every edit returns new text; the
// caller parses it again before the next edit.
type ydoc struct {
	src  []byte
	l    *lines
	root *yaml.Node
	st   *style
	// referenced holds the anchored nodes that some alias refers to.
	referenced map[*yaml.Node]bool
}

var errEmptyDoc = errors.New("empty document")

func parseDoc(src []byte, st *style) (*ydoc, error) {
	var dn yaml.Node
	if err := yaml.Unmarshal(object.HideYAML12Directive(src), &dn); err != nil {
		return nil, err
	}
	if dn.Kind != yaml.DocumentNode || len(dn.Content) == 0 {
		return nil, errEmptyDoc
	}
	d := &ydoc{src: src, l: newLines(src), root: dn.Content[0], st: st, referenced: map[*yaml.Node]bool{}}
	walkNodes(d.root, func(n *yaml.Node) {
		if n.Kind == yaml.AliasNode && n.Alias != nil {
			d.referenced[n.Alias] = true
		}
	})
	return d, nil
}

func walkNodes(n *yaml.Node, fn func(*yaml.Node)) {
	fn(n)
	for _, c := range n.Content {
		walkNodes(c, fn)
	}
}

// step is one node on the way from the document's root to a field.
type step struct {
	node   *yaml.Node
	parent *yaml.Node // nil at the root
	// index is the pair's index (mapping) or the item's (sequence) in parent.
	index int
	// merged says the field is not the mapping's own but comes in through a
	// merge key ("<<: *base").
	merged bool
}

func (s step) flow() bool {
	return s.parent != nil && s.parent.Style&yaml.FlowStyle != 0
}

func (s step) key() *yaml.Node {
	if s.parent == nil || s.parent.Kind != yaml.MappingNode {
		return nil
	}
	return s.parent.Content[2*s.index]
}

// lookup follows toks from the root. It returns the steps found (the root
// first) and how many tokens were not found; it fails where the way passes
// through an alias, a node that aliases refer to, or a merged field.
func (d *ydoc) lookup(toks []string) ([]step, int, error) {
	steps := []step{{node: d.root}}
	if err := d.checkShared(d.root); err != nil {
		return nil, 0, err
	}
	cur := d.root
	for i, t := range toks {
		if cur.Kind == yaml.AliasNode {
			return nil, 0, refuse("the field is reached through alias *%s; edit the anchored value by hand", cur.Value)
		}
		var next step
		switch cur.Kind {
		case yaml.MappingNode:
			idx := ownKey(cur, t)
			if idx < 0 {
				if mergedHas(cur, t) {
					if i < len(toks)-1 {
						return nil, 0, refuse("field %q comes from a merge key (<<); edit the merged mapping by hand", t)
					}
					return append(steps, step{parent: cur, merged: true, index: -1}), 0, nil
				}
				return steps, len(toks) - i, nil
			}
			next = step{node: cur.Content[2*idx+1], parent: cur, index: idx}
		case yaml.SequenceNode:
			idx, err := arrayIndex(t, len(cur.Content), false)
			if err != nil {
				return steps, len(toks) - i, nil
			}
			next = step{node: cur.Content[idx], parent: cur, index: idx}
		default:
			return steps, len(toks) - i, nil
		}
		if next.node.Kind == yaml.AliasNode {
			if i < len(toks)-1 {
				return nil, 0, refuse("the field is reached through alias *%s; edit the anchored value by hand", next.node.Value)
			}
		} else if err := d.checkShared(next.node); err != nil {
			return nil, 0, err
		}
		steps = append(steps, next)
		cur = next.node
	}
	return steps, 0, nil
}

// checkShared refuses to edit inside a node that aliases refer to: the
// change would also change every place the alias stands.
func (d *ydoc) checkShared(n *yaml.Node) error {
	if d.referenced[n] {
		return refuse("the field is inside &%s, which aliases share; edit it by hand", n.Anchor)
	}
	return nil
}

// containsShared refuses to remove or replace a node that holds an anchor
// that aliases refer to.
func (d *ydoc) containsShared(n *yaml.Node) error {
	var found *yaml.Node
	walkNodes(n, func(c *yaml.Node) {
		if found == nil && d.referenced[c] {
			found = c
		}
	})
	if found != nil {
		return refuse("the value defines &%s, which aliases refer to; edit it by hand", found.Anchor)
	}
	return nil
}

// ownKey returns the index of the pair with key k among the mapping's own
// pairs, or -1.
func ownKey(m *yaml.Node, k string) int {
	for i := 0; i+1 < len(m.Content); i += 2 {
		key := m.Content[i]
		if key.Kind == yaml.ScalarNode && !isMerge(key) && key.Value == k {
			return i / 2
		}
	}
	return -1
}

// mergedHas reports whether mapping m gets key k through a merge key.
func mergedHas(m *yaml.Node, k string) bool {
	return mergedHasDepth(m, k, 0)
}

func mergedHasDepth(m *yaml.Node, k string, depth int) bool {
	if depth > 32 {
		return false
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if !isMerge(resolve(m.Content[i])) {
			continue
		}
		srcs := []*yaml.Node{m.Content[i+1]}
		if r := resolve(srcs[0]); r.Kind == yaml.SequenceNode {
			srcs = r.Content
		}
		for _, s := range srcs {
			s = resolve(s)
			if s.Kind == yaml.MappingNode && (ownKey(s, k) >= 0 || mergedHasDepth(s, k, depth+1)) {
				return true
			}
		}
	}
	return false
}

// start returns the offset where node n (with its anchor and tag) starts.
func (d *ydoc) start(n *yaml.Node) int {
	return d.l.offset(n.Line, n.Column)
}

// contentStart returns the offset of n's content after its anchor and tag.
func (d *ydoc) contentStart(n *yaml.Node) int {
	return skipProperties(d.src, d.start(n))
}

// indentOf returns the indentation of the block collection holding the
// node at s, which explicit block scalar indentation counts from.
func (d *ydoc) indentOf(parent *yaml.Node) int {
	if parent == nil || len(parent.Content) == 0 {
		return 0
	}
	if parent.Kind == yaml.SequenceNode && parent.Style&yaml.FlowStyle == 0 {
		if off, err := d.dash(parent.Content[0]); err == nil {
			return d.l.column(off)
		}
	}
	return d.l.column(d.start(parent.Content[0]))
}

// end returns the offset just after node n's text.
func (d *ydoc) end(n *yaml.Node, parent *yaml.Node) (int, error) {
	flow := parent != nil && parent.Style&yaml.FlowStyle != 0
	switch n.Kind {
	case yaml.ScalarNode, yaml.AliasNode:
		return scalarEnd(d.l, n, d.start(n), flow, d.indentOf(parent))
	case yaml.MappingNode, yaml.SequenceNode:
		if n.Style&yaml.FlowStyle != 0 {
			return flowEnd(d.src, d.contentStart(n))
		}
		if len(n.Content) == 0 {
			return 0, errScan
		}
		return d.end(n.Content[len(n.Content)-1], n)
	}
	return 0, errScan
}

// dash returns the offset of the "-" that introduces block sequence item n.
func (d *ydoc) dash(n *yaml.Node) (int, error) {
	i := d.start(n) - 1
	for i >= 0 && isBlank(d.src[i]) {
		i--
	}
	if i < 0 || d.src[i] != '-' {
		return 0, refuse("cannot find the \"-\" of a sequence item")
	}
	return i, nil
}

// ownLine reports whether the text at off is the first on its line.
func (d *ydoc) ownLine(off int) bool {
	return len(bytes.Trim(d.src[d.l.start(d.l.lineOf(off)):off], " \t")) == 0
}

// afterColon returns the offset just after the ":" that follows the key of
// the pair at s.
func (d *ydoc) afterColon(s step) (int, error) {
	k := s.key()
	e, err := d.end(k, s.parent)
	if err != nil {
		return 0, err
	}
	for e < len(d.src) && (d.src[e] == ' ' || d.src[e] == '\t') {
		e++
	}
	if e >= len(d.src) || d.src[e] != ':' {
		return 0, refuse("cannot find the \":\" after key %q", k.Value)
	}
	return e + 1, nil
}

// headStart returns the first line of the comments written right above
// line n at the same indentation, which belong to what line n starts.
func (d *ydoc) headStart(n int) int {
	ind := d.l.indentOf(n)
	for n > 1 && d.l.commentOnly(n-1) && d.l.indentOf(n-1) == ind {
		n--
	}
	return n
}

// tailEnd returns the last line of the comments right below line n that
// are indented deeper than ind, which belong to the value ending on line n.
func (d *ydoc) tailEnd(n, ind int) int {
	for n < d.l.count() && d.l.commentOnly(n+1) && d.l.indentOf(n+1) > ind {
		n++
	}
	return n
}

// lineBlock returns the region of whole lines from line first to line last.
func (d *ydoc) lineBlock(first, last int) (int, int) {
	return d.l.start(first), d.l.next(last)
}

func splice(src []byte, start, end int, text string) []byte {
	out := make([]byte, 0, len(src)-(end-start)+len(text))
	out = append(out, src[:start]...)
	out = append(out, text...)
	return append(out, src[end:]...)
}

// insertLines inserts whole lines at offset off, which is the start of a
// line or the end of the text.
func (d *ydoc) insertLines(off int, lines []string) []byte {
	eol := d.st.eol
	text := strings.Join(lines, eol) + eol
	if off == len(d.src) && off > 0 && d.src[off-1] != '\n' {
		// The text ends without a line break: keep it that way.
		text = eol + strings.TrimSuffix(text, eol)
	}
	return splice(d.src, off, off, text)
}

// scalarFor renders scalar v to replace node old, keeping old's quoting
// where v is a string too.
func (d *ydoc) scalarFor(old *yaml.Node, v any, flow bool) string {
	e := emitter{d.st}
	s, isString := v.(string)
	if !isString || d.st.json {
		return e.scalar(v, flow)
	}
	switch {
	case old.Style&yaml.DoubleQuotedStyle != 0:
		return jsonString(s)
	case old.Style&yaml.SingleQuotedStyle != 0 && !strings.ContainsAny(s, "\n\r\t"):
		return "'" + strings.ReplaceAll(s, "'", "''") + "'"
	case old.Kind == yaml.ScalarNode && old.Style&(yaml.LiteralStyle|yaml.FoldedStyle|yaml.SingleQuotedStyle) == 0:
		return e.scalarText(s, flow, 0, false)
	}
	return e.scalar(v, flow)
}

// setScalar replaces scalar node s.node with scalar v in place.
func (d *ydoc) setScalar(s step, v any) ([]byte, error) {
	n := s.node
	start := d.start(n)
	end, err := d.end(n, s.parent)
	if err != nil {
		return nil, err
	}
	// Keep an anchor (nothing refers to it, or lookup would have refused);
	// drop a tag, which would force the old type on the new value.
	keep := ""
	if n.Anchor != "" {
		keep = "&" + n.Anchor + " "
	}
	text := keep + d.scalarFor(n, v, s.flow())
	if start == end && start > 0 && !isBlank(d.src[start-1]) {
		text = " " + text // an empty value right after "key:"
	}
	return splice(d.src, start, end, text), nil
}

// replace replaces the value at s with v.
func (d *ydoc) replace(s step, v any, path []string) ([]byte, error) {
	if s.parent == nil {
		return nil, refuse("cannot replace a whole document")
	}
	if err := d.containsShared(s.node); err != nil {
		return nil, err
	}
	n := s.node
	if n.Kind == yaml.ScalarNode && n.Value == "" && n.Style == 0 && s.parent.Kind == yaml.MappingNode {
		// A value left out ("key:" or "{key}"): there must be a ":" to
		// write it after.
		if _, err := d.afterColon(s); err != nil {
			return nil, refuse("cannot give a value to key %q, which has no \":\"", s.key().Value)
		}
	}
	if n.Kind == yaml.ScalarNode && !isCollection(v) && !isEmptyCollection(v) {
		return d.setScalar(s, v)
	}
	e := emitter{d.st}
	end, err := d.end(n, s.parent)
	if err != nil {
		return nil, err
	}
	if s.flow() || d.st.json {
		start := d.start(n)
		return splice(d.src, start, end, d.flowText(v, s.parent, start, path)), nil
	}
	oldFlow := (n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode) && n.Style&yaml.FlowStyle != 0 && len(n.Content) > 0
	if oldFlow && isCollection(v) {
		// A flow collection stays in flow style.
		start := d.start(n)
		return splice(d.src, start, end, e.flow(v, path)), nil
	}
	switch s.parent.Kind {
	case yaml.MappingNode:
		after, err := d.afterColon(s)
		if err != nil {
			return nil, err
		}
		if !isCollection(v) {
			return splice(d.src, after, end, " "+e.inline(v, path)), nil
		}
		ind := d.l.column(d.start(s.key()))
		lines := e.childLines(v, ind, path)
		if isBlockCollection(n) && d.l.lineOf(d.start(n)) > d.l.lineOf(after) {
			// Keep the key's line, with any comment on it.
			first := d.l.lineOf(d.start(n))
			return splice(d.src, d.l.start(first), end, strings.Join(lines, d.st.eol)), nil
		}
		return splice(d.src, after, end, d.st.eol+strings.Join(lines, d.st.eol)), nil
	case yaml.SequenceNode:
		dash, err := d.dash(n)
		if err != nil {
			return nil, err
		}
		if !isCollection(v) {
			return splice(d.src, dash+1, end, " "+e.inline(v, path)), nil
		}
		if !d.ownLine(dash) {
			return nil, refuse("cannot rewrite a sequence item that shares its line")
		}
		lines := e.itemLines(v, d.l.column(dash), path)
		return splice(d.src, d.l.start(d.l.lineOf(dash)), end, strings.Join(lines, d.st.eol)), nil
	}
	return nil, refuse("unexpected parent")
}

func isBlockCollection(n *yaml.Node) bool {
	return (n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode) && n.Style&yaml.FlowStyle == 0
}

func isEmptyCollection(v any) bool {
	switch v := v.(type) {
	case map[string]any:
		return len(v) == 0
	case []any:
		return len(v) == 0
	}
	return false
}

// flowText renders v for a place in a flow collection (or JSON) that
// starts at off: multi-line JSON where parent spreads over several lines.
func (d *ydoc) flowText(v any, parent *yaml.Node, off int, path []string) string {
	e := emitter{d.st}
	if d.st.json && isCollection(v) && parent != nil && d.multiLine(parent) {
		line := d.l.lineOf(off)
		ind := leadingSpace(d.l.text(line))
		return strings.Join(e.jsonLines(v, ind, path), d.st.eol)
	}
	return e.flow(v, path)
}

func leadingSpace(t []byte) string {
	i := 0
	for i < len(t) && (t[i] == ' ' || t[i] == '\t') {
		i++
	}
	return string(t[:i])
}

// multiLine reports whether flow collection c puts its elements on lines
// of their own.
func (d *ydoc) multiLine(c *yaml.Node) bool {
	if len(c.Content) == 0 || c.Style&yaml.FlowStyle == 0 {
		return false
	}
	return d.l.lineOf(d.start(c.Content[0])) > d.l.lineOf(d.start(c))
}

// elems returns the start of each element of flow collection c (a pair's
// key for a mapping) and the end of each (a pair's value).
func (d *ydoc) elems(c *yaml.Node) (starts, ends []int, err error) {
	stride := 1
	if c.Kind == yaml.MappingNode {
		stride = 2
	}
	for i := 0; i+stride-1 < len(c.Content); i += stride {
		starts = append(starts, d.start(c.Content[i]))
		e, err := d.end(c.Content[i+stride-1], c)
		if err != nil {
			return nil, nil, err
		}
		ends = append(ends, e)
	}
	return starts, ends, nil
}

// flowInsert inserts element text (a pair or an item) into non-empty flow
// collection c before element pos, or at the end when pos is the length.
func (d *ydoc) flowInsert(c *yaml.Node, pos int, text func(lineOf int) string) ([]byte, error) {
	starts, ends, err := d.elems(c)
	if err != nil {
		return nil, err
	}
	sep := " "
	if d.st.json && !d.st.jsonSpace {
		sep = ""
	}
	multi := d.multiLine(c)
	if pos >= len(starts) {
		last := len(starts) - 1
		if multi {
			sep = d.st.eol + leadingSpace(d.l.text(d.l.lineOf(starts[last])))
		}
		return splice(d.src, ends[last], ends[last], ","+sep+text(starts[last])), nil
	}
	if multi {
		sep = d.st.eol + leadingSpace(d.l.text(d.l.lineOf(starts[pos])))
	}
	return splice(d.src, starts[pos], starts[pos], text(starts[pos])+","+sep), nil
}

// flowRemove removes element i of flow collection c with one comma.
func (d *ydoc) flowRemove(c *yaml.Node, i int) ([]byte, error) {
	starts, ends, err := d.elems(c)
	if err != nil {
		return nil, err
	}
	switch {
	case len(starts) == 1:
		s, err := flowEnd(d.src, d.contentStart(c))
		if err != nil {
			return nil, err
		}
		empty := "[]"
		if c.Kind == yaml.MappingNode {
			empty = "{}"
		}
		return splice(d.src, d.contentStart(c), s, empty), nil
	case i < len(starts)-1:
		return splice(d.src, starts[i], starts[i+1], ""), nil
	}
	return splice(d.src, ends[i-1], ends[i], ""), nil
}

// insertKey adds key with value v to the mapping at s, whose path from the
// object's root is path.
func (d *ydoc) insertKey(s step, key string, v any, path []string) ([]byte, error) {
	m := s.node
	if m.Kind == yaml.AliasNode {
		return nil, refuse("the field is reached through alias *%s; edit the anchored value by hand", m.Value)
	}
	if m.Kind != yaml.MappingNode {
		return nil, refuse("the parent of %q is not a mapping", key)
	}
	e := emitter{d.st}
	var existing []string
	for i := 0; i+1 < len(m.Content); i += 2 {
		existing = append(existing, m.Content[i].Value)
	}
	childPath := append(slices.Clip(path), key)
	after, before := insertPosition(mappingContext(path, d.st.kind, append(existing, key)), existing, key)
	if m.Style&yaml.FlowStyle != 0 {
		if len(m.Content) == 0 {
			if s.parent != nil && !s.flow() && !d.st.json {
				return d.replace(s, map[string]any{key: v}, path)
			}
			start := d.contentStart(m)
			end, err := flowEnd(d.src, start)
			if err != nil {
				return nil, err
			}
			return splice(d.src, start, end, d.flowText(map[string]any{key: v}, s.parent, start, path)), nil
		}
		pos := len(existing)
		switch {
		case after >= 0:
			pos = after + 1
		case before >= 0:
			pos = before
		}
		return d.flowInsert(m, pos, func(at int) string {
			colon := ": "
			if d.st.json && !d.st.jsonSpace && !d.multiLine(m) {
				colon = ":"
			}
			return e.keyText(key, true) + colon + d.flowText(v, m, at, childPath)
		})
	}
	if err := d.simpleKeys(m); err != nil {
		return nil, err
	}
	ind := d.l.column(d.start(m.Content[0]))
	lines := e.pairLines(key, v, ind, childPath)
	if before >= 0 {
		k := m.Content[2*before]
		if d.ownLine(d.start(k)) {
			first := d.headStart(k.Line)
			return d.insertLines(d.l.start(first), lines), nil
		}
		after = before
	}
	if after < 0 {
		after = len(existing) - 1
	}
	last, err := d.pairLastLine(m, after)
	if err != nil {
		return nil, err
	}
	return d.insertLines(d.l.next(last), lines), nil
}

// pairLastLine returns the last line of pair i of block mapping m,
// counting comments below it indented deeper than its key.
func (d *ydoc) pairLastLine(m *yaml.Node, i int) (int, error) {
	end, err := d.end(m.Content[2*i+1], m)
	if err != nil {
		return 0, err
	}
	line := d.l.lineOf(max(end-1, d.start(m.Content[2*i])))
	return d.tailEnd(line, d.l.column(d.start(m.Content[2*i]))), nil
}

// removeKey removes pair i of the mapping at s.
func (d *ydoc) removeKey(s step, i int) ([]byte, error) {
	m := s.node
	if err := d.containsShared(m.Content[2*i+1]); err != nil {
		return nil, err
	}
	if k := m.Content[2*i].Value; mergedHas(m, k) {
		return nil, refuse("removing field %q would bring back the value merged in with <<; edit it by hand", k)
	}
	if m.Style&yaml.FlowStyle != 0 {
		return d.flowRemove(m, i)
	}
	if err := d.simpleKeys(m); err != nil {
		return nil, err
	}
	if len(m.Content) == 2 {
		if s.parent == nil {
			return nil, refuse("cannot remove the last field of a document")
		}
		return d.replace(s, map[string]any{}, nil)
	}
	k := m.Content[2*i]
	if !d.ownLine(d.start(k)) {
		if i != 0 {
			return nil, refuse("cannot remove field %q, which shares its line", k.Value)
		}
		// The first pair of a sequence item ("- name: a"): the next
		// pair moves up behind the "-".
		next := m.Content[2*i+2]
		return splice(d.src, d.start(k), d.start(next), ""), nil
	}
	last, err := d.pairLastLine(m, i)
	if err != nil {
		return nil, err
	}
	start, end := d.lineBlock(d.headStart(k.Line), last)
	return splice(d.src, start, end, ""), nil
}

// itemLines returns the first and last line of item i of block sequence
// q, with the comments above its "-" and those below it indented deeper.
func (d *ydoc) itemLineRange(q *yaml.Node, i int) (int, int, error) {
	n := q.Content[i]
	dash, err := d.dash(n)
	if err != nil {
		return 0, 0, err
	}
	if !d.ownLine(dash) {
		return 0, 0, refuse("cannot edit a sequence item that shares its line")
	}
	end, err := d.end(n, q)
	if err != nil {
		return 0, 0, err
	}
	line := d.l.lineOf(max(end-1, dash))
	return d.headStart(d.l.lineOf(dash)), d.tailEnd(line, d.l.column(dash)), nil
}

// insertItem inserts v into the sequence at s before item i (i may be the
// length: append).
func (d *ydoc) insertItem(s step, i int, v any, path []string) ([]byte, error) {
	q := s.node
	if q.Kind == yaml.AliasNode {
		return nil, refuse("the list is reached through alias *%s; edit the anchored value by hand", q.Value)
	}
	if q.Kind != yaml.SequenceNode {
		return nil, refuse("not a sequence")
	}
	e := emitter{d.st}
	itemPath := append(slices.Clip(path), itoa(i))
	if q.Style&yaml.FlowStyle != 0 {
		if len(q.Content) == 0 {
			if s.parent != nil && !s.flow() && !d.st.json {
				return d.replace(s, []any{v}, path)
			}
			start := d.contentStart(q)
			end, err := flowEnd(d.src, start)
			if err != nil {
				return nil, err
			}
			return splice(d.src, start, end, d.flowText([]any{v}, s.parent, start, path)), nil
		}
		return d.flowInsert(q, i, func(at int) string {
			return d.flowText(v, q, at, itemPath)
		})
	}
	ref := min(i, len(q.Content)-1)
	dash, err := d.dash(q.Content[ref])
	if err != nil {
		return nil, err
	}
	lines := e.itemLines(v, d.l.column(dash), itemPath)
	first, last, err := d.itemLineRange(q, ref)
	if err != nil {
		return nil, err
	}
	if i < len(q.Content) {
		return d.insertLines(d.l.start(first), lines), nil
	}
	return d.insertLines(d.l.next(last), lines), nil
}

// removeItem removes item i of the sequence at s.
func (d *ydoc) removeItem(s step, i int) ([]byte, error) {
	q := s.node
	if err := d.containsShared(q.Content[i]); err != nil {
		return nil, err
	}
	if q.Style&yaml.FlowStyle != 0 {
		return d.flowRemove(q, i)
	}
	if len(q.Content) == 1 {
		return d.replace(s, []any{}, nil)
	}
	first, last, err := d.itemLineRange(q, i)
	if err != nil {
		return nil, err
	}
	start, end := d.lineBlock(first, last)
	return splice(d.src, start, end, ""), nil
}

// simpleKeys refuses a block mapping with an explicit ("? key") or empty
// key, whose layout the editor does not follow.
func (d *ydoc) simpleKeys(m *yaml.Node) error {
	for i := 0; i < len(m.Content); i += 2 {
		k := m.Content[i]
		if k.Kind != yaml.ScalarNode || (k.Value == "" && k.Style == 0) {
			return refuse("cannot edit a mapping with complex or empty keys")
		}
		j := d.start(k) - 1
		for j >= 0 && (d.src[j] == ' ' || d.src[j] == '\t') {
			j--
		}
		if j >= 0 && d.src[j] == '?' {
			return refuse("cannot edit a mapping with explicit \"?\" keys")
		}
	}
	return nil
}
