package admission

import (
	"io"
	"reflect"
	"unsafe"

	jsoniter "github.com/json-iterator/go"
)

// Skipping managedFields fast.
//
// json-iterator's Skip, as built without its jsoniter_sloppy tag (which
// would change every skip in the program, and is silently missing from a
// plain go build), reads each object key of what it skips into a new
// string. managedFields are object keys almost entirely ("f:metadata",
// "k:{\"name\":\"app\"}", ...), so skipping them was a tenth of the
// handler's CPU and a twentieth of the bytes a review allocated. The
// handler decodes a review from one byte slice, so skipping is only a
// matter of finding where the value ends and moving the iterator there;
// json-iterator has no call that moves its read position, so iterFields
// finds its two fields by name, once, and skipValue finds the end. If the
// fields are not there (another json-iterator version), or the iterator
// reads from a stream, or skipValue finds anything it does not accept,
// Skip does the work as before and reports the error, if there is one.

// iterFields are the offsets in jsoniter.Iterator of the fields that hold
// its input and read position; ok is false if it has not got them.
var iterFields = findIterFields()

type iterOffsets struct {
	reader, buf, head, tail, captured uintptr
	ok                                bool
}

func findIterFields() (f iterOffsets) {
	t := reflect.TypeFor[jsoniter.Iterator]()
	field := func(name string, typ reflect.Type) (uintptr, bool) {
		sf, ok := t.FieldByName(name)
		return sf.Offset, ok && sf.Type == typ
	}
	var ok [5]bool
	f.reader, ok[0] = field("reader", reflect.TypeFor[io.Reader]())
	f.buf, ok[1] = field("buf", reflect.TypeFor[[]byte]())
	f.head, ok[2] = field("head", reflect.TypeFor[int]())
	f.tail, ok[3] = field("tail", reflect.TypeFor[int]())
	f.captured, ok[4] = field("captured", reflect.TypeFor[[]byte]())
	f.ok = ok == [5]bool{true, true, true, true, true}
	return f
}

// fastSkip skips the next value of it, which reads a byte slice, and
// reports whether it did.
func fastSkip(it *jsoniter.Iterator) bool {
	if !iterFields.ok || it.Error != nil {
		return false
	}
	p := unsafe.Pointer(it) //nolint:gosec // the offsets come from iterFields, checked by name and type
	if *(*io.Reader)(unsafe.Add(p, iterFields.reader)) != nil || *(*[]byte)(unsafe.Add(p, iterFields.captured)) != nil {
		return false // a stream, or capturing what it reads
	}
	buf := *(*[]byte)(unsafe.Add(p, iterFields.buf))
	head := (*int)(unsafe.Add(p, iterFields.head))
	tail := *(*int)(unsafe.Add(p, iterFields.tail))
	if *head < 0 || *head > tail || tail > len(buf) {
		return false
	}
	end := skipValue(buf[:tail], *head, 0)
	if end < 0 {
		return false
	}
	*head = end
	return true
}

// maxSkipDepth is how deeply nested a value skipValue follows; deeper
// ones go to json-iterator's Skip.
const maxSkipDepth = 64

// skipValue returns where the JSON value that starts at b[i] (after white
// space) ends, or -1 if b holds no complete value there that JSON's
// grammar allows, or one nested deeper than maxSkipDepth.
func skipValue(b []byte, i, depth int) int {
	i = skipSpace(b, i)
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return skipString(b, i+1)
	case '{', '[':
		if depth >= maxSkipDepth {
			return -1
		}
		obj := b[i] == '{'
		closing := byte(']')
		if obj {
			closing = '}'
		}
		i = skipSpace(b, i+1)
		if i < len(b) && b[i] == closing {
			return i + 1
		}
		for {
			if obj {
				if i >= len(b) || b[i] != '"' {
					return -1
				}
				if i = skipSpace(b, skipString(b, i+1)); i < 0 || i >= len(b) || b[i] != ':' {
					return -1
				}
				i++
			}
			if i = skipSpace(b, skipValue(b, i, depth+1)); i < 0 || i >= len(b) {
				return -1
			}
			switch b[i] {
			case closing:
				return i + 1
			case ',':
				i = skipSpace(b, i+1)
			default:
				return -1
			}
		}
	case 't':
		return skipLiteral(b, i, "true")
	case 'f':
		return skipLiteral(b, i, "false")
	case 'n':
		return skipLiteral(b, i, "null")
	}
	return skipNumber(b, i)
}

// skipSpace returns the index of the first byte at or after i that is not
// JSON white space; -1 stays -1.
func skipSpace(b []byte, i int) int {
	for i >= 0 && i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string whose opening quote is
// just before b[i], or -1: an unknown escape or a control character
// makes it no JSON string.
func skipString(b []byte, i int) int {
	for i < len(b) {
		switch c := b[i]; {
		case c == '"':
			return i + 1
		case c == '\\':
			if i+1 >= len(b) {
				return -1
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) {
					return -1
				}
				for _, h := range b[i+2 : i+6] {
					if !isHex(h) {
						return -1
					}
				}
				i += 6
			default:
				return -1
			}
		case c < ' ':
			return -1
		default:
			i++
		}
	}
	return -1
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func skipLiteral(b []byte, i int, lit string) int {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return -1
	}
	return i + len(lit)
}

// skipNumber returns the index after the number at b[i], or -1:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func skipNumber(b []byte, i int) int {
	digits := func(i int) int {
		j := i
		for j < len(b) && '0' <= b[j] && b[j] <= '9' {
			j++
		}
		if j == i {
			return -1
		}
		return j
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	default:
		if i = digits(i); i < 0 {
			return -1
		}
	}
	if i < len(b) && b[i] == '.' {
		if i = digits(i + 1); i < 0 {
			return -1
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i = digits(i); i < 0 {
			return -1
		}
	}
	return i
}
