package fix

import (
	"bytes"

	yaml "go.yaml.in/yaml/v3"
)

// histogram counts observations of one style choice.
type histogram map[int]int

// best returns the most frequent value, the smallest on ties, or def when
// nothing was observed.
func (h histogram) best(def int) int {
	best, n := def, 0
	for v, c := range h {
		if c > n || (c == n && v < best) {
			best, n = v, c
		}
	}
	return best
}

// styleObs collects what a file's documents show of their style.
type styleObs struct {
	indent, seqIndent, itemGap histogram
	quote, keyQuote            histogram // 0, '"', '\''
	jsonIndent                 map[string]int
	jsonSpace                  histogram // 1 space after ':', 0 none
}

func newStyleObs() *styleObs {
	return &styleObs{
		indent: histogram{}, seqIndent: histogram{}, itemGap: histogram{},
		quote: histogram{}, keyQuote: histogram{}, jsonIndent: map[string]int{}, jsonSpace: histogram{},
	}
}

// observe records the style of the document d.
func (o *styleObs) observe(d *ydoc) {
	col := func(n *yaml.Node) int { return d.l.column(d.start(n)) }
	walkNodes(d.root, func(n *yaml.Node) {
		switch {
		case n.Kind == yaml.MappingNode && n.Style&yaml.FlowStyle == 0:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				o.scalarStyle(k, true)
				switch {
				case v.Kind == yaml.MappingNode && v.Style&yaml.FlowStyle == 0 && len(v.Content) > 0:
					if delta := col(v.Content[0]) - col(k); delta > 0 && v.Content[0].Line > k.Line {
						o.indent[delta]++
					}
				case v.Kind == yaml.SequenceNode && v.Style&yaml.FlowStyle == 0 && len(v.Content) > 0:
					if dash, err := d.dash(v.Content[0]); err == nil && d.l.lineOf(dash) > k.Line {
						if delta := d.l.column(dash) - col(k); delta >= 0 {
							o.seqIndent[delta]++
						}
					}
				case v.Kind == yaml.ScalarNode:
					o.scalarStyle(v, false)
				}
			}
		case n.Kind == yaml.SequenceNode && n.Style&yaml.FlowStyle == 0:
			for _, item := range n.Content {
				if item.Kind != yaml.MappingNode || item.Style&yaml.FlowStyle != 0 || len(item.Content) == 0 {
					if item.Kind == yaml.ScalarNode {
						o.scalarStyle(item, false)
					}
					continue
				}
				if dash, err := d.dash(item); err == nil && d.l.lineOf(dash) == item.Line {
					o.itemGap[col(item.Content[0])-d.l.column(dash)]++
				}
			}
		case n.Kind == yaml.MappingNode && n.Style&yaml.FlowStyle != 0:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				o.keyQuoteStyle(k)
				if v.Kind == yaml.MappingNode && v.Style&yaml.FlowStyle != 0 && d.multiLine(v) {
					outer := leadingSpace(d.l.text(k.Line))
					inner := leadingSpace(d.l.text(v.Content[0].Line))
					if len(inner) > len(outer) && inner[:len(outer)] == outer {
						o.jsonIndent[inner[len(outer):]]++
					}
				}
				if !d.multiLine(n) {
					if e, err := d.end(k, n); err == nil {
						rest := d.src[e:]
						if i := bytes.IndexByte(rest, ':'); i >= 0 && i+1 < len(rest) {
							if rest[i+1] == ' ' {
								o.jsonSpace[1]++
							} else {
								o.jsonSpace[0]++
							}
						}
					}
				}
			}
		}
	})
}

func (o *styleObs) keyQuoteStyle(k *yaml.Node) {
	switch {
	case k.Style&yaml.DoubleQuotedStyle != 0:
		o.keyQuote['"']++
	case k.Style&yaml.SingleQuotedStyle != 0:
		o.keyQuote['\'']++
	case k.Style == 0:
		o.keyQuote[0]++
	}
}

// scalarStyle records how a string that needs no quotes was written.
func (o *styleObs) scalarStyle(n *yaml.Node, key bool) {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" || !plainSafe(n.Value, false, key) {
		return
	}
	h := o.quote
	if key {
		h = o.keyQuote
	}
	switch {
	case n.Style&yaml.DoubleQuotedStyle != 0:
		h['"']++
	case n.Style&yaml.SingleQuotedStyle != 0:
		h['\'']++
	case n.Style == 0:
		h[0]++
	}
}

// style returns the style observed, with def's choices for what was not
// observed.
func (o *styleObs) style(def *style, json bool) *style {
	st := &style{
		indent:     o.indent.best(def.indent),
		seqIndent:  o.seqIndent.best(def.seqIndent),
		itemGap:    max(o.itemGap.best(def.itemGap), 2),
		quote:      quoteChar(o.quote.best(int(def.quote))),
		keyQuote:   quoteChar(o.keyQuote.best(int(def.keyQuote))),
		eol:        def.eol,
		json:       json,
		jsonIndent: def.jsonIndent,
		jsonSpace:  o.jsonSpace.best(boolInt(def.jsonSpace)) == 1,
	}
	n := 0
	for s, c := range o.jsonIndent {
		if c > n || (c == n && s < st.jsonIndent) {
			st.jsonIndent, n = s, c
		}
	}
	return st
}

// quoteChar converts an observed quote back to its character.
func quoteChar(q int) byte {
	switch q {
	case '"':
		return '"'
	case '\'':
		return '\''
	}
	return 0
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// lineEnding returns "\r\n" when most line breaks of data are CRLF.
func lineEnding(data []byte) string {
	lf := bytes.Count(data, []byte{'\n'})
	crlf := bytes.Count(data, []byte("\r\n"))
	if crlf > 0 && crlf*2 >= lf {
		return "\r\n"
	}
	return "\n"
}
