package fix

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// style is how a document is written, as far as new text must match it.
type style struct {
	// indent is the number of spaces per level of block mappings.
	indent int
	// seqIndent is how far the "-" of a block sequence that is a mapping
	// value sits right of the key: 0 for `containers:\n- name: a`, usually
	// indent for `containers:\n  - name: a`.
	seqIndent int
	// itemGap is the width of "- " before an item's content.
	itemGap int
	// quote is the quote new string values get when they need none: 0
	// (plain), '"' or '\''.
	quote byte
	// keyQuote is the same for new keys.
	keyQuote byte
	// eol ends new lines: "\n" or "\r\n".
	eol string
	// json says the document is JSON, so new text is JSON.
	json bool
	// jsonIndent is one level of indentation in multi-line JSON.
	jsonIndent string
	// jsonSpace says single-line JSON puts a space after ':' and ','.
	jsonSpace bool
	// kind is the document's kind, for key order.
	kind string
}

// emitter renders new values in a document's style.
type emitter struct {
	st *style
}

// keyText renders a mapping key.
func (e emitter) keyText(k string, flow bool) string {
	if e.st.json {
		return jsonString(k)
	}
	return e.scalarText(k, flow, e.st.keyQuote, true)
}

// scalar renders a scalar value (string, json.Number, bool or nil).
func (e emitter) scalar(v any, flow bool) string {
	if e.st.json {
		b, _ := json.Marshal(v)
		if s, ok := v.(string); ok {
			return jsonString(s)
		}
		return string(b)
	}
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		if v {
			return "true"
		}
		return "false"
	case json.Number:
		return string(v)
	case string:
		return e.scalarText(v, flow, e.st.quote, false)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// scalarText renders string s: plain where YAML reads it back as the same
// string (in YAML 1.1 too: yes and on stay quoted), else double-quoted with
// JSON escapes, which YAML accepts. pref is the quote to use even when none
// is needed.
func (e emitter) scalarText(s string, flow bool, pref byte, key bool) string {
	if !plainSafe(s, flow, key) {
		return jsonString(s)
	}
	switch pref {
	case '"':
		return jsonString(s)
	case '\'':
		return "'" + s + "'"
	}
	return s
}

// plainSafe reports whether s can be written as a plain scalar.
func plainSafe(s string, flow, key bool) bool {
	if s == "" || (key && s == "<<") {
		return false
	}
	b, err := yaml.Marshal(s)
	if err != nil || string(b) != s+"\n" {
		return false
	}
	if flow && strings.ContainsAny(s, ",[]{}#") {
		return false
	}
	return !strings.ContainsAny(s, "\t\r\n")
}

// jsonString renders s as a JSON string, which is also a YAML
// double-quoted scalar.
func jsonString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

func isCollection(v any) bool {
	switch v := v.(type) {
	case map[string]any:
		return len(v) > 0
	case []any:
		return len(v) > 0
	}
	return false
}

// keysOf returns the keys of map m in the order new mappings use at path.
func (e emitter) keysOf(m map[string]any, path []string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return sortKeys(mappingContext(path, e.st.kind, keys), keys)
}

// flow renders v in flow style (YAML) or as single-line JSON.
func (e emitter) flow(v any, path []string) string {
	sep, colon := ", ", ": "
	if e.st.json && !e.st.jsonSpace {
		sep, colon = ",", ":"
	}
	switch v := v.(type) {
	case map[string]any:
		var parts []string
		for _, k := range e.keysOf(v, path) {
			parts = append(parts, e.keyText(k, true)+colon+e.flow(v[k], append(slices.Clip(path), k)))
		}
		return "{" + strings.Join(parts, sep) + "}"
	case []any:
		var parts []string
		for i, x := range v {
			parts = append(parts, e.flow(x, append(slices.Clip(path), itoa(i))))
		}
		return "[" + strings.Join(parts, sep) + "]"
	}
	return e.scalar(v, true)
}

// jsonLines renders v as multi-line JSON whose first line continues the
// current line and whose other lines are indented from ind.
func (e emitter) jsonLines(v any, ind string, path []string) []string {
	switch v := v.(type) {
	case map[string]any:
		if len(v) == 0 {
			return []string{"{}"}
		}
		out := []string{"{"}
		keys := e.keysOf(v, path)
		for i, k := range keys {
			sub := e.jsonLines(v[k], ind+e.st.jsonIndent, append(slices.Clip(path), k))
			sub[0] = ind + e.st.jsonIndent + jsonString(k) + ": " + sub[0]
			if i < len(keys)-1 {
				sub[len(sub)-1] += ","
			}
			out = append(out, sub...)
		}
		return append(out, ind+"}")
	case []any:
		if len(v) == 0 {
			return []string{"[]"}
		}
		out := []string{"["}
		for i, x := range v {
			sub := e.jsonLines(x, ind+e.st.jsonIndent, append(slices.Clip(path), itoa(i)))
			sub[0] = ind + e.st.jsonIndent + sub[0]
			if i < len(v)-1 {
				sub[len(sub)-1] += ","
			}
			out = append(out, sub...)
		}
		return append(out, ind+"]")
	}
	return []string{e.scalar(v, true)}
}

// pairLines renders `key: value` in block style with the key at column ind.
func (e emitter) pairLines(key string, v any, ind int, path []string) []string {
	head := spaces(ind) + e.keyText(key, false) + ":"
	if !isCollection(v) {
		return []string{head + " " + e.inline(v, path)}
	}
	return append([]string{head}, e.childLines(v, ind, path)...)
}

// inline renders a scalar or an empty collection.
func (e emitter) inline(v any, path []string) string {
	if isCollection(v) {
		return e.flow(v, path)
	}
	switch v.(type) {
	case map[string]any:
		return "{}"
	case []any:
		return "[]"
	}
	return e.scalar(v, false)
}

// childLines renders the block collection v that is the value of a key at
// column ind.
func (e emitter) childLines(v any, ind int, path []string) []string {
	switch v := v.(type) {
	case map[string]any:
		return e.mapLines(v, ind+e.st.indent, path)
	case []any:
		return e.seqLines(v, ind+e.st.seqIndent, path)
	}
	return nil
}

// mapLines renders the pairs of m with keys at column ind.
func (e emitter) mapLines(m map[string]any, ind int, path []string) []string {
	var out []string
	for _, k := range e.keysOf(m, path) {
		out = append(out, e.pairLines(k, m[k], ind, append(slices.Clip(path), k))...)
	}
	return out
}

// seqLines renders the items of s with their "-" at column ind.
func (e emitter) seqLines(s []any, ind int, path []string) []string {
	var out []string
	for i, x := range s {
		out = append(out, e.itemLines(x, ind, append(slices.Clip(path), itoa(i)))...)
	}
	return out
}

// itemLines renders one sequence item with its "-" at column ind.
func (e emitter) itemLines(v any, ind int, path []string) []string {
	dash := spaces(ind) + "-" + spaces(e.st.itemGap-1)
	if !isCollection(v) {
		return []string{dash + e.inline(v, path)}
	}
	var body []string
	switch v := v.(type) {
	case map[string]any:
		body = e.mapLines(v, ind+e.st.itemGap, path)
	case []any:
		body = e.seqLines(v, ind+e.st.itemGap, path)
	}
	body[0] = dash + body[0][ind+e.st.itemGap:]
	return body
}

func spaces(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat(" ", n)
}

func itoa(i int) string { return strconv.Itoa(i) }
