package helm

import (
	"fmt"
	"path"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/template"
	"text/template/parse"
	"unsafe"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"

	"github.com/palisade-dev/palisade/internal/object"
)

// How tracing works
//
// The chart is rendered a second time from instrumented copies of its
// templates. Each template is parsed (text/template/parse) and printed back
// with invisible markers (Unicode private-use characters) added:
//
//   - every literal text node gets a text marker at its start and after
//     each of its line breaks, naming the template file, line and column
//     of the text that follows;
//   - every printing action {{ PIPE }} becomes
//     {{ __pal_act ID (PIPE) PROBES... }}, which prints the same value
//     between an act-start and an act-end marker. ID names the action's
//     template position; each probe, (__pal_probe ROOT "field"...), reports
//     which values key a field reference in the pipeline (.Values.x.y,
//     $var.field, or the dot inside with/range) resolves to. Probes find
//     values by the identity of the maps in the chart's values tree, so
//     they follow values through include arguments, with and range.
//
// The markers are then stripped from the traced output; what remains must
// equal the real output byte for byte, or the trace of that file is not
// used. Markers inside helper templates can change what a template does
// with the text an include returns (trunc, eq, fromYaml), so a file whose
// trace differs is traced again with helpers left uninstrumented (their
// output is then attributed to the include call). A file that still
// differs gets an approximate, text-matching mapping (mapper.go).
//
// Stripping records, at offsets of the real output: each text marker (a
// template position), each action span (start, end and the probes' values
// keys), and after each span a return to the action's position. The
// template position of any offset is then the latest record at or before
// it, and a field's values key comes from the innermost action span that
// produced its value.

// Marker runes, from the Unicode private use area.
const (
	markText  = '\uE000' // markText ID markClose: a template position follows
	markClose = '\uE001'
	markAct   = '\uE002' // markAct INST markClose: an action's output starts
	markEnd   = '\uE003' // an action's output ends
)

// loc is a position in a template file.
type loc struct {
	file      string // display path
	line, col int
}

// actInst is one execution of an instrumented action.
type actInst struct {
	loc    int   // index into tracer.locs
	probes []int // indexes into tracer.probes
	value  any
}

// probeResult is a field reference that resolved into the values tree.
type probeResult struct {
	path  []object.Elem // top-level values path
	value any
}

// event is a template position taking effect at an offset of the output.
type event struct {
	off  int
	loc  int
	text bool // a literal-text position (columns advance with the text)
}

// span is the output of one action execution.
type span struct {
	start, end int
	inst       int
}

// fileTrace is the trace of one rendered template; events and spans are in
// output order.
type fileTrace struct {
	t      *tracer
	events []event
	spans  []span
}

// tracer renders a chart with instrumented templates and keeps the traces.
// It is written while tracing and read-only afterwards.
type tracer struct {
	locs   []loc
	insts  []actInst
	probes []probeResult
	// ident maps the maps of the values tree (by identity) to their
	// top-level values paths.
	ident map[unsafe.Pointer][]object.Elem
	// traces are the trusted traces by rendered template name.
	traces map[string]*fileTrace
	// sources are the template texts by rendered name, for approximate
	// mapping.
	sources map[string]string
}

// renderable is one template with its data, as the Helm engine sees it.
type renderable struct {
	file     *chart.File
	vals     map[string]any
	basePath string
	display  string
}

func newTracer(ch *chart.Chart, top chartutil.Values, l *layout, real map[string]string) *tracer {
	t := &tracer{ident: map[unsafe.Pointer][]object.Elem{}, traces: map[string]*fileTrace{}, sources: map[string]string{}}
	if v, ok := top["Values"].(chartutil.Values); ok {
		t.index(map[string]any(v), nil)
	}
	tpls := map[string]renderable{}
	collect(ch, top, tpls, l)
	for name, r := range tpls {
		t.sources[name] = string(r.file.Data)
	}
	want := func(name string) bool {
		text, ok := real[name]
		return ok && strings.TrimSpace(text) != "" && t.traces[name] == nil
	}
	for _, helpers := range []bool{true, false} {
		var names []string
		for name := range tpls {
			if want(name) {
				names = append(names, name)
			}
		}
		if len(names) == 0 {
			break
		}
		out := t.render(tpls, names, helpers)
		for name, text := range out {
			if ft := t.strip(text); ft != nil && ft.clean == real[name] {
				ft.clean = ""
				t.traces[name] = &ft.fileTrace
			}
		}
	}
	return t
}

// file returns the trace of a rendered template, or nil when it could not
// be traced exactly.
func (t *tracer) file(name string) *fileTrace { return t.traces[name] }

// index records the identity of every map in the values tree v.
func (t *tracer) index(v any, p []object.Elem) {
	switch x := v.(type) {
	case map[string]any:
		ptr := reflect.ValueOf(x).UnsafePointer()
		if _, seen := t.ident[ptr]; seen {
			return
		}
		t.ident[ptr] = p
		for k, c := range x {
			t.index(c, appendElem(p, object.Elem{Key: k}))
		}
	case chartutil.Values:
		t.index(map[string]any(x), p)
	case []any:
		for i, c := range x {
			t.index(c, appendElem(p, object.Elem{Index: i, IsIndex: true}))
		}
	}
}

func appendElem(p []object.Elem, e object.Elem) []object.Elem {
	return append(slices.Clip(p), e)
}

// collect lists the templates of c and its subcharts with the data each is
// executed with, as the Helm engine scopes it: each subchart sees its own
// section of the values.
func collect(c *chart.Chart, parent map[string]any, out map[string]renderable, l *layout) map[string]any {
	subcharts := map[string]any{}
	next := map[string]any{
		"Chart": struct {
			chart.Metadata
			IsRoot bool
		}{*c.Metadata, c.IsRoot()},
		"Files":        newChartFiles(c.Files),
		"Release":      parent["Release"],
		"Capabilities": parent["Capabilities"],
		"Values":       chartutil.Values{},
		"Subcharts":    subcharts,
	}
	if c.IsRoot() {
		next["Values"] = parent["Values"]
	} else if vs, err := chartutil.Values(parent).Table("Values." + c.Name()); err == nil {
		next["Values"] = vs
	}
	for _, sc := range c.Dependencies() {
		subcharts[sc.Name()] = collect(sc, next, out, l)
	}
	library := strings.EqualFold(c.Metadata.Type, "library")
	for _, f := range c.Templates {
		if f == nil || (library && !strings.HasPrefix(path.Base(f.Name), "_")) {
			continue
		}
		out[path.Join(c.ChartFullPath(), f.Name)] = renderable{
			file: f, vals: next, basePath: path.Join(c.ChartFullPath(), "templates"), display: l.byFile[f],
		}
	}
	return next
}

// render executes the named templates from instrumented copies of all
// templates (helpers instrumented too when helpers is set) and returns
// their traced output. Templates that fail are left out.
func (t *tracer) render(tpls map[string]renderable, names []string, helpers bool) (out map[string]string) {
	defer func() {
		if recover() != nil {
			out = nil
		}
	}()
	root := template.New("gotpl")
	root.Option("missingkey=zero")
	root.Funcs(funcMap(root, template.FuncMap{"__pal_act": t.act, "__pal_probe": t.probe}))
	keys := make([]string, 0, len(tpls))
	for k := range tpls {
		keys = append(keys, k)
	}
	// Parse in the engine's order (deeper paths first), so that templates
	// defined twice resolve as they do there.
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		ca, cb := strings.Count(a, "/"), strings.Count(b, "/")
		if ca != cb {
			return ca > cb
		}
		return a > b
	})
	for _, k := range keys {
		r := tpls[k]
		src, err := t.instrument(k, string(r.file.Data), r.display, helpers)
		if err != nil {
			return nil
		}
		if _, err := root.New(k).Parse(src); err != nil {
			return nil
		}
	}
	out = map[string]string{}
	for _, name := range names {
		if strings.HasPrefix(path.Base(name), "_") {
			continue
		}
		r := tpls[name]
		r.vals["Template"] = chartutil.Values{"Name": name, "BasePath": r.basePath}
		var b strings.Builder
		if err := root.ExecuteTemplate(&b, name, r.vals); err != nil {
			continue
		}
		out[name] = strings.ReplaceAll(b.String(), "<no value>", "")
	}
	return out
}

// act is __pal_act: it records one execution of action id and prints its
// value as the template would, between span markers.
func (t *tracer) act(id int, v any, probes ...int) string {
	inst := len(t.insts)
	var ps []int
	for _, p := range probes {
		if p >= 0 {
			ps = append(ps, p)
		}
	}
	t.insts = append(t.insts, actInst{loc: id, probes: ps, value: v})
	return string(markAct) + strconv.Itoa(inst) + string(markClose) + printable(v) + string(markEnd)
}

// printable formats v as text/template prints a pipeline's value.
func printable(v any) string {
	if v == nil {
		return "<no value>"
	}
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer && !rv.IsNil() {
		if _, ok := rv.Interface().(fmt.Stringer); ok {
			break
		}
		if _, ok := rv.Interface().(error); ok {
			break
		}
		rv = rv.Elem()
	}
	return fmt.Sprint(rv.Interface())
}

// probe is __pal_probe: it follows fields from root through maps and
// returns the index of the values key reached, or -1.
func (t *tracer) probe(root any, fields ...string) int {
	cur := root
	var base []object.Elem
	known := false
	var rest []object.Elem
	note := func(v any) {
		if m, ok := asMap(v); ok {
			if p, ok := t.ident[reflect.ValueOf(m).UnsafePointer()]; ok {
				base, rest, known = p, nil, true
			}
		}
	}
	note(cur)
	for _, f := range fields {
		m, ok := asMap(cur)
		if !ok {
			return -1
		}
		cur = m[f]
		rest = append(rest, object.Elem{Key: f})
		note(cur)
	}
	if !known {
		return -1
	}
	p := append(slices.Clip(base), rest...)
	t.probes = append(t.probes, probeResult{path: p, value: cur})
	return len(t.probes) - 1
}

func asMap(v any) (map[string]any, bool) {
	switch m := v.(type) {
	case map[string]any:
		return m, m != nil
	case chartutil.Values:
		return map[string]any(m), m != nil
	}
	return nil, false
}

// instrument prints the template text src with markers (see the comment
// at the top of this file). Define bodies are instrumented only when
// helpers is set.
func (t *tracer) instrument(name, src, display string, helpers bool) (string, error) {
	trees := map[string]*parse.Tree{}
	main := parse.New(name)
	main.Mode = parse.SkipFuncCheck
	if _, err := main.Parse(src, "", "", trees); err != nil {
		return "", err
	}
	p := &printer{t: t, src: src, display: display, lines: lineStarts(src)}
	p.node(main.Root, true)
	defs := make([]string, 0, len(trees))
	for n := range trees {
		if n != name {
			defs = append(defs, n)
		}
	}
	slices.Sort(defs)
	for _, n := range defs {
		p.b.WriteString("{{define " + strconv.Quote(n) + "}}")
		p.node(trees[n].Root, helpers)
		p.b.WriteString("{{end}}")
	}
	return p.b.String(), nil
}

type printer struct {
	t       *tracer
	b       strings.Builder
	src     string
	display string
	lines   []int
}

// loc registers the template position at byte offset off of the source.
func (p *printer) loc(off int) int {
	line := sort.SearchInts(p.lines, off+1) // lines[line-1] <= off
	col := 1 + len([]rune(p.src[p.lines[line-1]:min(off, len(p.src))]))
	p.t.locs = append(p.t.locs, loc{file: p.display, line: line, col: col})
	return len(p.t.locs) - 1
}

func (p *printer) mark(r rune, id int) {
	p.b.WriteRune(r)
	p.b.WriteString(strconv.Itoa(id))
	p.b.WriteRune(markClose)
}

func (p *printer) node(n parse.Node, instr bool) {
	switch n := n.(type) {
	case nil:
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			p.node(c, instr)
		}
	case *parse.TextNode:
		if !instr {
			p.b.Write(n.Text)
			return
		}
		pos := int(n.Pos)
		p.mark(markText, p.loc(pos))
		for i, c := range n.Text {
			p.b.WriteByte(c)
			if c == '\n' {
				p.mark(markText, p.loc(pos+i+1))
			}
		}
	case *parse.ActionNode:
		if !instr || len(n.Pipe.Decl) > 0 {
			p.b.WriteString(n.String())
			return
		}
		p.b.WriteString("{{__pal_act " + strconv.Itoa(p.loc(int(n.Pos))) + " (" + n.Pipe.String() + ")")
		for _, pr := range probes(n.Pipe) {
			p.b.WriteString(" " + pr)
		}
		p.b.WriteString("}}")
	case *parse.IfNode:
		p.branch("if", &n.BranchNode, instr)
	case *parse.RangeNode:
		p.branch("range", &n.BranchNode, instr)
	case *parse.WithNode:
		p.branch("with", &n.BranchNode, instr)
	case *parse.CommentNode:
	default:
		p.b.WriteString(n.String())
	}
}

func (p *printer) branch(kw string, n *parse.BranchNode, instr bool) {
	p.b.WriteString("{{" + kw + " " + n.Pipe.String() + "}}")
	p.node(n.List, instr)
	if n.ElseList != nil {
		p.b.WriteString("{{else}}")
		p.node(n.ElseList, instr)
	}
	p.b.WriteString("{{end}}")
}

// maxProbes bounds the probes added to one action.
const maxProbes = 8

// probes returns probe expressions for the field references in pipe.
func probes(pipe *parse.PipeNode) []string {
	var out []string
	var visit func(n parse.Node)
	visit = func(n parse.Node) {
		if len(out) >= maxProbes {
			return
		}
		switch n := n.(type) {
		case *parse.PipeNode:
			for _, c := range n.Cmds {
				visit(c)
			}
		case *parse.CommandNode:
			for _, a := range n.Args {
				visit(a)
			}
		case *parse.ChainNode:
			visit(n.Node)
		case *parse.FieldNode:
			out = append(out, "(__pal_probe ."+quoteAll(n.Ident)+")")
		case *parse.VariableNode:
			out = append(out, "(__pal_probe "+n.Ident[0]+quoteAll(n.Ident[1:])+")")
		case *parse.DotNode:
			out = append(out, "(__pal_probe .)")
		}
	}
	visit(pipe)
	return out
}

func quoteAll(ss []string) string {
	var b strings.Builder
	for _, s := range ss {
		b.WriteByte(' ')
		b.WriteString(strconv.Quote(s))
	}
	return b.String()
}

// strippedTrace is a fileTrace with the output it was recorded on.
type strippedTrace struct {
	fileTrace
	clean string
}

// strip removes the markers from traced output, recording what they said.
// It returns nil when the markers are damaged (cut by trunc, say).
func (t *tracer) strip(out string) *strippedTrace {
	st := &strippedTrace{fileTrace: fileTrace{t: t}}
	var b strings.Builder
	b.Grow(len(out))
	var open []int // indexes into st.spans
	for len(out) > 0 {
		i := strings.Index(out, "\xee\x80") // the first two bytes of every marker
		if i < 0 || i+2 >= len(out) {
			b.WriteString(out)
			break
		}
		b.WriteString(out[:i])
		out = out[i:]
		switch out[2] {
		case 0x80, 0x82: // markText, markAct
			j := strings.IndexRune(out[3:], markClose)
			if j < 0 {
				return nil
			}
			id, err := strconv.Atoi(out[3 : 3+j])
			if err != nil {
				return nil
			}
			off := b.Len()
			if out[2] == 0x80 {
				if id >= len(t.locs) {
					return nil
				}
				st.events = append(st.events, event{off: off, loc: id, text: true})
			} else {
				if id >= len(t.insts) {
					return nil
				}
				open = append(open, len(st.spans))
				st.spans = append(st.spans, span{start: off, end: -1, inst: id})
				st.events = append(st.events, event{off: off, loc: t.insts[id].loc})
			}
			out = out[3+j+3:]
		case 0x83: // markEnd
			if len(open) == 0 {
				return nil
			}
			s := &st.spans[open[len(open)-1]]
			open = open[:len(open)-1]
			s.end = b.Len()
			st.events = append(st.events, event{off: s.end, loc: t.insts[s.inst].loc})
			out = out[3:]
		case 0x81:
			return nil
		default:
			b.WriteString(out[:3])
			out = out[3:]
		}
	}
	if len(open) > 0 {
		return nil
	}
	st.clean = b.String()
	return st
}

// locate returns the template position of output offset off: the file,
// line and column, and whether the column is exact.
func (ft *fileTrace) locate(off int, text string) (loc, bool) {
	i := sort.Search(len(ft.events), func(i int) bool { return ft.events[i].off > off }) - 1
	if i < 0 {
		return loc{}, false
	}
	e := ft.events[i]
	l := ft.t.locs[e.loc]
	if e.text && off >= e.off && off <= len(text) && !strings.Contains(text[e.off:off], "\n") {
		l.col += len([]rune(text[e.off:off]))
	}
	return l, true
}

// containing returns the spans containing offset off, innermost first.
func (ft *fileTrace) containing(off int) []span {
	var out []span
	i := sort.Search(len(ft.spans), func(i int) bool { return ft.spans[i].start > off })
	for i--; i >= 0; i-- {
		if s := ft.spans[i]; s.end > off {
			out = append(out, s)
		}
	}
	return out
}

// startingIn returns the spans that start in [from, to) and are not
// nested in another such span.
func (ft *fileTrace) startingIn(from, to int) []span {
	var out []span
	i := sort.Search(len(ft.spans), func(i int) bool { return ft.spans[i].start >= from })
	end := -1
	for ; i < len(ft.spans) && ft.spans[i].start < to; i++ {
		if s := ft.spans[i]; s.start >= end {
			out = append(out, s)
			end = s.end
		}
	}
	return out
}

// lineStarts returns the byte offset of the start of each line of s.
func lineStarts(s string) []int {
	starts := []int{0}
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			starts = append(starts, i+1)
		}
	}
	return starts
}
