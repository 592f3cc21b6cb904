package helm

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/palisade-dev/palisade/internal/object"
)

// fileMapper maps the objects decoded from one rendered template back to
// template lines and values. It is read-only and shared by the file's
// objects.
type fileMapper struct {
	trace   *fileTrace // nil when the file could not be traced exactly
	attr    *attributor
	text    string // the rendered output
	lines   []int  // line starts of text
	display string // the template's display path
	source  string // the template text, for approximate mapping
}

// offset converts a 1-based line and character column of the rendered
// text into a byte offset.
func (m *fileMapper) offset(p object.Position) int {
	if p.Line < 1 || p.Line > len(m.lines) {
		return len(m.text)
	}
	off := m.lines[p.Line-1]
	for c := 1; c < p.Column && off < len(m.text) && m.text[off] != '\n'; c++ {
		_, size := utf8.DecodeRuneInString(m.text[off:])
		off += size
	}
	return off
}

// Origin implements object.OriginMapper.
func (m *fileMapper) Origin(o *object.Object, p object.Path) (object.Origin, bool) {
	pos, _ := o.Position(p)
	org := object.Origin{Generator: "helm", File: m.display}
	if m.trace == nil {
		org.Line, org.Approximate = m.approxLine(pos.Line), true
		return org, true
	}
	off := m.offset(pos)
	l, ok := m.trace.locate(off, m.text)
	if !ok {
		org.Approximate = true
		return org, true
	}
	org.File, org.Line, org.Column = l.file, l.line, l.col
	if p != "" {
		m.values(o, p, &org)
	}
	return org, true
}

// values sets org's values key and source when the value of the field at
// p (or of its nearest written ancestor) was printed by an action whose
// pipeline read it from .Values.
func (m *fileMapper) values(o *object.Object, p object.Path, org *object.Origin) {
	elems, err := p.Elems()
	if err != nil || len(elems) == 0 {
		return
	}
	// keyOffs[i] is where the key (or item) of elems[i] is written; k is
	// how many elements exist.
	var keyOffs []int
	var prefix object.Path
	for _, e := range elems {
		if e.IsIndex {
			prefix = prefix.Index(e.Index)
		} else {
			prefix = prefix.Field(e.Key)
		}
		pos, ok := o.Position(prefix)
		if !ok {
			break
		}
		keyOffs = append(keyOffs, m.offset(pos))
	}
	k := len(keyOffs)
	if k == 0 {
		return
	}
	valueOff := m.valueOffset(keyOffs[k-1], elems[k-1].IsIndex)
	candidates := m.trace.containing(valueOff)
	if len(candidates) == 0 {
		// A value written around actions, such as "{{ .repo }}:{{ .tag }}":
		// use the action when there is exactly one on the value's line.
		end := strings.IndexByte(m.text[valueOff:], '\n')
		if end < 0 {
			end = len(m.text) - valueOff
		}
		var withProbe []span
		for _, s := range m.trace.startingIn(valueOff, valueOff+end) {
			if _, ok := m.trace.bestProbe(s.inst); ok {
				withProbe = append(withProbe, s)
			}
		}
		if len(withProbe) != 1 {
			return
		}
		candidates = withProbe
	}
	for _, s := range candidates {
		pr, ok := m.trace.bestProbe(s.inst)
		if !ok {
			continue
		}
		// Elements written inside the span came from the value itself
		// (toYaml of a map, say): they extend the values key.
		j := 0
		for j < k && keyOffs[j] < s.start {
			j++
		}
		rel := elems[j:k]
		if !reachable(pr.value, rel) {
			return
		}
		setBy := append(append([]object.Elem(nil), pr.path...), rel...)
		key := setBy
		if k < len(elems) && isMapValue(pr.value, rel) && allKeys(elems[k:]) {
			// The field is missing from a map that comes from values:
			// setting it there is how to add it.
			key = append(slices.Clip(setBy), elems[k:]...)
			org.Note = "not set; the template renders the map at values key " + pathString(setBy) + " here"
		}
		org.ValuesKey = pathString(key)
		if file, line, ok := m.attr.attribute(setBy); ok {
			org.ValuesFile, org.ValuesLine = file, line
		}
		return
	}
}

// valueOffset returns where the value of the entry whose key (or, for an
// item, whose value) starts at off begins.
func (m *fileMapper) valueOffset(off int, item bool) int {
	t := m.text
	if item || off >= len(t) {
		return off
	}
	i := off
	if t[i] == '"' || t[i] == '\'' {
		q := t[i]
		for i++; i < len(t) && t[i] != q && t[i] != '\n'; i++ {
			if t[i] == '\\' && q == '"' {
				i++
			}
		}
		i++
	}
	for ; i < len(t); i++ {
		if t[i] == '\n' {
			return off
		}
		if t[i] == ':' && (i+1 == len(t) || t[i+1] == ' ' || t[i+1] == '\t' || t[i+1] == '\n' || t[i+1] == '\r') {
			i++
			break
		}
	}
	for i < len(t) && (t[i] == ' ' || t[i] == '\t' || t[i] == '\r') {
		i++
	}
	if i < len(t) && t[i] == '\n' {
		i++
		for i < len(t) && (t[i] == ' ' || t[i] == '\t') {
			i++
		}
	}
	return min(i, len(t))
}

// bestProbe returns the values key that action execution inst most likely
// printed: the only one its pipeline read, or the one whose value it
// printed.
func (ft *fileTrace) bestProbe(inst int) (probeResult, bool) {
	a := ft.t.insts[inst]
	switch len(a.probes) {
	case 0:
		return probeResult{}, false
	case 1:
		return ft.t.probes[a.probes[0]], true
	}
	for _, i := range a.probes {
		if pr := ft.t.probes[i]; reflect.DeepEqual(pr.value, a.value) {
			return pr, true
		}
	}
	printed := printable(a.value)
	for _, i := range a.probes {
		if pr := ft.t.probes[i]; pr.value != nil && strings.Contains(printed, printable(pr.value)) {
			if _, isMap := asMap(pr.value); !isMap {
				return pr, true
			}
		}
	}
	return ft.t.probes[a.probes[0]], true
}

// reachable reports whether v has the path rel.
func reachable(v any, rel []object.Elem) bool {
	_, ok := walkValue(v, rel)
	return ok
}

func isMapValue(v any, rel []object.Elem) bool {
	x, ok := walkValue(v, rel)
	_, isMap := asMap(x)
	return ok && isMap
}

func walkValue(v any, rel []object.Elem) (any, bool) {
	for _, e := range rel {
		if e.IsIndex {
			l, ok := v.([]any)
			if !ok || e.Index >= len(l) {
				return nil, false
			}
			v = l[e.Index]
			continue
		}
		mm, ok := asMap(v)
		if !ok {
			return nil, false
		}
		if v, ok = mm[e.Key]; !ok {
			return nil, false
		}
	}
	return v, true
}

func allKeys(es []object.Elem) bool {
	for _, e := range es {
		if e.IsIndex {
			return false
		}
	}
	return true
}

// templateLine maps a rendered line to its template line (0 if unknown).
func (m *fileMapper) templateLine(line int) int {
	if m.trace == nil {
		return m.approxLine(line)
	}
	if line < 1 || line > len(m.lines) {
		return 0
	}
	off := m.lines[line-1]
	for off < len(m.text) && (m.text[off] == ' ' || m.text[off] == '\t') {
		off++
	}
	if l, ok := m.trace.locate(off, m.text); ok && l.file == m.display {
		return l.line
	}
	return 0
}

// renderedError rewrites a decoding error in rendered output: the line
// becomes the template line, and the message says which rendered line it
// was, since the text there is generated.
func (m *fileMapper) renderedError(e *object.InputError) (string, int) {
	if e.Line == 0 {
		return e.Msg + " (in the rendered template)", 0
	}
	if l := m.templateLine(e.Line); l > 0 {
		return fmt.Sprintf("%s (line %d of the rendered template)", e.Msg, e.Line), l
	}
	return fmt.Sprintf("%s (line %d of the rendered template)", e.Msg, e.Line), 0
}

// approxLine finds a rendered line in the template source: the first
// template line with the same text and no action. It returns 0 when there
// is none.
func (m *fileMapper) approxLine(line int) int {
	if line < 1 || line > len(m.lines) {
		return 0
	}
	end := len(m.text)
	if line < len(m.lines) {
		end = m.lines[line] - 1
	}
	want := strings.TrimSpace(m.text[m.lines[line-1]:end])
	if want == "" {
		return 0
	}
	for i, l := range strings.Split(m.source, "\n") {
		if strings.TrimSpace(l) == want && !strings.Contains(l, "{{") {
			return i + 1
		}
	}
	return 0
}
