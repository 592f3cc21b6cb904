package fix

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// Values are handled in their JSON form: map[string]any, []any, string,
// json.Number, bool and nil, the form both a decoded document and a
// patch's value are brought to.

// normalize returns v in JSON form.
func normalize(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		return nil, err
	}
	return out, nil
}

// equal reports whether two values in JSON form are the same JSON value;
// numbers compare by value.
func equal(a, b any) bool {
	switch a := a.(type) {
	case map[string]any:
		b, ok := b.(map[string]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for k, av := range a {
			bv, ok := b[k]
			if !ok || !equal(av, bv) {
				return false
			}
		}
		return true
	case []any:
		b, ok := b.([]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for i := range a {
			if !equal(a[i], b[i]) {
				return false
			}
		}
		return true
	case json.Number:
		b, ok := b.(json.Number)
		return ok && numbersEqual(a, b)
	default:
		return a == b
	}
}

func numbersEqual(a, b json.Number) bool {
	if a == b {
		return true
	}
	ai, aerr := strconv.ParseInt(string(a), 10, 64)
	bi, berr := strconv.ParseInt(string(b), 10, 64)
	if aerr == nil && berr == nil {
		return ai == bi
	}
	af, aerr := strconv.ParseFloat(string(a), 64)
	bf, berr := strconv.ParseFloat(string(b), 64)
	return aerr == nil && berr == nil && af == bf
}

// deepCopy copies a value in JSON form.
func deepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = deepCopy(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = deepCopy(x)
		}
		return out
	}
	return v
}

// parsePointer splits an RFC 6901 JSON Pointer into its reference tokens.
func parsePointer(p string) ([]string, error) {
	if p == "" {
		return nil, nil
	}
	if !strings.HasPrefix(p, "/") {
		return nil, fmt.Errorf("invalid JSON pointer %q", p)
	}
	toks := strings.Split(p[1:], "/")
	for i, t := range toks {
		if strings.Contains(t, "~") {
			t = strings.ReplaceAll(t, "~1", "/")
			toks[i] = strings.ReplaceAll(t, "~0", "~")
		}
	}
	return toks, nil
}

// pointer joins tokens into a JSON Pointer.
func pointer(toks []string) string {
	var b strings.Builder
	for _, t := range toks {
		b.WriteByte('/')
		b.WriteString(strings.ReplaceAll(strings.ReplaceAll(t, "~", "~0"), "/", "~1"))
	}
	return b.String()
}

// arrayIndex parses a pointer token as an index into an array of length n;
// "-" (allowed when end is true) means n.
func arrayIndex(tok string, n int, end bool) (int, error) {
	if tok == "-" && end {
		return n, nil
	}
	if tok == "" || (len(tok) > 1 && tok[0] == '0') || strings.Trim(tok, "0123456789") != "" {
		return 0, fmt.Errorf("invalid array index %q", tok)
	}
	i, err := strconv.Atoi(tok)
	if err != nil {
		return 0, fmt.Errorf("invalid array index %q", tok)
	}
	max := n - 1
	if end {
		max = n
	}
	if i > max {
		return 0, fmt.Errorf("array index %d out of range", i)
	}
	return i, nil
}

// get returns the value at toks in v.
func get(v any, toks []string) (any, bool) {
	for _, t := range toks {
		switch c := v.(type) {
		case map[string]any:
			x, ok := c[t]
			if !ok {
				return nil, false
			}
			v = x
		case []any:
			i, err := arrayIndex(t, len(c), false)
			if err != nil {
				return nil, false
			}
			v = c[i]
		default:
			return nil, false
		}
	}
	return v, true
}

var errNoParent = errors.New("the parent of the field does not exist")

// put applies a JSON Patch add (insert is false: a member or element is
// set or replaced; true: an element is inserted) or remove (del) at toks
// in root, and returns the new root.
func put(root any, toks []string, value any, insert, del bool) (any, error) {
	if len(toks) == 0 {
		if del {
			return nil, fmt.Errorf("cannot remove the whole document")
		}
		return value, nil
	}
	parent, ok := get(root, toks[:len(toks)-1])
	if !ok {
		return nil, errNoParent
	}
	last := toks[len(toks)-1]
	switch p := parent.(type) {
	case map[string]any:
		if del {
			if _, ok := p[last]; !ok {
				return nil, fmt.Errorf("no field %q to remove", last)
			}
			delete(p, last)
		} else {
			p[last] = value
		}
		return root, nil
	case []any:
		i, err := arrayIndex(last, len(p), insert)
		if err != nil {
			return nil, err
		}
		var np []any
		switch {
		case del:
			np = append(append([]any{}, p[:i]...), p[i+1:]...)
		case insert:
			np = append(append(append([]any{}, p[:i]...), value), p[i:]...)
		default:
			np = append([]any{}, p...)
			np[i] = value
		}
		return put(root, toks[:len(toks)-1], np, false, false)
	}
	return nil, errNoParent
}

// nodeValue converts a YAML node to its JSON form as object.Decode reads
// it: YAML 1.2 core schema scalars, aliases and merge keys expanded.
func nodeValue(n *yaml.Node) (any, error) {
	c := &converter{budget: 1_000_000}
	return c.value(n, 0)
}

// converter turns nodes into values within a budget of nodes, so that
// aliases cannot make it expand a document exponentially ("billion
// laughs"), as object.Decode bounds it too.
type converter struct {
	budget int
}

func (c *converter) value(n *yaml.Node, depth int) (any, error) {
	if depth > 200 {
		return nil, fmt.Errorf("nesting too deep")
	}
	if c.budget--; c.budget < 0 {
		return nil, fmt.Errorf("aliases expand to too many nodes")
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return c.value(n.Content[0], depth+1)
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil, fmt.Errorf("unknown anchor")
		}
		return c.value(n.Alias, depth+1)
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, item := range n.Content {
			v, err := c.value(item, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		out := map[string]any{}
		if err := c.mergeInto(out, n, depth); err != nil {
			return nil, err
		}
		return out, nil
	case yaml.ScalarNode:
		return scalarValue(n)
	}
	return nil, fmt.Errorf("unexpected YAML node")
}

// mergeInto adds the entries of mapping n not in out: its own keys first,
// then those of the mappings it merges, earlier merges first.
func (c *converter) mergeInto(out map[string]any, n *yaml.Node, depth int) error {
	if depth > 200 {
		return fmt.Errorf("nesting too deep")
	}
	var merges []*yaml.Node
	own := make(map[string]bool, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := resolve(n.Content[i])
		if k.Kind != yaml.ScalarNode {
			return fmt.Errorf("mapping key must be a scalar")
		}
		if isMerge(k) {
			merges = append(merges, n.Content[i+1])
			continue
		}
		if own[k.Value] {
			return fmt.Errorf("duplicate key %q", k.Value)
		}
		own[k.Value] = true
		if _, dup := out[k.Value]; dup {
			continue
		}
		v, err := c.value(n.Content[i+1], depth+1)
		if err != nil {
			return err
		}
		out[k.Value] = v
	}
	for _, m := range merges {
		srcs := []*yaml.Node{m}
		if r := resolve(m); r.Kind == yaml.SequenceNode {
			srcs = r.Content
		}
		for _, s := range srcs {
			s = resolve(s)
			if s.Kind != yaml.MappingNode {
				return fmt.Errorf("merge key value must be a mapping")
			}
			if err := c.mergeInto(out, s, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func isMerge(k *yaml.Node) bool {
	return k.Tag == "!!merge" || (k.Value == "<<" && k.Style == 0 && k.ShortTag() == "!!merge")
}

func scalarValue(n *yaml.Node) (any, error) {
	v := n.Value
	switch n.ShortTag() {
	case "!!null":
		return nil, nil
	case "!!bool":
		switch v {
		case "true", "True", "TRUE", "y", "Y", "yes", "Yes", "YES", "on", "On", "ON":
			return true, nil
		case "false", "False", "FALSE", "n", "N", "no", "No", "NO", "off", "Off", "OFF":
			return false, nil
		}
		return nil, fmt.Errorf("invalid boolean %q", v)
	case "!!int":
		clean := strings.ReplaceAll(v, "_", "")
		if i, err := strconv.ParseInt(clean, 0, 64); err == nil {
			return json.Number(strconv.FormatInt(i, 10)), nil
		}
		if u, err := strconv.ParseUint(strings.TrimPrefix(clean, "+"), 0, 64); err == nil {
			return json.Number(strconv.FormatUint(u, 10)), nil
		}
		return nil, fmt.Errorf("invalid integer %q", v)
	case "!!float":
		f, err := strconv.ParseFloat(strings.ReplaceAll(v, "_", ""), 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, fmt.Errorf("number %q cannot be represented in JSON", v)
		}
		return json.Number(strconv.FormatFloat(f, 'g', -1, 64)), nil
	}
	return v, nil
}
