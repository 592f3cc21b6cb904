package object

import (
	"fmt"
	"strconv"
	"strings"
)

// Path is a field path inside an object in the dotted form people read, for
// example `spec.template.spec.containers[0].securityContext.privileged`. Map keys
// that are not plain identifiers are written in brackets and quotes:
// `metadata.annotations["palisade.dev/ignore"]`. The zero value is the object
// root.
type Path string

// Field returns p extended by the field or map key name.
func (p Path) Field(name string) Path {
	if !isPlainKey(name) {
		return p + Path("["+strconv.Quote(name)+"]")
	}
	if p == "" {
		return Path(name)
	}
	return p + "." + Path(name)
}

// Index returns p extended by a sequence index.
func (p Path) Index(i int) Path {
	return p + Path("["+strconv.Itoa(i)+"]")
}

// Elem is one step of a Path: a field name or key (Key) or a sequence index
// (Index, when IsIndex is true).
type Elem struct {
	Key     string
	Index   int
	IsIndex bool
}

// Elems splits p into its steps. It returns an error for a malformed path,
// which only a bug in a rule can produce.
func (p Path) Elems() ([]Elem, error) {
	s := string(p)
	var out []Elem
	for len(s) > 0 {
		switch s[0] {
		case '.':
			s = s[1:]
		case '[':
			end := strings.IndexByte(s, ']')
			if len(s) > 1 && s[1] == '"' {
				q, err := strconv.QuotedPrefix(s[1:])
				if err != nil {
					return nil, fmt.Errorf("path %q: bad quoted key", string(p))
				}
				key, _ := strconv.Unquote(q)
				rest := s[1+len(q):]
				if !strings.HasPrefix(rest, "]") {
					return nil, fmt.Errorf("path %q: missing ]", string(p))
				}
				out = append(out, Elem{Key: key})
				s = rest[1:]
				continue
			}
			if end < 0 {
				return nil, fmt.Errorf("path %q: missing ]", string(p))
			}
			n, err := strconv.Atoi(s[1:end])
			if err != nil {
				return nil, fmt.Errorf("path %q: bad index", string(p))
			}
			out = append(out, Elem{Index: n, IsIndex: true})
			s = s[end+1:]
		default:
			end := strings.IndexAny(s, ".[")
			if end < 0 {
				end = len(s)
			}
			out = append(out, Elem{Key: s[:end]})
			s = s[end:]
		}
	}
	return out, nil
}

// Parent returns the path without its last step, and false at the root.
func (p Path) Parent() (Path, bool) {
	if p == "" {
		return "", false
	}
	elems, err := p.Elems()
	if err != nil || len(elems) == 0 {
		return "", false
	}
	return PathOf(elems[:len(elems)-1]), true
}

// PathOf joins steps back into a Path.
func PathOf(elems []Elem) Path {
	var p Path
	for _, e := range elems {
		if e.IsIndex {
			p = p.Index(e.Index)
		} else {
			p = p.Field(e.Key)
		}
	}
	return p
}

// Pointer returns p as an RFC 6901 JSON Pointer, the form JSON Patch uses.
func (p Path) Pointer() string {
	elems, err := p.Elems()
	if err != nil {
		return ""
	}
	var b strings.Builder
	for _, e := range elems {
		b.WriteByte('/')
		if e.IsIndex {
			b.WriteString(strconv.Itoa(e.Index))
			continue
		}
		if strings.ContainsAny(e.Key, "~/") {
			b.WriteString(pointerEscaper.Replace(e.Key))
		} else {
			b.WriteString(e.Key)
		}
	}
	return b.String()
}

var pointerEscaper = strings.NewReplacer("~", "~0", "/", "~1")

func isPlainKey(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '.' || c == '[' || c == ']' || c == '"' || c == ' ' {
			return false
		}
	}
	return true
}
