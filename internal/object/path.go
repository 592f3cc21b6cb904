package object

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
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

// Index returns p extended by a sequence index, which must not be negative.
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

// Elems splits p into its steps. It returns an error for a malformed path
// (an empty key, a key that needs quoting but is not quoted, an index that
// is not a decimal number without sign or leading zeros, a missing bracket
// or dot), which only a bug in a rule can produce: paths built with Field
// and Index always parse, and PathOf(p.Elems()) == p for them.
func (p Path) Elems() ([]Elem, error) {
	var out []Elem
	err := p.walk(func(e Elem) bool {
		out = append(out, e)
		return true
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// walk calls fn with each step of p in order, without allocating for plain
// keys and indexes, until fn returns false.
func (p Path) walk(fn func(Elem) bool) error {
	s := string(p)
	for first := true; len(s) > 0; first = false {
		if !first {
			switch s[0] {
			case '.':
				s = s[1:]
				if len(s) == 0 || s[0] == '[' {
					return p.malformed("empty key")
				}
			case '[':
			default:
				return p.malformed("missing . or [ after ]")
			}
		}
		var e Elem
		switch {
		case s[0] != '[':
			end := strings.IndexAny(s, ".[")
			if end < 0 {
				end = len(s)
			}
			if !isPlainKey(s[:end]) {
				return p.malformed("key " + strconv.Quote(s[:end]) + " must be quoted")
			}
			e, s = Elem{Key: s[:end]}, s[end:]
		case len(s) > 1 && s[1] == '"':
			q, err := strconv.QuotedPrefix(s[1:])
			if err != nil {
				return p.malformed("bad quoted key")
			}
			key, _ := strconv.Unquote(q)
			rest := s[1+len(q):]
			if !strings.HasPrefix(rest, "]") {
				return p.malformed("missing ]")
			}
			e, s = Elem{Key: key}, rest[1:]
		default:
			end := strings.IndexByte(s, ']')
			if end < 0 {
				return p.malformed("missing ]")
			}
			digits := s[1:end]
			if digits == "" || strings.Trim(digits, "0123456789") != "" || (len(digits) > 1 && digits[0] == '0') {
				return p.malformed("bad index")
			}
			n, err := strconv.Atoi(digits)
			if err != nil {
				return p.malformed("bad index")
			}
			e, s = Elem{Index: n, IsIndex: true}, s[end+1:]
		}
		if !fn(e) {
			return nil
		}
	}
	return nil
}

func (p Path) malformed(why string) error {
	return fmt.Errorf("path %q: %s", string(p), why)
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
// For a malformed path it returns a string that does not start with "/",
// which is no pointer at all: a patch built on it fails to apply, where the
// empty pointer would address the whole document.
func (p Path) Pointer() string {
	// One allocation: the pointer is rarely longer than the path (dots
	// become slashes, brackets and quotes go), and walk splits p without
	// allocating.
	var b strings.Builder
	b.Grow(len(p) + 8)
	err := p.walk(func(e Elem) bool {
		b.WriteByte('/')
		switch {
		case e.IsIndex:
			b.WriteString(strconv.Itoa(e.Index))
		case strings.ContainsAny(e.Key, "~/"):
			b.WriteString(pointerEscaper.Replace(e.Key))
		default:
			b.WriteString(e.Key)
		}
		return true
	})
	if err != nil {
		return "invalid path " + strconv.Quote(string(p))
	}
	return b.String()
}

var pointerEscaper = strings.NewReplacer("~", "~0", "/", "~1")

// isPlainKey reports whether key s can be written without brackets and
// quotes: it is not empty, is valid UTF-8, and holds no blank, control
// character, dot, bracket or double quote.
func isPlainKey(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c == 0x7f || c == '.' || c == '[' || c == ']' || c == '"' {
			return false
		}
		if c >= utf8.RuneSelf {
			return isPlainUnicode(s[i:])
		}
	}
	return true
}

func isPlainUnicode(s string) bool {
	for _, r := range s {
		if r == utf8.RuneError || !unicode.IsGraphic(r) || unicode.IsSpace(r) || r == '.' || r == '[' || r == ']' || r == '"' {
			return false
		}
	}
	return true
}
