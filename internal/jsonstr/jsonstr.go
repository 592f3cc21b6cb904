// Package jsonstr writes Go strings as JSON strings, escaped as
// encoding/json escapes them, into byte slices: for the places that write
// JSON by hand because encoding a value would cost more (the webhook's
// responses, the YAML-to-JSON conversion of manifests).
package jsonstr

import "unicode/utf8"

// Append appends s as a JSON string, quotes included.
func Append(b []byte, s string) []byte {
	b = append(b, '"')
	b = AppendEscaped(b, s)
	return append(b, '"')
}

// plain marks the ASCII bytes that go into a JSON string as they are: a
// table lookup per byte, rather than six comparisons, on the text of every
// message the webhook writes.
var plain = func() (t [utf8.RuneSelf]bool) {
	for c := ' '; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// AppendEscaped appends s as the inside of a JSON string, escaped as
// encoding/json escapes it (and json-iterator with EscapeHTML): quotes,
// backslashes and control characters; <, > and & as \u003c, \u003e and
// \u0026, so that the text is safe inside HTML; U+2028 and U+2029, which
// JavaScript reads as line ends; and each byte of invalid UTF-8 as
// U+FFFD. FuzzAppend holds it to encoding/json byte for byte.
func AppendEscaped(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if plain[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	return append(b, s[start:]...)
}
