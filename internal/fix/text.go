package fix

import (
	"bytes"
	"errors"
	"fmt"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"

	"github.com/palisade-dev/palisade/internal/object"
)

// chunk is the text of one YAML document of a file, cut where
// object.Decode cuts it: before each "---" line and after each "..." line.
// Each chunk is edited on its own, so a document that no fix touches is
// written back byte for byte.
type chunk struct {
	text []byte
	line int // 1-based line of text[0] in the file
}

// splitChunks cuts data exactly as object.Decode does (see
// object.SplitDocuments): the cut points are lines that YAML forbids
// inside scalars, so every document lies in exactly one chunk.
func splitChunks(data []byte) []chunk {
	docs := object.SplitDocuments(data)
	out := make([]chunk, len(docs))
	for i, d := range docs {
		out[i] = chunk{text: d.Text, line: d.Line}
	}
	return out
}

// unusualBreaks reports whether b holds a line break other than LF and
// CRLF (a lone CR, NEL, LS or PS). The parser counts lines at those breaks
// and editors do not, so positions cannot be trusted; such files are not
// edited.
func unusualBreaks(b []byte) bool {
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

// lines indexes the line starts of a text.
type lines struct {
	src    []byte
	starts []int
}

func newLines(src []byte) *lines {
	l := &lines{src: src, starts: []int{0}}
	for i, c := range src {
		if c == '\n' {
			l.starts = append(l.starts, i+1)
		}
	}
	return l
}

// count returns the number of lines; a final line without a line feed
// counts, an empty one after the last line feed does not.
func (l *lines) count() int {
	if l.starts[len(l.starts)-1] == len(l.src) {
		return len(l.starts) - 1
	}
	return len(l.starts)
}

// start returns the offset of the first byte of 1-based line n.
func (l *lines) start(n int) int {
	if n < 1 {
		return 0
	}
	if n > len(l.starts) {
		return len(l.src)
	}
	return l.starts[n-1]
}

// next returns the offset just after the line feed that ends line n, or the
// end of the text.
func (l *lines) next(n int) int {
	if n >= len(l.starts) {
		return len(l.src)
	}
	return l.starts[n]
}

// contentEnd returns the offset of the line break ending line n (before
// any CR), or the end of the text.
func (l *lines) contentEnd(n int) int {
	e := l.next(n)
	if e > 0 && e <= len(l.src) && e > l.start(n) && l.src[e-1] == '\n' {
		e--
		if e > l.start(n) && l.src[e-1] == '\r' {
			e--
		}
	}
	return e
}

// text returns line n without its line break.
func (l *lines) text(n int) []byte {
	return l.src[l.start(n):l.contentEnd(n)]
}

// lineOf returns the 1-based line holding offset off.
func (l *lines) lineOf(off int) int {
	lo, hi := 0, len(l.starts)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if l.starts[mid] <= off {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo + 1
}

// offset converts the parser's 1-based line and column (counted in
// characters) into a byte offset.
func (l *lines) offset(line, col int) int {
	off := l.start(line)
	for c := 1; c < col && off < len(l.src); c++ {
		_, size := utf8.DecodeRune(l.src[off:])
		off += size
	}
	return off
}

// indentOf returns the number of leading spaces of line n.
func (l *lines) indentOf(n int) int {
	t := l.text(n)
	i := 0
	for i < len(t) && t[i] == ' ' {
		i++
	}
	return i
}

// blank reports whether line n holds only blanks.
func (l *lines) blank(n int) bool {
	return len(bytes.TrimSpace(l.text(n))) == 0
}

// commentOnly reports whether line n holds only a comment.
func (l *lines) commentOnly(n int) bool {
	t := bytes.TrimLeft(l.text(n), " \t")
	return len(t) > 0 && t[0] == '#'
}

// column returns the 0-based byte column of off within its line.
func (l *lines) column(off int) int {
	return off - l.start(l.lineOf(off))
}

var errScan = errors.New("cannot find where a value ends")

// isBlank reports whether c separates tokens.
func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// skipProperties skips an anchor and a tag before a node's content.
func skipProperties(src []byte, off int) int {
	for off < len(src) && (src[off] == '&' || src[off] == '!') {
		for off < len(src) && !isBlank(src[off]) {
			off++
		}
		for off < len(src) && isBlank(src[off]) {
			off++
		}
	}
	return off
}

// propertiesEnd returns the offset after the anchor and tag at off, before
// the blanks that follow them.
func propertiesEnd(src []byte, off int) int {
	end := off
	for off < len(src) && (src[off] == '&' || src[off] == '!') {
		for off < len(src) && !isBlank(src[off]) {
			off++
		}
		end = off
		for off < len(src) && isBlank(src[off]) {
			off++
		}
	}
	return end
}

// scalarEnd returns the offset just after the text of scalar n, which
// starts (with its anchor and tag) at off. flow says n lies in a flow
// collection; parentIndent is the indentation of the collection holding n,
// which explicit block scalar indentation is relative to.
func scalarEnd(l *lines, n *yaml.Node, off int, flow bool, parentIndent int) (int, error) {
	src := l.src
	if n.Kind == yaml.AliasNode {
		off++ // '*'
		for off < len(src) && !isBlank(src[off]) && (!flow || !isFlowIndicator(src[off])) {
			off++
		}
		return off, nil
	}
	start := off
	off = skipProperties(src, off)
	if n.Value == "" && n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) == 0 {
		// An empty scalar: only properties, or nothing at all.
		return propertiesEnd(src, start), nil
	}
	if off >= len(src) {
		return 0, errScan
	}
	switch {
	case n.Style&yaml.DoubleQuotedStyle != 0:
		if src[off] != '"' {
			return 0, errScan
		}
		for i := off + 1; i < len(src); i++ {
			switch src[i] {
			case '\\':
				i++
			case '"':
				return i + 1, nil
			}
		}
		return 0, errScan
	case n.Style&yaml.SingleQuotedStyle != 0:
		if src[off] != '\'' {
			return 0, errScan
		}
		for i := off + 1; i < len(src); i++ {
			if src[i] == '\'' {
				if i+1 < len(src) && src[i+1] == '\'' {
					i++
					continue
				}
				return i + 1, nil
			}
		}
		return 0, errScan
	case n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		return blockScalarEnd(l, off, parentIndent)
	}
	return plainEnd(l, n.Value, off, flow)
}

func isFlowIndicator(c byte) bool {
	return c == ',' || c == '[' || c == ']' || c == '{' || c == '}'
}

// plainLineEnd returns where a plain scalar that starts at off ends on its
// line: before a comment, a ": " or, in flow context, an indicator, with
// trailing blanks trimmed.
func plainLineEnd(src []byte, off int, flow bool) int {
	i := off
	for i < len(src) && src[i] != '\n' && src[i] != '\r' {
		c := src[i]
		if c == '#' && i > off && (src[i-1] == ' ' || src[i-1] == '\t') {
			break
		}
		if c == ':' && (i+1 == len(src) || isBlank(src[i+1]) || (flow && isFlowIndicator(src[i+1]))) {
			break
		}
		if flow && isFlowIndicator(c) {
			break
		}
		i++
	}
	for i > off && (src[i-1] == ' ' || src[i-1] == '\t') {
		i--
	}
	return i
}

// plainEnd finds the end of a plain scalar whose value is value, following
// it over continuation lines (folded into single spaces, or line feeds for
// empty lines) until the folded text matches.
func plainEnd(l *lines, value string, off int, flow bool) (int, error) {
	src := l.src
	end := plainLineEnd(src, off, flow)
	folded := string(src[off:end])
	if folded == value {
		return end, nil
	}
	line := l.lineOf(off)
	pendingBreaks := 0
	for n := line + 1; n <= l.count() && len(folded) <= len(value); n++ {
		t := l.text(n)
		trimmed := bytes.TrimLeft(t, " \t")
		if len(trimmed) == 0 {
			pendingBreaks++
			continue
		}
		if trimmed[0] == '#' {
			return 0, errScan
		}
		s := l.start(n) + (len(t) - len(trimmed))
		e := plainLineEnd(src, s, flow)
		if e == s {
			return 0, errScan
		}
		if pendingBreaks == 0 {
			folded += " "
		} else {
			for range pendingBreaks {
				folded += "\n"
			}
		}
		pendingBreaks = 0
		folded += string(src[s:e])
		if folded == value {
			return e, nil
		}
	}
	return 0, errScan
}

// blockScalarEnd returns the end of the last content line of the literal or
// folded scalar whose header ("|", ">-", "|2") starts at off.
func blockScalarEnd(l *lines, off, parentIndent int) (int, error) {
	src := l.src
	hdrEnd := off + 1
	explicit := 0
	for hdrEnd < len(src) && !isBlank(src[hdrEnd]) {
		if c := src[hdrEnd]; c >= '1' && c <= '9' {
			explicit = int(c - '0')
		}
		hdrEnd++
	}
	line := l.lineOf(off)
	indent := -1
	if explicit > 0 {
		indent = parentIndent + explicit
	}
	end := hdrEnd
	for n := line + 1; n <= l.count(); n++ {
		if l.blank(n) {
			continue
		}
		ind := l.indentOf(n)
		if indent < 0 {
			if ind <= parentIndent {
				break
			}
			indent = ind
		}
		if ind < indent {
			break
		}
		end = l.contentEnd(n)
	}
	return end, nil
}

// flowEnd returns the offset just after the flow collection that opens at
// off. Quotes open a quoted scalar only where a scalar may start, so a
// plain scalar such as it's does not confuse it.
func flowEnd(src []byte, off int) (int, error) {
	depth := 0
	prev := byte('[') // the last significant character
	for i := off; i < len(src); i++ {
		c := src[i]
		switch {
		case c == '[' || c == '{':
			depth++
		case c == ']' || c == '}':
			depth--
			if depth == 0 {
				return i + 1, nil
			}
		case (c == '"' || c == '\'') && isScalarStart(prev):
			end, ok := quotedEnd(src, i)
			if !ok {
				return 0, errScan
			}
			i = end - 1
		case c == '#' && i > off && isBlank(src[i-1]):
			for i < len(src) && src[i] != '\n' {
				i++
			}
			continue
		}
		if !isBlank(c) {
			prev = src[i]
		}
	}
	return 0, fmt.Errorf("unterminated flow collection")
}

// isScalarStart reports whether a scalar may start after the significant
// character prev in flow context.
func isScalarStart(prev byte) bool {
	switch prev {
	case '[', '{', ',', ':', '?', '-':
		return true
	}
	return false
}

// quotedEnd returns the offset after the quoted scalar that opens at off.
func quotedEnd(src []byte, off int) (int, bool) {
	q := src[off]
	for i := off + 1; i < len(src); i++ {
		switch {
		case q == '"' && src[i] == '\\':
			i++
		case src[i] == q:
			if q == '\'' && i+1 < len(src) && src[i+1] == '\'' {
				i++
				continue
			}
			return i + 1, true
		}
	}
	return 0, false
}
