package object

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kjson "sigs.k8s.io/json"
)

// InputError is a document that could not be decoded. Line is 1-based and
// may be 0 when the parser could not say.
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

// maxAliasNodes bounds how many nodes alias expansion may produce in one
// document, defeating "billion laughs" inputs.
const maxAliasNodes = 1_000_000

// Decode parses the YAML or JSON documents in data. Each document is parsed
// on its own, so a broken document is reported and the rest of the file is
// still decoded.
func Decode(file string, data []byte) *Result {
	res := &Result{}
	if !utf8.Valid(data) && !looksUTF16(data) {
		res.Errors = append(res.Errors, &InputError{File: file, Msg: "not a text file (invalid UTF-8)"})
		return res
	}
	for i, doc := range splitDocuments(data) {
		decodeDocument(res, file, i, doc)
	}
	return res
}

func looksUTF16(b []byte) bool {
	return len(b) >= 2 && ((b[0] == 0xff && b[1] == 0xfe) || (b[0] == 0xfe && b[1] == 0xff))
}

type document struct {
	data []byte
	line int // 1-based line of data[0] in the file
}

// splitDocuments cuts a stream at document markers ("---" at the start of a
// line). YAML forbids such lines inside scalars, so the cut is exact.
func splitDocuments(data []byte) []document {
	var docs []document
	start, startLine, line := 0, 1, 1
	for off := 0; off < len(data); {
		end := bytes.IndexByte(data[off:], '\n')
		next := len(data)
		if end >= 0 {
			next = off + end + 1
		}
		l := data[off:next]
		if isDocMarker(l) {
			if off > start || len(docs) > 0 {
				docs = append(docs, document{data: data[start:off], line: startLine})
			}
			// Content may follow the marker on the same line ("--- {a: 1}"):
			// keep the line but blank the marker so positions stay right.
			rest := bytes.TrimLeft(l[3:], " \t")
			if len(bytes.TrimSpace(rest)) > 0 && rest[0] != '#' {
				docs = append(docs, document{}) // placeholder replaced below
				docs = docs[:len(docs)-1]
				start, startLine = off, line
				data = blankMarker(data, off)
			} else {
				start, startLine = next, line+1
			}
		}
		line++
		off = next
	}
	if start < len(data) || len(docs) == 0 {
		docs = append(docs, document{data: data[start:], line: startLine})
	}
	return docs
}

func isDocMarker(l []byte) bool {
	if !bytes.HasPrefix(l, []byte("---")) {
		return false
	}
	return len(l) == 3 || l[3] == ' ' || l[3] == '\t' || l[3] == '\n' || l[3] == '\r'
}

// blankMarker returns data with the three marker bytes at off replaced by
// spaces, copying data first so the caller's buffer is untouched.
func blankMarker(data []byte, off int) []byte {
	c := bytes.Clone(data)
	copy(c[off:], "   ")
	return c
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func decodeDocument(res *Result, file string, docIndex int, doc document) {
	if len(bytes.TrimSpace(doc.data)) == 0 {
		return
	}
	var root yaml.Node
	if err := yaml.Unmarshal(doc.data, &root); err != nil {
		res.Errors = append(res.Errors, yamlError(file, doc.line, err))
		return
	}
	if root.Kind == 0 || len(root.Content) == 0 {
		return // comments only
	}
	n := root.Content[0]
	abs := func(line int) int { return line + doc.line - 1 }
	apiVersion, kind := scalarField(n, "apiVersion"), scalarField(n, "kind")
	if n.Kind != yaml.MappingNode || apiVersion == "" || kind == "" {
		res.Skipped = append(res.Skipped, Skipped{File: file, Doc: docIndex, Line: abs(n.Line)})
		return
	}
	if items := field(n, "items"); items != nil && strings.HasSuffix(kind, "List") && items.Kind == yaml.SequenceNode {
		for _, item := range items.Content {
			item = resolveAlias(item)
			if item.Kind != yaml.MappingNode || scalarField(item, "apiVersion") == "" || scalarField(item, "kind") == "" {
				res.Errors = append(res.Errors, &InputError{File: file, Line: abs(item.Line), Msg: kind + " item has no apiVersion or kind"})
				continue
			}
			decodeObject(res, file, docIndex, doc.line, item)
		}
		return
	}
	decodeObject(res, file, docIndex, doc.line, n)
}

func yamlError(file string, lineOffset int, err error) *InputError {
	msg := err.Error()
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		l, _ := strconv.Atoi(m[1])
		return &InputError{File: file, Line: l + lineOffset - 1, Msg: "yaml: " + m[2]}
	}
	return &InputError{File: file, Line: lineOffset, Msg: msg}
}

func decodeObject(res *Result, file string, docIndex, lineOffset int, n *yaml.Node) {
	enc := encoder{lineOffset: lineOffset - 1, budget: maxAliasNodes}
	enc.value(n, hashSeed, 0)
	if enc.err != nil {
		res.Errors = append(res.Errors, &InputError{File: file, Line: enc.errLine, Msg: enc.err.Error()})
		return
	}
	enc.pos.add(hashSeed, n.Line+enc.lineOffset, n.Column)
	enc.pos.seal()
	obj := &Object{
		Source:     Source{File: file, Doc: docIndex},
		Line:       n.Line + enc.lineOffset,
		APIVersion: scalarField(n, "apiVersion"),
		Kind:       scalarField(n, "kind"),
		pos:        enc.pos,
	}
	if md := field(n, "metadata"); md != nil {
		obj.Name = scalarField(md, "name")
		obj.RawNamespace = scalarField(md, "namespace")
	}
	gvk := schema.FromAPIVersionAndKind(obj.APIVersion, obj.Kind)
	if typed := newTyped(gvk); typed != nil {
		if err := kjson.UnmarshalCaseSensitivePreserveInts(enc.buf, typed); err != nil {
			res.Errors = append(res.Errors, typeError(file, lineOffset, n, err))
			return
		}
		obj.Typed = typed
	} else {
		var m map[string]any
		if err := kjson.UnmarshalCaseSensitivePreserveInts(enc.buf, &m); err != nil {
			res.Errors = append(res.Errors, &InputError{File: file, Line: obj.Line, Msg: err.Error()})
			return
		}
		obj.Generic = m
	}
	res.Objects = append(res.Objects, obj)
}

// typeError turns a JSON decoding error (a string where an integer belongs,
// and so on) into an InputError at the line of the offending value, by
// encoding the document again while recording where each value starts. This
// slow path runs only for broken documents.
func typeError(file string, lineOffset int, n *yaml.Node, err error) *InputError {
	msg := strings.TrimPrefix(err.Error(), "json: ")
	line := n.Line + lineOffset - 1
	offset, ok := errorOffset(err)
	if !ok {
		return &InputError{File: file, Line: line, Msg: msg}
	}
	enc := encoder{lineOffset: lineOffset - 1, budget: maxAliasNodes, trackOffsets: true}
	enc.value(n, hashSeed, 0)
	for _, m := range enc.offsets {
		if int64(m.off) >= offset {
			break
		}
		line = m.line
	}
	return &InputError{File: file, Line: line, Msg: msg}
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
	off  int
	line int
}

// encoder converts a YAML node tree to JSON (the form the Kubernetes API
// machinery decodes) and records the position of every field on the way.
type encoder struct {
	buf          []byte
	pos          positions
	lineOffset   int
	budget       int
	err          error
	errLine      int
	trackOffsets bool
	offsets      []offsetMark
}

func (e *encoder) fail(n *yaml.Node, format string, args ...any) {
	if e.err == nil {
		e.err = fmt.Errorf(format, args...)
		e.errLine = n.Line + e.lineOffset
	}
}

const maxDepth = 512

func (e *encoder) value(n *yaml.Node, h uint64, depth int) {
	if e.err != nil {
		return
	}
	if depth > maxDepth {
		e.fail(n, "nesting deeper than %d levels", maxDepth)
		return
	}
	if e.trackOffsets {
		e.offsets = append(e.offsets, offsetMark{off: len(e.buf), line: n.Line + e.lineOffset})
	}
	switch n.Kind {
	case yaml.AliasNode:
		e.budget -= countNodes(n.Alias, e.budget)
		if e.budget < 0 {
			e.fail(n, "too many alias expansions")
			return
		}
		e.value(n.Alias, h, depth+1)
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
			e.pos.add(ih, item.Line+e.lineOffset, item.Column)
			e.value(item, ih, depth+1)
		}
		e.buf = append(e.buf, ']')
	case yaml.ScalarNode:
		e.scalar(n)
	default:
		e.fail(n, "unexpected YAML node")
	}
}

func (e *encoder) mapping(n *yaml.Node, h uint64, depth int) {
	type pair struct{ k, v *yaml.Node }
	pairs := make([]pair, 0, len(n.Content)/2)
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.AliasNode {
			k = k.Alias
		}
		if k.Kind != yaml.ScalarNode {
			e.fail(k, "mapping key must be a scalar")
			return
		}
		if k.Tag == "!!merge" || (k.Value == "<<" && k.Style == 0 && k.ShortTag() == "!!merge") {
			merges = append(merges, v)
			continue
		}
		pairs = append(pairs, pair{k, v})
	}
	seen := make(map[string]int, len(pairs))
	for _, p := range pairs {
		if first, dup := seen[p.k.Value]; dup {
			e.fail(p.k, "duplicate key %q (first at line %d)", p.k.Value, first)
			return
		}
		seen[p.k.Value] = p.k.Line + e.lineOffset
	}
	// Merge keys ("<<: *base"): explicit keys win, then earlier merges.
	for _, m := range merges {
		srcs := []*yaml.Node{resolveAlias(m)}
		if srcs[0].Kind == yaml.SequenceNode {
			srcs = srcs[0].Content
		}
		for _, src := range srcs {
			src = resolveAlias(src)
			if src.Kind != yaml.MappingNode {
				e.fail(m, "merge value must be a mapping")
				return
			}
			for i := 0; i+1 < len(src.Content); i += 2 {
				k := resolveAlias(src.Content[i])
				if _, dup := seen[k.Value]; dup {
					continue
				}
				seen[k.Value] = k.Line + e.lineOffset
				pairs = append(pairs, pair{k, src.Content[i+1]})
			}
		}
	}
	e.buf = append(e.buf, '{')
	for i, p := range pairs {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		e.buf = appendJSONString(e.buf, p.k.Value)
		e.buf = append(e.buf, ':')
		kh := hashKey(h, p.k.Value)
		e.pos.add(kh, p.k.Line+e.lineOffset, p.k.Column)
		e.value(p.v, kh, depth+1)
	}
	e.buf = append(e.buf, '}')
}

func (e *encoder) scalar(n *yaml.Node) {
	v := n.Value
	switch n.ShortTag() {
	case "!!null":
		e.buf = append(e.buf, "null"...)
	case "!!bool":
		if strings.EqualFold(v, "true") {
			e.buf = append(e.buf, "true"...)
		} else {
			e.buf = append(e.buf, "false"...)
		}
	case "!!int":
		clean := strings.ReplaceAll(v, "_", "")
		if strings.HasPrefix(clean, "0o") || strings.HasPrefix(clean, "-0o") || strings.HasPrefix(clean, "+0o") {
			clean = strings.Replace(clean, "0o", "0", 1)
		}
		if i, err := strconv.ParseInt(clean, 0, 64); err == nil {
			e.buf = strconv.AppendInt(e.buf, i, 10)
		} else if u, err := strconv.ParseUint(strings.TrimPrefix(clean, "+"), 0, 64); err == nil {
			e.buf = strconv.AppendUint(e.buf, u, 10)
		} else {
			e.fail(n, "integer %q out of range", v)
		}
	case "!!float":
		f, err := strconv.ParseFloat(strings.ReplaceAll(strings.TrimPrefix(v, "."), "_", ""), 64)
		if strings.HasPrefix(strings.TrimLeft(v, "+-"), ".") {
			f, err = math.Inf(1), nil
		}
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			if pf, perr := strconv.ParseFloat(v, 64); perr == nil && !math.IsInf(pf, 0) && !math.IsNaN(pf) {
				e.buf = strconv.AppendFloat(e.buf, pf, 'g', -1, 64)
				return
			}
			e.fail(n, "number %q cannot be represented in JSON", v)
			return
		}
		e.buf = strconv.AppendFloat(e.buf, f, 'g', -1, 64)
	default:
		e.buf = appendJSONString(e.buf, v)
	}
}

func countNodes(n *yaml.Node, limit int) int {
	c := 1
	for _, ch := range n.Content {
		if c > limit {
			return c
		}
		if ch.Kind == yaml.AliasNode {
			c += countNodes(ch.Alias, limit-c)
		} else {
			c += countNodes(ch, limit-c)
		}
	}
	return c
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func field(n *yaml.Node, key string) *yaml.Node {
	n = resolveAlias(n)
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return resolveAlias(n.Content[i+1])
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

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string literal.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
