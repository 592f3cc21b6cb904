// Package blockyaml parses the plain block-style YAML that nearly every
// Kubernetes manifest is written in, several times faster than
// go.yaml.in/yaml/v3, into the very yaml.Node tree that yaml.v3 builds.
//
// It is a fast path, not a second YAML implementation: it accepts a strict
// subset of YAML (block mappings and sequences, single-line plain and quoted
// scalars, literal and folded block scalars, flow collections on one line,
// comments; lines ending in LF or CRLF) and reports false for anything else: anchors, aliases, tags,
// merge keys, complex keys, multi-line plain, quoted or flow scalars,
// escapes other than the simple ones, tabs, non-ASCII text, and anything
// yaml.v3 might reject. The caller then parses the document with yaml.v3,
// which also produces the error messages. Whatever Parse accepts, it returns
// exactly what yaml.v3 would (comments aside); the differential tests and
// FuzzParse hold it to that.
//
// The speed comes from working on lines rather than characters and tokens,
// taking scalars as substrings of one copy of the document, and allocating
// nodes in slabs that are reused from one document to the next.
package blockyaml

import (
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// Parser parses documents; its memory is reused from one document to the
// next. The tree a Parse returns is valid until the Parser's next Parse or
// Release.
type Parser struct {
	s    string // the document
	off  int    // start of the current line
	line int    // 1-based number of the current line

	nodes []yaml.Node  // slab the nodes come from
	ptrs  []*yaml.Node // slab the node lists come from
	stack []*yaml.Node // children of the collections being parsed
	buf   []byte       // scratch for scalars that are not substrings
	depth int          // collections being parsed, one in another
	bad   bool         // the document is outside the subset
}

// maxDepth bounds the nesting the fast path follows; deeper documents
// (Kubernetes objects are far shallower) go to yaml.v3, whose limit and
// error message then apply.
const maxDepth = 100

var pool = sync.Pool{New: func() any { return new(Parser) }}

// Get returns a Parser from a pool; Release returns it.
func Get() *Parser { return pool.Get().(*Parser) }

// Release returns p to the pool. The tree of its last Parse must no longer
// be used; its strings may be, as they are never overwritten.
func (p *Parser) Release() {
	if cap(p.nodes) > 1<<14 || cap(p.ptrs) > 1<<16 {
		return // the rare huge document does not pin its memory
	}
	p.s = ""
	p.nodes = p.nodes[:0]
	p.ptrs = p.ptrs[:0]
	p.stack = p.stack[:0]
	pool.Put(p)
}

// Parse parses one YAML document (data holds no "---" other than one on its
// first content line). It returns the document node yaml.Unmarshal would
// fill in, a zero node for a document of comments only, or false when data
// is outside the subset this package handles.
func (p *Parser) Parse(data []byte) (*yaml.Node, bool) {
	if !plainASCII(data) {
		return nil, false
	}
	p.s = string(data)
	p.off, p.line, p.depth, p.bad = 0, 1, 0, false
	p.nodes = p.nodes[:0]
	p.ptrs = p.ptrs[:0]
	p.stack = p.stack[:0]
	root := p.document()
	if p.bad {
		return nil, false
	}
	return root, true
}

// plainASCII reports whether data is printable ASCII, spaces and line
// breaks (LF or CRLF): no tabs (which YAML forbids in indentation and
// which change how some scalars end), no other line breaks, and no
// multi-byte characters, whose columns count differently from bytes.
func plainASCII(data []byte) bool {
	for i, c := range data {
		if (c < 0x20 && c != '\n' && (c != '\r' || i+1 == len(data) || data[i+1] != '\n')) || c >= 0x7f {
			return false
		}
	}
	return true
}

// enter starts a collection; it fails beyond maxDepth.
func (p *Parser) enter() bool {
	p.depth++
	if p.depth > maxDepth {
		p.bad = true
		return false
	}
	return true
}

func (p *Parser) leave() { p.depth-- }

// node returns a new node from the slab.
func (p *Parser) node(kind yaml.Kind, style yaml.Style, tag, value string, line, col int) *yaml.Node {
	if len(p.nodes) == cap(p.nodes) {
		// A new slab: the nodes handed out from the old one stay valid.
		p.nodes = make([]yaml.Node, 0, max(64, 2*cap(p.nodes)))
	}
	p.nodes = append(p.nodes, yaml.Node{Kind: kind, Style: style, Tag: tag, Value: value, Line: line, Column: col})
	return &p.nodes[len(p.nodes)-1]
}

// scalar returns a new scalar node with the tag yaml.v3 gives it: !!str
// for quoted and block scalars, the resolved tag for plain ones.
func (p *Parser) scalar(style yaml.Style, value string, line, col int) *yaml.Node {
	tag := "!!str"
	if style == 0 {
		if value == "<<" {
			p.bad = true // a merge key
		}
		tag = resolve(value)
	}
	return p.node(yaml.ScalarNode, style, tag, value, line, col)
}

// resolve returns the tag yaml.v3 resolves a plain scalar to. The common
// cases are answered here; the rest by yaml.v3 itself.
func resolve(v string) string {
	if v == "" {
		return "!!null"
	}
	// yaml.v3 takes a scalar to be a string at once when its first
	// character is a letter other than these (its resolveTable).
	if c := v[0]; (c|0x20 >= 'a' && c|0x20 <= 'z') && strings.IndexByte("yYnNtTfFoO", c) < 0 {
		return "!!str"
	}
	n := yaml.Node{Kind: yaml.ScalarNode, Value: v}
	return n.ShortTag()
}

// children moves the nodes pushed on the stack since mark into a list of
// their own.
func (p *Parser) children(mark int) []*yaml.Node {
	n := len(p.stack) - mark
	if n == 0 {
		return nil
	}
	if len(p.ptrs)+n > cap(p.ptrs) {
		p.ptrs = make([]*yaml.Node, 0, max(256, 2*cap(p.ptrs), n))
	}
	start := len(p.ptrs)
	p.ptrs = append(p.ptrs, p.stack[mark:]...)
	p.stack = p.stack[:mark]
	return p.ptrs[start:len(p.ptrs):len(p.ptrs)]
}

// current returns the current line without its line break (LF or CRLF:
// yaml.v3 reads both as one break, and block scalars get LF for either).
func (p *Parser) current() string {
	rest := p.s[p.off:]
	if i := strings.IndexByte(rest, '\n'); i >= 0 {
		if i > 0 && rest[i-1] == '\r' {
			i--
		}
		return rest[:i]
	}
	return rest
}

// advance moves to the next line.
func (p *Parser) advance() {
	if i := strings.IndexByte(p.s[p.off:], '\n'); i >= 0 {
		p.off += i + 1
	} else {
		p.off = len(p.s)
	}
	p.line++
}

// content moves past blank and comment lines to the next line with
// content, and returns its indentation, or -1 at the end of the document.
func (p *Parser) content() int {
	for p.off < len(p.s) {
		l := p.current()
		i := skipSpaces(l, 0)
		if i < len(l) && l[i] != '#' {
			return i
		}
		p.advance()
	}
	return -1
}

// isMarker reports whether l is a document marker line: "---" or "...",
// alone or followed by a blank.
func isMarker(l string) bool {
	if len(l) < 3 || (l[:3] != "---" && l[:3] != "...") {
		return false
	}
	return len(l) == 3 || l[3] == ' '
}

// document parses the document: an optional "---" line, one block node and
// an optional "..." line.
func (p *Parser) document() *yaml.Node {
	ind := p.content()
	if ind < 0 {
		return &yaml.Node{} // comments only, or nothing
	}
	docLine, docCol := p.line, ind+1
	if l := p.current(); ind == 0 && isMarker(l) {
		if l[0] == '.' || strings.TrimSpace(l[3:]) != "" && strings.TrimSpace(l[3:])[0] != '#' {
			p.bad = true // "..." first, or content after "---"
			return nil
		}
		p.advance()
		if ind = p.content(); ind < 0 {
			p.bad = true // an empty document: rare, left to yaml.v3
			return nil
		}
	}
	if l := p.current(); ind == 0 && isMarker(l) || l[ind] == '%' {
		p.bad = true
		return nil
	}
	doc := p.node(yaml.DocumentNode, 0, "", "", docLine, docCol)
	mark := len(p.stack)
	p.stack = append(p.stack, p.block(ind, -1))
	doc.Content = p.children(mark)
	if p.bad {
		return nil
	}
	// Only comments and a final "..." may follow.
	if ind := p.content(); ind >= 0 {
		if l := p.current(); ind != 0 || !strings.HasPrefix(l, "...") || !isMarker(l) || rest(l, 3) {
			p.bad = true
			return nil
		}
		p.advance()
		if p.content() >= 0 {
			p.bad = true
		}
	}
	return doc
}

// rest reports whether l has anything but blanks and a comment from i on.
func rest(l string, i int) bool {
	i = skipSpaces(l, i)
	if i == len(l) {
		return false
	}
	if l[i] == '#' && l[i-1] == ' ' {
		return false
	}
	return true
}

// block parses the block node that starts on the current line at column
// ind (0-based). parent is the indentation of the collection it belongs to
// (-1 at the top), which bounds block scalars and continuation lines.
func (p *Parser) block(ind, parent int) *yaml.Node {
	l := p.current()
	if isEntry(l, ind) {
		return p.sequence(ind)
	}
	if _, ok := keyEnd(l, ind); ok {
		return p.mapping(ind)
	}
	// A scalar or flow collection on a line of its own.
	return p.inline(l, ind, parent)
}

// isEntry reports whether l has a sequence entry ("- " or a lone "-") at
// column i.
func isEntry(l string, i int) bool {
	return i < len(l) && l[i] == '-' && (i+1 == len(l) || l[i+1] == ' ')
}

// sequence parses a block sequence whose entries are at column ind.
func (p *Parser) sequence(ind int) *yaml.Node {
	if !p.enter() {
		return nil
	}
	defer p.leave()
	seq := p.node(yaml.SequenceNode, 0, "!!seq", "", p.line, ind+1)
	mark := len(p.stack)
	for !p.bad {
		l := p.current()
		// The entry's content starts after the dash and its blanks.
		c := skipSpaces(l, ind+1)
		switch {
		case c == len(l) || (l[c] == '#' && l[c-1] == ' '):
			// Nothing on the dash's line: the entry is on the next
			// lines, or empty.
			line, col := p.line, ind+2
			p.advance()
			if next := p.content(); next > ind {
				p.stack = append(p.stack, p.block(next, ind))
			} else {
				p.stack = append(p.stack, p.scalar(0, "", line, col))
			}
		case isEntry(l, c):
			p.bad = true // "- - a": a nested sequence on the same line
		default:
			if _, ok := keyEnd(l, c); ok {
				p.stack = append(p.stack, p.mapping(c))
			} else {
				p.stack = append(p.stack, p.inline(l, c, ind))
			}
		}
		if p.bad {
			break
		}
		next := p.content()
		if next < ind || next == ind && !isEntry(p.current(), ind) {
			break // the end of the sequence, or of the document
		}
		if next > ind {
			p.bad = true
		}
	}
	seq.Content = p.children(mark)
	return seq
}

// mapping parses a block mapping whose keys are at column ind; the first
// key is on the current line (perhaps after a sequence entry's dash).
func (p *Parser) mapping(ind int) *yaml.Node {
	if !p.enter() {
		return nil
	}
	defer p.leave()
	m := p.node(yaml.MappingNode, 0, "!!map", "", p.line, ind+1)
	mark := len(p.stack)
	for !p.bad {
		l := p.current()
		colon, ok := keyEnd(l, ind)
		if !ok {
			p.bad = true
			break
		}
		p.stack = append(p.stack, p.key(l, ind, colon))
		c := skipSpaces(l, colon+1)
		if c == len(l) || (l[c] == '#' && l[c-1] == ' ') {
			// The value is on the next lines, or empty.
			line, col := p.line, colon+2
			p.advance()
			next := p.content()
			switch {
			case next > ind:
				p.stack = append(p.stack, p.block(next, ind))
			case next == ind && isEntry(p.current(), ind):
				// A sequence may sit at its key's indentation.
				p.stack = append(p.stack, p.sequence(ind))
			default:
				p.stack = append(p.stack, p.scalar(0, "", line, col))
			}
		} else {
			p.stack = append(p.stack, p.inline(l, c, ind))
		}
		if p.bad {
			break
		}
		next := p.content()
		if next < ind || next == 0 && isMarker(p.current()) {
			break // the end of the mapping, or of the document
		}
		if next > ind {
			p.bad = true
		}
	}
	m.Content = p.children(mark)
	return m
}

// keyEnd reports whether l holds a simple mapping key at column i, and
// returns the index of the colon that ends it.
func keyEnd(l string, i int) (int, bool) {
	if i >= len(l) {
		return 0, false
	}
	switch c := l[i]; c {
	case '"', '\'':
		end, ok := quotedEnd(l, i)
		if !ok || end+1 >= len(l) || l[end+1] != ':' {
			return 0, false
		}
		if end+2 < len(l) && l[end+2] != ' ' {
			return 0, false
		}
		return end + 1, true
	}
	if !plainStart(l, i) {
		return 0, false
	}
	for j := i + 1; j < len(l); j++ {
		switch l[j] {
		case ':':
			if j+1 == len(l) || l[j+1] == ' ' {
				// yaml.v3 allows a simple key of at most 1024
				// characters.
				return j, j-i <= 1000
			}
		case '#':
			if l[j-1] == ' ' {
				return 0, false // a comment before any colon
			}
		}
	}
	return 0, false
}

// plainStart reports whether a plain scalar may start at l[i] in the block
// context.
func plainStart(l string, i int) bool {
	switch l[i] {
	case '-', '?', ':':
		return i+1 < len(l) && l[i+1] != ' '
	case ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`', ' ':
		return false
	}
	return true
}

// key returns the key node that ends at the colon at l[colon].
func (p *Parser) key(l string, ind, colon int) *yaml.Node {
	switch l[ind] {
	case '"', '\'':
		n, _ := p.quoted(l, ind)
		return n
	}
	return p.scalar(0, strings.TrimRight(l[ind:colon], " "), p.line, ind+1)
}

// inline parses the scalar or flow collection at l[c], which runs to the
// end of the line (a comment aside), and moves to the next line. parent is
// the indentation of the collection the value belongs to.
func (p *Parser) inline(l string, c, parent int) *yaml.Node {
	var n *yaml.Node
	end := 0
	switch l[c] {
	case '|', '>':
		return p.blockScalar(l, c, parent)
	case '"', '\'':
		n, end = p.quoted(l, c)
		if p.bad {
			return nil
		}
	case '[', '{':
		n, end = p.flow(l, c)
		if p.bad {
			return nil
		}
	default:
		if !plainStart(l, c) {
			p.bad = true
			return nil
		}
		end = len(l)
		for j := c + 1; j < len(l); j++ {
			if l[j] == '#' && l[j-1] == ' ' {
				end = j
				break
			}
			if l[j] == ':' && (j+1 == len(l) || l[j+1] == ' ') {
				p.bad = true // "a: b: c", which yaml.v3 rejects
				return nil
			}
		}
		v := strings.TrimRight(l[c:end], " ")
		n = p.scalar(0, v, p.line, c+1)
		end = len(l)
	}
	if rest(l, end) {
		p.bad = true
		return nil
	}
	// A more indented line after the value (a plain scalar going on, or
	// an error) is for the collection to decline: they all do.
	p.advance()
	return n
}

// quotedEnd returns the index of the quote that closes the quoted scalar
// starting at l[i], on the same line.
func quotedEnd(l string, i int) (int, bool) {
	q := l[i]
	for j := i + 1; j < len(l); j++ {
		switch l[j] {
		case '\\':
			if q == '"' {
				j++ // the escaped character cannot close the scalar
			}
		case q:
			if q == '\'' && j+1 < len(l) && l[j+1] == '\'' {
				j++ // '' stands for '
				continue
			}
			return j, true
		}
	}
	return 0, false
}

// quoted returns the node of the quoted scalar at l[i], which must close
// on the same line, and the index after its closing quote.
func (p *Parser) quoted(l string, i int) (*yaml.Node, int) {
	end, ok := quotedEnd(l, i)
	if !ok {
		p.bad = true // multi-line: leave the folding to yaml.v3
		return nil, 0
	}
	raw := l[i+1 : end]
	if l[i] == '\'' {
		v := raw
		if strings.Contains(raw, "''") {
			v = strings.ReplaceAll(raw, "''", "'")
		}
		return p.scalar(yaml.SingleQuotedStyle, v, p.line, i+1), end + 1
	}
	v := raw
	if strings.IndexByte(raw, '\\') >= 0 {
		v, ok = p.unescape(raw)
		if !ok {
			p.bad = true
			return nil, 0
		}
	}
	return p.scalar(yaml.DoubleQuotedStyle, v, p.line, i+1), end + 1
}

// unescape resolves the escapes of a double-quoted scalar that stand for
// ASCII characters; it reports false for the others.
func (p *Parser) unescape(raw string) (string, bool) {
	b := p.buf[:0]
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' {
			b = append(b, c)
			continue
		}
		i++
		if i == len(raw) {
			return "", false
		}
		switch raw[i] {
		case '\\', '"', '\'', ' ':
			b = append(b, raw[i])
		case 'n':
			b = append(b, '\n')
		case 't':
			b = append(b, '\t')
		case 'r':
			b = append(b, '\r')
		default:
			return "", false
		}
	}
	p.buf = b
	return string(b), true
}

// flow parses the flow collection at l[i], which must close on the same
// line, and returns it with the index after its closing bracket.
func (p *Parser) flow(l string, i int) (*yaml.Node, int) {
	kind, tag, closer := yaml.SequenceNode, "!!seq", byte(']')
	if l[i] == '{' {
		kind, tag, closer = yaml.MappingNode, "!!map", '}'
	}
	if !p.enter() {
		return nil, 0
	}
	defer p.leave()
	n := p.node(kind, yaml.FlowStyle, tag, "", p.line, i+1)
	mark := len(p.stack)
	j := skipSpaces(l, i+1)
	for !p.bad {
		if j >= len(l) {
			p.bad = true // the collection goes on to the next line
			break
		}
		if l[j] == closer {
			j++
			break
		}
		if kind == yaml.MappingNode {
			k, e := p.flowScalar(l, j, true)
			if p.bad {
				break
			}
			if e >= len(l) || l[e] != ':' || e+1 >= len(l) || l[e+1] != ' ' {
				p.bad = true // a key without a value, or "a:b"
				break
			}
			p.stack = append(p.stack, k)
			j = skipSpaces(l, e+1)
		}
		v, e := p.flowItem(l, j)
		if p.bad {
			break
		}
		p.stack = append(p.stack, v)
		j = skipSpaces(l, e)
		if j < len(l) && l[j] == ',' {
			j = skipSpaces(l, j+1)
			if j < len(l) && (l[j] == ']' || l[j] == '}' || l[j] == ',') {
				p.bad = true // an empty entry or a trailing comma
			}
		} else if j >= len(l) || l[j] != closer {
			p.bad = true
		}
	}
	n.Content = p.children(mark)
	return n, j
}

// flowItem parses a value inside a flow collection and returns the index
// after it.
func (p *Parser) flowItem(l string, j int) (*yaml.Node, int) {
	if j >= len(l) {
		p.bad = true // the collection goes on to the next line
		return nil, 0
	}
	if l[j] == '[' || l[j] == '{' {
		return p.flow(l, j)
	}
	return p.flowScalar(l, j, false)
}

// flowScalar parses a quoted or plain scalar inside a flow collection and
// returns the index after it. Plain scalars with a colon are left to
// yaml.v3, whose rules for them are intricate.
func (p *Parser) flowScalar(l string, j int, key bool) (*yaml.Node, int) {
	switch l[j] {
	case '"', '\'':
		return p.quoted(l, j)
	case '-':
		if j+1 == len(l) || strings.IndexByte(" ,[]{}", l[j+1]) >= 0 {
			p.bad = true
			return nil, 0
		}
	case ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '%', '@', '`', '?', ':':
		p.bad = true
		return nil, 0
	}
	e := j
	for e < len(l) {
		c := l[e]
		if c == ',' || c == ']' || c == '}' || (c == '#' && l[e-1] == ' ') {
			break
		}
		if c == ':' {
			if !key {
				p.bad = true
				return nil, 0
			}
			break
		}
		if c == '[' || c == '{' {
			p.bad = true
			return nil, 0
		}
		e++
	}
	v := strings.TrimRight(l[j:e], " ")
	if key && e < len(l) && l[e] == ':' && len(v) != e-j {
		p.bad = true // "a :" in a flow mapping
		return nil, 0
	}
	return p.scalar(0, v, p.line, j+1), e
}

func skipSpaces(l string, j int) int {
	for j < len(l) && l[j] == ' ' {
		j++
	}
	return j
}

// blockScalar parses the literal (|) or folded (>) scalar whose header is
// at l[c], by the rules of yaml.v3's scanner (yaml_parser_scan_block_scalar):
// the indentation is the largest of the first content line's, any blank
// line's before it, and one more than the parent's; lines less indented
// end the scalar; folding joins two lines with a space unless either is
// more indented or a blank line lies between them; chomping (-, +) decides
// the final line feeds.
func (p *Parser) blockScalar(l string, c, parent int) *yaml.Node {
	line, col := p.line, c+1
	literal := l[c] == '|'
	chomp := 0 // clip
	h := c + 1
	if h < len(l) && l[h] == '-' {
		chomp, h = -1, h+1
	} else if h < len(l) && l[h] == '+' {
		chomp, h = 1, h+1
	}
	if h < len(l) && l[h] != ' ' || rest(l, h) {
		p.bad = true // an indentation indicator, or something else
		return nil
	}
	p.advance()
	// Blank lines before the first content line; their indentation
	// counts.
	trailing := 0 // line feeds of blank lines not yet written
	maxIndent := 0
	for {
		l := p.current()
		i := skipSpaces(l, 0)
		maxIndent = max(maxIndent, i)
		if i < len(l) || !p.hasLF(l) {
			break
		}
		trailing++
		p.advance()
	}
	indent := max(maxIndent, parent+1, 1)
	b := p.buf[:0]
	leading := false // a line feed ends the last content line
	leadingBlank := false
	for {
		l := p.current()
		if min(skipSpaces(l, 0), indent) != indent || len(l) == indent && !p.hasLF(l) {
			break // less indented, or the end
		}
		trailingBlank := l[indent] == ' '
		if !literal && leading && !leadingBlank && !trailingBlank {
			if trailing == 0 {
				b = append(b, ' ')
			}
		} else if leading {
			b = append(b, '\n')
		}
		leading = false
		for ; trailing > 0; trailing-- {
			b = append(b, '\n')
		}
		leadingBlank = trailingBlank
		b = append(b, l[indent:]...)
		if !p.hasLF(l) {
			p.off = len(p.s)
			break
		}
		leading = true
		p.advance()
		for {
			l := p.current()
			if min(skipSpaces(l, 0), indent) < len(l) || !p.hasLF(l) {
				break
			}
			trailing++
			p.advance()
		}
	}
	if chomp != -1 && leading {
		b = append(b, '\n')
	}
	if chomp == 1 {
		for ; trailing > 0; trailing-- {
			b = append(b, '\n')
		}
	}
	p.buf = b
	style := yaml.LiteralStyle
	if !literal {
		style = yaml.FoldedStyle
	}
	return p.node(yaml.ScalarNode, style, "!!str", string(b), line, col)
}

// hasLF reports whether the current line l ends in a line feed.
func (p *Parser) hasLF(l string) bool {
	return p.off+len(l) < len(p.s)
}
