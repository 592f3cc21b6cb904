package object

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf16"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kjson "sigs.k8s.io/json"

	"github.com/palisade-dev/palisade/internal/jsonstr"
	"github.com/palisade-dev/palisade/internal/object/blockyaml"
)

// InputError is a document that could not be decoded, or a file that could
// not be read. Line is 1-based; errors from Decode always have one, and the
// sources report 0 for a problem with a whole file (unreadable, too large).
type InputError struct {
	File string
	Line int
	Msg  string
}

func (e *InputError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// Skipped is a document that parsed but is not a Kubernetes object (no
// apiVersion or kind), such as a Helm values file.
type Skipped struct {
	File string
	Doc  int
	Line int
}

// Result is everything decoded from one file.
type Result struct {
	Objects []*Object
	Errors  []*InputError
	Skipped []Skipped
}

// maxAliasNodes bounds how many nodes alias and merge-key expansion may
// produce in one file, defeating "billion laughs" inputs. Real manifests
// that use anchors expand to a few thousand nodes at most.
const maxAliasNodes = 1_000_000

// maxDepth bounds the nesting of mappings and sequences (and of aliases and
// merge keys) in one object.
const maxDepth = 512

// Decode parses the YAML or JSON documents in data. Each document is parsed
// on its own, so a broken document is reported and the rest of the file is
// still decoded.
//
// The input is UTF-8, with or without a byte order mark, or UTF-16 with a
// byte order mark (transcoded first). Lines count from 1 and end at line
// feeds (CRLF counts once), as in editors and grep -n; columns count
// characters from 1. Documents are numbered as a YAML parser numbers them:
// comments before the first "---" are no document, an empty "---" is one.
//
// A field reached through an alias or a merge key ("<<: *base") is placed
// where the anchored value is written. Expansion through aliases and merge
// keys is bounded (maxAliasNodes per file), so "billion laughs" inputs fail
// fast with an error. The items of a List (kind List, or DeploymentList and
// the like, whose items may leave out apiVersion and kind) become objects of
// their own, with paths and positions relative to each item.
//
// Scalars follow YAML 1.2 (the core schema of go.yaml.in/yaml/v3): yes, no,
// on and off are strings, so `privileged: yes` is reported as an error
// rather than read as true or false; .inf and .nan are reported because JSON
// cannot represent them. Numbers are handed to the Kubernetes decoder as
// kubectl hands them: a float with an integral value (1.5e3) becomes an
// integer, and integers beyond 64 bits become floats.
func Decode(file string, data []byte) *Result {
	res := &Result{}
	data, err := toUTF8(file, data)
	if err != nil {
		res.Errors = append(res.Errors, err)
		return res
	}
	d := fileDecoder{res: res, file: file, budget: maxAliasNodes}
	for _, c := range SplitDocuments(data) {
		d.chunk(c)
	}
	return res
}

// toUTF8 strips a UTF-8 byte order mark and transcodes UTF-16.
func toUTF8(file string, data []byte) ([]byte, *InputError) {
	switch {
	case len(data) >= 3 && data[0] == 0xef && data[1] == 0xbb && data[2] == 0xbf:
		return data[3:], nil
	case len(data) >= 4 && (string(data[:4]) == "\x00\x00\xfe\xff" || string(data[:4]) == "\xff\xfe\x00\x00"):
		return nil, &InputError{File: file, Line: 1, Msg: "UTF-32 text is not supported: convert the file to UTF-8"}
	case len(data) >= 2 && data[0] == 0xff && data[1] == 0xfe:
		return fromUTF16(file, data[2:], false)
	case len(data) >= 2 && data[0] == 0xfe && data[1] == 0xff:
		return fromUTF16(file, data[2:], true)
	}
	return data, nil
}

func fromUTF16(file string, b []byte, bigEndian bool) ([]byte, *InputError) {
	unit := func(i int) rune {
		if bigEndian {
			return rune(b[i])<<8 | rune(b[i+1])
		}
		return rune(b[i+1])<<8 | rune(b[i])
	}
	out := make([]byte, 0, len(b)/2+len(b)/16)
	line := 1
	for i := 0; i+1 < len(b); i += 2 {
		r := unit(i)
		if utf16.IsSurrogate(r) {
			dec := utf8.RuneError
			if i+3 < len(b) {
				dec = utf16.DecodeRune(r, unit(i+2))
			}
			if dec == utf8.RuneError {
				return nil, &InputError{File: file, Line: line, Msg: "invalid UTF-16 text (unpaired surrogate)"}
			}
			r = dec
			i += 2
		}
		if r == '\n' {
			line++
		}
		out = utf8.AppendRune(out, r)
	}
	if len(b)%2 != 0 {
		return nil, &InputError{File: file, Line: line, Msg: "invalid UTF-16 text (odd number of bytes)"}
	}
	return out, nil
}

// Document is a piece of a file that holds one YAML document (or, when the
// file uses line breaks other than line feeds, possibly several). The fixer
// edits files piece by piece, cut exactly as Decode cuts them.
type Document struct {
	Text []byte
	Line int // 1-based line of Text[0] in the file
}

// SplitDocuments cuts a stream before each document start marker ("---" at
// the start of a line) and after each document end marker ("..."), so that
// a syntax error in one document does not hide the others. YAML forbids
// such lines inside scalars, so the cuts are exact. Each piece keeps its
// marker line, so content after a marker ("--- {a: 1}") stays in place, and
// directives ("%YAML 1.2") stay with the document they introduce.
func SplitDocuments(data []byte) []Document {
	var docs []Document
	start, startLine, line := 0, 1, 1
	explicit := false // the current piece starts with a "---" marker
	for off := 0; off < len(data); line++ {
		next := len(data)
		if i := bytes.IndexByte(data[off:], '\n'); i >= 0 {
			next = off + i + 1
		}
		l := data[off:next]
		lineStart := off
		off = next
		if len(l) < 3 || (l[0] != '-' && l[0] != '.') {
			continue
		}
		switch {
		case isMarker(l, "---"):
			if !explicit && onlyDirectives(data[start:lineStart]) {
				explicit = true
				continue
			}
			if lineStart > start {
				docs = append(docs, Document{Text: data[start:lineStart], Line: startLine})
			}
			start, startLine, explicit = lineStart, line, true
		case isMarker(l, "..."):
			docs = append(docs, Document{Text: data[start:next], Line: startLine})
			start, startLine, explicit = next, line+1, false
		}
	}
	if start < len(data) {
		docs = append(docs, Document{Text: data[start:], Line: startLine})
	}
	return docs
}

// isMarker reports whether line l starts with the document marker m followed
// by a blank or the end of the line.
func isMarker(l []byte, m string) bool {
	if !bytes.HasPrefix(l, []byte(m)) {
		return false
	}
	return len(l) == 3 || l[3] == ' ' || l[3] == '\t' || l[3] == '\n' || l[3] == '\r'
}

// onlyDirectives reports whether b holds directives ("%YAML 1.2") and
// otherwise only comments and blank lines.
func onlyDirectives(b []byte) bool {
	found := false
	for len(b) > 0 {
		l := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			l, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		if len(l) > 0 && l[0] == '%' {
			found = true
			continue
		}
		if t := bytes.TrimLeft(l, " \t\r"); len(t) > 0 && t[0] != '#' {
			return false
		}
	}
	return found
}

// HideYAML12Directive returns data with its "%YAML 1.2" directives turned
// into comments of the same length: the parser (a YAML 1.1 parser with 1.2
// scalars) rejects them, and positions must not move. data itself is never
// modified; it is copied only when there is something to hide.
func HideYAML12Directive(data []byte) []byte {
	if !bytes.HasPrefix(data, []byte("%")) && !bytes.Contains(data, []byte("\n%")) {
		return data
	}
	var out []byte
	for off := 0; off < len(data); {
		l := data[off:]
		if i := bytes.IndexByte(l, '\n'); i >= 0 {
			l = l[:i+1]
		}
		if isMarker(l, "---") {
			break
		}
		if f := bytes.Fields(l); len(f) >= 2 && string(f[0]) == "%YAML" && string(f[1]) == "1.2" {
			if out == nil {
				out = bytes.Clone(data)
			}
			out[off] = '#'
		}
		off += len(l)
	}
	if out == nil {
		return data
	}
	return out
}

// lineMap turns the lines and columns the YAML parser reports for a piece
// of a file into positions in the file. The parser also ends lines at a lone
// carriage return and at U+0085, U+2028 and U+2029, which editors and grep
// do not; pieces containing them get a table.
type lineMap struct {
	first, last int // file lines of the piece's first and last line
	table       []linePos
}

type linePos struct{ line, col int32 }

func newLineMap(c Document) *lineMap {
	m := &lineMap{first: c.Line, last: c.Line + bytes.Count(c.Text, []byte{'\n'})}
	if !hasOtherBreaks(c.Text) {
		return m
	}
	b := c.Text
	line, col := clampInt32(c.Line), int32(0)
	m.table = append(m.table, linePos{line, 0})
	for i := 0; i < len(b); {
		r, size := rune(b[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRune(b[i:])
		}
		i += size
		switch {
		case r == '\n' || (r == '\r' && i < len(b) && b[i] == '\n'):
			if r == '\r' {
				i++
			}
			line, col = line+1, 0
			m.table = append(m.table, linePos{line, 0})
		case r == '\r' || r == 0x85 || r == 0x2028 || r == 0x2029:
			col++
			m.table = append(m.table, linePos{line, col})
		default:
			col++
		}
	}
	return m
}

// hasOtherBreaks reports whether b holds a line break other than LF and CRLF.
func hasOtherBreaks(b []byte) bool {
	for i := bytes.IndexByte(b, '\r'); i >= 0; {
		if i+1 == len(b) || b[i+1] != '\n' {
			return true
		}
		j := bytes.IndexByte(b[i+1:], '\r')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return bytes.Contains(b, []byte("\u0085")) || bytes.Contains(b, []byte("\u2028")) || bytes.Contains(b, []byte("\u2029"))
}

// pos returns the file line and column of a parser line and column.
func (m *lineMap) pos(line, col int) (int, int) {
	if m.table == nil {
		return line + m.first - 1, col
	}
	p := m.table[min(max(line, 1), len(m.table))-1]
	return int(p.line), col + int(p.col)
}

// line returns the file line of a parser line, kept inside the piece (the
// parser may name the line after the end of the input).
func (m *lineMap) line(l int) int {
	fl, _ := m.pos(l, 0)
	return min(max(fl, m.first), m.last)
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// fileDecoder decodes the documents of one file.
type fileDecoder struct {
	res    *Result
	file   string
	doc    int // index of the next document
	budget int // nodes that alias and merge-key expansion may still produce
}

func (d *fileDecoder) errorAt(line int, msg string) {
	d.res.Errors = append(d.res.Errors, &InputError{File: d.file, Line: line, Msg: msg})
}

func (d *fileDecoder) chunk(c Document) {
	if len(bytes.TrimSpace(c.Text)) == 0 {
		return
	}
	lm := newLineMap(c)
	data := HideYAML12Directive(c.Text)
	if lm.table == nil {
		// Lines end in LF or CRLF only, so the split is exact: the piece
		// holds at most one document. Most documents are plain block
		// YAML, which the fast path parses; it leaves the rest, and all
		// errors, to yaml.v3.
		p := blockyaml.Get()
		defer p.Release()
		root, ok := p.Parse(data)
		var err error
		if !ok {
			root = new(yaml.Node)
			err = yaml.Unmarshal(data, root)
		}
		if err == nil && root.Kind == 0 {
			return // comments only
		}
		doc := d.doc
		d.doc++
		if err != nil {
			d.res.Errors = append(d.res.Errors, d.yamlError(c, data, lm, err, true))
			return
		}
		d.document(doc, lm, root)
		return
	}
	// The parser sees line breaks the split did not (a lone CR, say), and
	// so perhaps more documents: decode them all rather than drop them.
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var root yaml.Node
		err := dec.Decode(&root)
		if errors.Is(err, io.EOF) {
			return
		}
		doc := d.doc
		d.doc++
		if err != nil {
			d.res.Errors = append(d.res.Errors, d.yamlError(c, data, lm, err, false))
			return
		}
		d.document(doc, lm, &root)
	}
}

// yamlError turns a parser error into an InputError. The parser names the
// line where the enclosing construct starts, counted from 0 (see parser.fail
// in go.yaml.in/yaml/v3), or no line at all; so for a piece that holds one
// document, the line is found by parsing prefixes of it: the error belongs
// to the first line whose prefix fails in the same way.
func (d *fileDecoder) yamlError(c Document, data []byte, lm *lineMap, err error, single bool) *InputError {
	full := err.Error()
	msg, reported := full, 0
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		reported, _ = strconv.Atoi(m[1])
		msg = "yaml: " + m[2]
	}
	// Errors about characters carry no line: find the character.
	if strings.Contains(msg, "UTF") || strings.Contains(msg, "octet") || strings.Contains(msg, "control characters") {
		if line, what := badChar(c.Text); line > 0 {
			return &InputError{File: d.file, Line: c.Line + line - 1, Msg: what}
		}
	}
	if single {
		return &InputError{File: d.file, Line: c.Line + problemLine(data, full, reported) - 1, Msg: msg}
	}
	if reported > 0 {
		return &InputError{File: d.file, Line: lm.line(reported), Msg: msg}
	}
	return &InputError{File: d.file, Line: c.Line, Msg: msg}
}

// problemLine returns the 1-based line of data, a document that fails to
// parse with the error text full, at which parsing goes wrong: the first
// line whose prefix fails with the same error. It is no earlier than lo.
// A binary search keeps this to a few parses.
func problemLine(data []byte, full string, lo int) int {
	var ends []int // offset after each line
	for off := 0; off < len(data); {
		i := bytes.IndexByte(data[off:], '\n')
		if i < 0 {
			ends = append(ends, len(data))
			break
		}
		off += i + 1
		ends = append(ends, off)
	}
	hi := len(ends)
	lo = min(max(lo, 1), hi)
	for lo < hi {
		mid := lo + (hi-lo)/2
		var n yaml.Node
		if err := yaml.Unmarshal(data[:ends[mid-1]], &n); err != nil && err.Error() == full {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return hi
}

// badChar returns the 1-based line of the first byte in b that is not
// UTF-8 or is a character YAML does not allow, and what is wrong with it.
func badChar(b []byte) (int, string) {
	line := 1
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			return line, "invalid UTF-8 (not a text file?)"
		case r == '\n':
			line++
		case r == '\t' || r == '\r' || r == 0x85:
		case r < 0x20 || (r >= 0x7f && r < 0xa0) || (r >= 0xd800 && r < 0xe000) || r == 0xfffe || r == 0xffff:
			return line, fmt.Sprintf("yaml: character %U is not allowed", r)
		}
		i += size
	}
	return 0, ""
}

func (d *fileDecoder) document(doc int, lm *lineMap, root *yaml.Node) {
	if root.Kind == 0 || len(root.Content) == 0 {
		return // comments only
	}
	n := root.Content[0]
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return // an empty document: "---" alone, or comments after it
	}
	apiVersion, kind := scalarField(n, "apiVersion"), scalarField(n, "kind")
	if n.Kind != yaml.MappingNode || apiVersion == "" || kind == "" {
		d.res.Skipped = append(d.res.Skipped, Skipped{File: d.file, Doc: doc, Line: lm.line(n.Line)})
		return
	}
	if items := field(n, "items"); items != nil && strings.HasSuffix(kind, "List") && items.Kind == yaml.SequenceNode {
		// Items of a typed list (DeploymentList) as the API server returns
		// them carry no apiVersion and kind: they are the list's.
		itemKind := strings.TrimSuffix(kind, "List")
		for _, item := range items.Content {
			aliased := item.Kind == yaml.AliasNode
			item = resolveAlias(item)
			var implied *typeMeta
			if item.Kind != yaml.MappingNode {
				d.errorAt(lm.line(item.Line), kind+" item is not a mapping")
				continue
			}
			if av, k := scalarField(item, "apiVersion"), scalarField(item, "kind"); av == "" || k == "" {
				if av != "" || k != "" || itemKind == "" || field(item, "kind") != nil || field(item, "apiVersion") != nil {
					d.errorAt(lm.line(item.Line), kind+" item has no apiVersion or kind")
					continue
				}
				implied = &typeMeta{apiVersion: apiVersion, kind: itemKind}
			}
			d.object(doc, lm, item, aliased, implied)
		}
		return
	}
	d.object(doc, lm, n, false, nil)
}

type typeMeta struct{ apiVersion, kind string }

// scratch holds an object's JSON and position entries while it is being
// decoded. Neither outlives the decoding (the JSON decoder copies what it
// keeps, and the object keeps an exact-size copy of the positions), so the
// buffers go back to scratchPool for the next object rather than being
// grown anew for each of thousands of objects.
type scratch struct {
	json []byte
	pos  []posEntry
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// maxScratch is the largest buffer capacity returned to scratchPool; the
// rare huge object does not pin its buffers for the rest of the run.
const maxScratch = 1 << 20

// object decodes the mapping n into an Object. aliased says n is reached
// through an alias (a List item written as *anchor), so that its nodes count
// against the expansion budget. implied, when not nil, is the apiVersion and
// kind of a typed list's item that does not write them.
func (d *fileDecoder) object(doc int, lm *lineMap, n *yaml.Node, aliased bool, implied *typeMeta) {
	sc := scratchPool.Get().(*scratch)
	enc := encoder{lines: lm, budget: &d.budget, buf: sc.json[:0], pos: positions{entries: sc.pos[:0]}}
	defer func() {
		if cap(enc.buf) <= maxScratch && cap(enc.pos.entries) <= maxScratch {
			sc.json, sc.pos = enc.buf[:0], enc.pos.entries[:0]
			scratchPool.Put(sc)
		}
	}()
	if aliased {
		enc.expanding = 1
	}
	enc.value(n, hashSeed, 0)
	if enc.err != nil {
		d.errorAt(enc.errLine, enc.err.Error())
		return
	}
	shift := 0 // bytes inserted before the encoded document
	if implied != nil {
		head := jsonstr.Append([]byte(`{"apiVersion":`), implied.apiVersion)
		head = append(head, `,"kind":`...)
		head = jsonstr.Append(head, implied.kind)
		if len(enc.buf) > 2 {
			head = append(head, ',')
		}
		shift = len(head) - 1
		enc.buf = append(head, enc.buf[1:]...)
	}
	line, col := lm.pos(n.Line, n.Column)
	enc.pos.add(hashSeed, line, col)
	obj := &Object{
		Source: Source{File: d.file, Doc: doc},
		Line:   line,
		// The fast path's strings share one copy of the document:
		// cloned, the object does not keep it alive.
		APIVersion: strings.Clone(scalarField(n, "apiVersion")),
		Kind:       strings.Clone(scalarField(n, "kind")),
		pos:        enc.pos.sealed(),
	}
	if implied != nil {
		obj.APIVersion, obj.Kind = implied.apiVersion, implied.kind
	}
	if md := field(n, "metadata"); md != nil {
		obj.Name = strings.Clone(scalarField(md, "name"))
		obj.RawNamespace = strings.Clone(scalarField(md, "namespace"))
	}
	gvk := schema.FromAPIVersionAndKind(obj.APIVersion, obj.Kind)
	if typed := newTyped(gvk); typed != nil {
		if err := kjson.UnmarshalCaseSensitivePreserveInts(enc.buf, typed); err != nil {
			d.res.Errors = append(d.res.Errors, decodeError(d.file, lm, n, reflect.TypeOf(typed), err, shift))
			return
		}
		obj.Typed = typed
	} else {
		var m map[string]any
		if err := kjson.UnmarshalCaseSensitivePreserveInts(enc.buf, &m); err != nil {
			d.errorAt(obj.Line, err.Error())
			return
		}
		obj.Generic = m
	}
	d.res.Objects = append(d.res.Objects, obj)
}

// decodeError turns a JSON decoding error (a string where an integer
// belongs, an invalid quantity, and so on) into an InputError at the line of
// the offending value. shift is the number of bytes inserted at the start of
// the JSON that was decoded. This slow path runs only for broken documents.
func decodeError(file string, lm *lineMap, n *yaml.Node, t reflect.Type, err error, shift int) *InputError {
	msg := strings.TrimPrefix(err.Error(), "json: ")
	if offset, ok := errorOffset(err); ok {
		offset -= int64(shift)
		// Encode the document again, recording where each value starts;
		// the error's offset lies at or just after the offending value.
		budget := maxAliasNodes
		enc := encoder{lines: lm, budget: &budget, trackOffsets: true}
		enc.value(n, hashSeed, 0)
		at := n
		for _, m := range enc.offsets {
			if int64(m.off) >= offset {
				break
			}
			at = m.n
		}
		return &InputError{File: file, Line: lm.line(at.Line), Msg: msg + yaml11Hint(at, msg)}
	}
	// Errors from a type's own UnmarshalJSON carry no offset.
	at, p := locateError(n, t, lm)
	if p != "" {
		msg = string(p) + ": " + msg
	}
	return &InputError{File: file, Line: lm.line(at.Line), Msg: msg}
}

// yaml11Hint explains a YAML 1.1 boolean (yes, no, on, off) found where a
// boolean belongs: YAML 1.2 reads them as strings.
func yaml11Hint(n *yaml.Node, msg string) string {
	if n.Kind != yaml.ScalarNode || n.Style != 0 || !strings.HasSuffix(msg, "of type bool") {
		return ""
	}
	switch strings.ToLower(n.Value) {
	case "y", "yes", "n", "no", "on", "off":
		return fmt.Sprintf(" (%s is a string in YAML 1.2: write true or false)", n.Value)
	}
	return ""
}

var jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()

// locateError finds the value behind a decoding error that carries no
// offset: starting at the object, it decodes each child into the type of
// its field and descends into the first child that fails. It returns the
// deepest failing node and its path.
func locateError(n *yaml.Node, t reflect.Type, lm *lineMap) (*yaml.Node, Path) {
	var p Path
	work := maxAliasNodes // bounds the re-encoding
	for range maxDepth {
		n = resolveAlias(n)
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if reflect.PointerTo(t).Implements(jsonUnmarshaler) {
			return n, p
		}
		var next *yaml.Node
		var nextType reflect.Type
		var nextPath Path
		switch {
		case (t.Kind() == reflect.Struct || t.Kind() == reflect.Map) && n.Kind == yaml.MappingNode:
			e := encoder{lines: lm, budget: &work}
			for _, kv := range e.pairs(n, 0) {
				var ft reflect.Type
				if t.Kind() == reflect.Map {
					ft = t.Elem()
				} else if ft = jsonField(t, kv.key); ft == nil {
					continue
				}
				if fails(kv.v, ft, lm, &work) {
					next, nextType, nextPath = kv.v, ft, p.Field(kv.key)
					break
				}
			}
		case (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) && n.Kind == yaml.SequenceNode:
			for i, item := range n.Content {
				if fails(item, t.Elem(), lm, &work) {
					next, nextType, nextPath = item, t.Elem(), p.Index(i)
					break
				}
			}
		}
		if next == nil {
			return n, p
		}
		n, t, p = next, nextType, nextPath
	}
	return n, p
}

// fails reports whether n does not decode into a value of type t.
func fails(n *yaml.Node, t reflect.Type, lm *lineMap, work *int) bool {
	enc := encoder{lines: lm, budget: work, expanding: 1}
	enc.value(n, hashSeed, 0)
	if enc.err != nil {
		return false
	}
	return kjson.UnmarshalCaseSensitivePreserveInts(enc.buf, reflect.New(t).Interface()) != nil
}

// jsonField returns the type of the field of struct t that JSON name
// decodes into, looking into embedded structs, or nil.
func jsonField(t reflect.Type, name string) reflect.Type {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		fname, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && fname == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				if found := jsonField(ft, name); found != nil {
					return found
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if fname == "" {
			fname = f.Name
		}
		if fname == name {
			return f.Type
		}
	}
	return nil
}

// errorOffset reads the byte offset that the JSON decoder's type and syntax
// errors carry. sigs.k8s.io/json does not export its error types, so the
// field is read by name.
func errorOffset(err error) (int64, bool) {
	if ok, off := kjson.SyntaxErrorOffset(err); ok {
		return off, true
	}
	v := reflect.ValueOf(err)
	if v.Kind() == reflect.Pointer && !v.IsNil() && v.Elem().Kind() == reflect.Struct {
		if f := v.Elem().FieldByName("Offset"); f.IsValid() && f.Kind() == reflect.Int64 {
			return f.Int(), true
		}
	}
	return 0, false
}

type offsetMark struct {
	off int
	n   *yaml.Node
}

// encoder converts a YAML node tree to JSON (the form the Kubernetes API
// machinery decodes) and records the position of every field on the way.
type encoder struct {
	buf   []byte
	pos   positions
	lines *lineMap
	// budget is how many nodes alias and merge-key expansion may still
	// produce; the objects of one file share it.
	budget *int
	// expanding is above zero while encoding nodes reached through an alias
	// or a merge key; each such node costs one from budget.
	expanding int
	// active holds the aliased and merged nodes being expanded, so that a
	// node that refers to itself is reported rather than followed forever.
	active       []*yaml.Node
	err          error
	errLine      int
	trackOffsets bool
	offsets      []offsetMark
}

func (e *encoder) fail(n *yaml.Node, format string, args ...any) {
	if e.err == nil {
		e.err = fmt.Errorf(format, args...)
		e.errLine = e.lines.line(n.Line)
	}
}

// add records that the field or item with path hash h was written at n.
func (e *encoder) add(h uint64, n *yaml.Node) {
	line, col := e.lines.pos(n.Line, n.Column)
	e.pos.add(h, line, col)
}

// enter starts expanding target, reached from node from; it fails when
// target is already being expanded (the node contains an alias to itself).
func (e *encoder) enter(target, from *yaml.Node) bool {
	if target == nil {
		e.fail(from, "alias to an unknown anchor")
		return false
	}
	for _, a := range e.active {
		if a == target {
			e.fail(from, "alias *%s refers to a node that contains it", from.Value)
			return false
		}
	}
	if len(e.active) >= maxDepth {
		e.fail(from, "aliases and merge keys nested deeper than %d levels", maxDepth)
		return false
	}
	e.active = append(e.active, target)
	e.expanding++
	return true
}

func (e *encoder) leave() {
	e.active = e.active[:len(e.active)-1]
	e.expanding--
}

func (e *encoder) value(n *yaml.Node, h uint64, depth int) {
	if e.err != nil {
		return
	}
	if depth > maxDepth {
		e.fail(n, "nesting deeper than %d levels", maxDepth)
		return
	}
	if e.expanding > 0 {
		if *e.budget--; *e.budget < 0 {
			e.fail(n, "aliases and merge keys expand to more than %d nodes", maxAliasNodes)
			return
		}
	}
	if e.trackOffsets {
		e.offsets = append(e.offsets, offsetMark{off: len(e.buf), n: n})
	}
	switch n.Kind {
	case yaml.AliasNode:
		// Count what the outermost alias expands to first, so that an
		// alias bomb fails before it is encoded.
		if e.expanding == 0 && n.Alias != nil && countNodes(n.Alias, *e.budget, depth) > *e.budget {
			e.fail(n, "aliases and merge keys expand to more than %d nodes", maxAliasNodes)
			return
		}
		if e.enter(n.Alias, n) {
			e.value(n.Alias, h, depth+1)
			e.leave()
		}
	case yaml.DocumentNode:
		if len(n.Content) > 0 {
			e.value(n.Content[0], h, depth+1)
		}
	case yaml.MappingNode:
		e.mapping(n, h, depth)
	case yaml.SequenceNode:
		e.buf = append(e.buf, '[')
		for i, item := range n.Content {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			ih := hashIndex(h, i)
			e.add(ih, item)
			e.value(item, ih, depth+1)
		}
		e.buf = append(e.buf, ']')
	case yaml.ScalarNode:
		e.scalar(n)
	default:
		e.fail(n, "unexpected YAML node")
	}
}

// countNodes counts the nodes of n with aliases expanded. It stops once the
// count exceeds limit, and below maxDepth, where encoding reports the
// nesting (or the alias that refers to itself).
func countNodes(n *yaml.Node, limit, depth int) int {
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil || depth > maxDepth {
			return 1
		}
		return 1 + countNodes(n.Alias, limit-1, depth+1)
	}
	c := 1
	for _, ch := range n.Content {
		if c > limit || depth > maxDepth {
			break
		}
		c += countNodes(ch, limit-c, depth+1)
	}
	return c
}

func isMergeKey(k *yaml.Node) bool {
	return k.Tag == "!!merge" || (k.Value == "<<" && k.Style == 0 && k.ShortTag() == "!!merge")
}

// mapping encodes a mapping. Without merge keys (the common case) it works
// on the node's content directly, without allocating.
func (e *encoder) mapping(n *yaml.Node, h uint64, depth int) {
	c := n.Content
	for i := 0; i+1 < len(c); i += 2 {
		k := resolveAlias(c[i])
		if k.Kind != yaml.ScalarNode {
			e.fail(c[i], "mapping key must be a scalar")
			return
		}
		if isMergeKey(k) {
			e.pairMapping(n, h, depth)
			return
		}
	}
	if i, j := duplicateKey(c); j >= 0 {
		e.fail(c[j], "duplicate key %q (first at line %d)", resolveAlias(c[j]).Value, e.lines.line(c[i].Line))
		return
	}
	e.buf = append(e.buf, '{')
	for i := 0; i+1 < len(c); i += 2 {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		key := resolveAlias(c[i]).Value
		e.buf = jsonstr.Append(e.buf, key)
		e.buf = append(e.buf, ':')
		kh := hashKey(h, key)
		e.add(kh, c[i])
		e.value(c[i+1], kh, depth+1)
	}
	e.buf = append(e.buf, '}')
}

// duplicateKey returns the indexes in the key/value list c of the first
// and second occurrence of a repeated key, or -1, -1.
func duplicateKey(c []*yaml.Node) (int, int) {
	if len(c) <= 32 {
		for j := 2; j+1 < len(c); j += 2 {
			kj := resolveAlias(c[j]).Value
			for i := 0; i < j; i += 2 {
				if resolveAlias(c[i]).Value == kj {
					return i, j
				}
			}
		}
		return -1, -1
	}
	seen := make(map[string]int, len(c)/2)
	for j := 0; j+1 < len(c); j += 2 {
		k := resolveAlias(c[j]).Value
		if i, dup := seen[k]; dup {
			return i, j
		}
		seen[k] = j
	}
	return -1, -1
}

// pair is one entry of a mapping: the key as written, its value, and
// whether it came from a merge key.
type pair struct {
	k, v   *yaml.Node
	key    string
	merged bool
}

// pairMapping encodes a mapping with merge keys.
func (e *encoder) pairMapping(n *yaml.Node, h uint64, depth int) {
	pairs := e.pairs(n, depth)
	if e.err != nil {
		return
	}
	if e.expanding == 0 {
		// As for aliases: count what the merges bring in before encoding.
		total := 0
		for _, p := range pairs {
			if p.merged && total <= *e.budget {
				total += countNodes(p.v, *e.budget-total, depth)
			}
		}
		if total > *e.budget {
			e.fail(n, "aliases and merge keys expand to more than %d nodes", maxAliasNodes)
			return
		}
	}
	e.buf = append(e.buf, '{')
	for i, p := range pairs {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		e.buf = jsonstr.Append(e.buf, p.key)
		e.buf = append(e.buf, ':')
		kh := hashKey(h, p.key)
		e.add(kh, p.k)
		if p.merged {
			e.expanding++
		}
		e.value(p.v, kh, depth+1)
		if p.merged {
			e.expanding--
		}
	}
	e.buf = append(e.buf, '}')
}

// pairs returns the entries of mapping n with merge keys ("<<: *base")
// applied: keys written in n win, then earlier merges over later ones, and
// merged mappings may merge others in turn.
func (e *encoder) pairs(n *yaml.Node, depth int) []pair {
	if c := withoutMerges(n.Content); true {
		if i, j := duplicateKey(c); j >= 0 {
			e.fail(c[j], "duplicate key %q (first at line %d)", resolveAlias(c[j]).Value, e.lines.line(c[i].Line))
			return nil
		}
	}
	seen := make(map[string]bool, len(n.Content)/2)
	var out []pair
	e.collect(n, n, seen, &out, false, depth)
	return out
}

func withoutMerges(c []*yaml.Node) []*yaml.Node {
	out := make([]*yaml.Node, 0, len(c))
	for i := 0; i+1 < len(c); i += 2 {
		if !isMergeKey(resolveAlias(c[i])) {
			out = append(out, c[i], c[i+1])
		}
	}
	return out
}

// collect adds the entries of mapping m not yet seen to out: its own keys
// first, then those of the mappings it merges. merged says m is itself a
// merged mapping, reached from the merge value from.
func (e *encoder) collect(m, from *yaml.Node, seen map[string]bool, out *[]pair, merged bool, depth int) {
	if merged {
		if !e.enter(m, from) {
			return
		}
		defer e.leave()
	}
	var merges []*yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := resolveAlias(m.Content[i])
		if k.Kind != yaml.ScalarNode {
			e.fail(m.Content[i], "mapping key must be a scalar")
			return
		}
		if isMergeKey(k) {
			merges = append(merges, m.Content[i+1])
			continue
		}
		if merged {
			if *e.budget--; *e.budget < 0 {
				e.fail(from, "aliases and merge keys expand to more than %d nodes", maxAliasNodes)
				return
			}
		}
		if !seen[k.Value] {
			seen[k.Value] = true
			*out = append(*out, pair{k: m.Content[i], v: m.Content[i+1], key: k.Value, merged: merged})
		}
	}
	for _, v := range merges {
		srcs := []*yaml.Node{v}
		if r := resolveAlias(v); r.Kind == yaml.SequenceNode {
			srcs = r.Content
		}
		for _, src := range srcs {
			s := resolveAlias(src)
			if s.Kind != yaml.MappingNode {
				e.fail(src, "merge key value must be a mapping or a list of mappings")
				return
			}
			if *e.budget--; *e.budget < 0 {
				e.fail(src, "aliases and merge keys expand to more than %d nodes", maxAliasNodes)
				return
			}
			e.collect(s, src, seen, out, true, depth+1)
			if e.err != nil {
				return
			}
		}
	}
}

func (e *encoder) scalar(n *yaml.Node) {
	v := n.Value
	switch n.ShortTag() {
	case "!!null":
		e.buf = append(e.buf, "null"...)
	case "!!bool":
		// Plain true and false resolve to !!bool; an explicit !!bool tag
		// may carry any YAML 1.1 spelling.
		switch v {
		case "true", "True", "TRUE", "y", "Y", "yes", "Yes", "YES", "on", "On", "ON":
			e.buf = append(e.buf, "true"...)
		case "false", "False", "FALSE", "n", "N", "no", "No", "NO", "off", "Off", "OFF":
			e.buf = append(e.buf, "false"...)
		default:
			e.fail(n, "invalid boolean %q", v)
		}
	case "!!int":
		clean := strings.ReplaceAll(v, "_", "")
		if i, err := strconv.ParseInt(clean, 0, 64); err == nil {
			e.buf = strconv.AppendInt(e.buf, i, 10)
		} else if u, err := strconv.ParseUint(strings.TrimPrefix(clean, "+"), 0, 64); err == nil {
			e.buf = strconv.AppendUint(e.buf, u, 10)
		} else if errors.Is(err, strconv.ErrRange) {
			e.fail(n, "integer %q out of range", v)
		} else {
			e.fail(n, "invalid integer %q", v)
		}
	case "!!float":
		switch strings.ToLower(strings.TrimLeft(v, "+-")) {
		case ".inf", ".nan":
			e.fail(n, "%s cannot be represented in JSON (quote it to make it a string)", v)
			return
		}
		f, err := strconv.ParseFloat(strings.ReplaceAll(v, "_", ""), 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			e.fail(n, "number %q cannot be represented in JSON", v)
			return
		}
		e.buf = strconv.AppendFloat(e.buf, f, 'g', -1, 64)
	default:
		e.buf = jsonstr.Append(e.buf, v)
	}
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// field returns the value of key in mapping n, looking into merged mappings
// too, or nil.
func field(n *yaml.Node, key string) *yaml.Node {
	return fieldDepth(n, key, 0)
}

func fieldDepth(n *yaml.Node, key string, depth int) *yaml.Node {
	n = resolveAlias(n)
	if n.Kind != yaml.MappingNode || depth > 16 {
		return nil
	}
	merges := false
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := resolveAlias(n.Content[i])
		if k.Value == key && k.Kind == yaml.ScalarNode && !isMergeKey(k) {
			return resolveAlias(n.Content[i+1])
		}
		merges = merges || (k.Value == "<<" || k.Tag == "!!merge")
	}
	if !merges {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := resolveAlias(n.Content[i]); k.Kind == yaml.ScalarNode && isMergeKey(k) {
			srcs := []*yaml.Node{n.Content[i+1]}
			if r := resolveAlias(srcs[0]); r.Kind == yaml.SequenceNode {
				srcs = r.Content
			}
			for _, s := range srcs {
				if f := fieldDepth(s, key, depth+1); f != nil {
					return f
				}
			}
		}
	}
	return nil
}

func scalarField(n *yaml.Node, key string) string {
	f := field(n, key)
	if f == nil || f.Kind != yaml.ScalarNode {
		return ""
	}
	return f.Value
}
