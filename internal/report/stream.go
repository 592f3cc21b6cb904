package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// WriteJSONStreaming writes doc as indented JSON (two spaces, HTML not
// escaped) in which the member key, an empty array in doc, is filled with
// the n values that item returns, encoded one at a time. Memory stays flat
// however many items there are, and the bytes equal encoding the whole
// document with the array filled in. The key must occur once in doc's
// encoding.
func WriteJSONStreaming(w io.Writer, doc any, key string, n int, item func(i int) any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return err
	}
	skeleton := bytes.Clone(buf.Bytes())
	marker := []byte(fmt.Sprintf("%q: []", key))
	at := bytes.Index(skeleton, marker)
	if at < 0 || bytes.Count(skeleton, marker) != 1 {
		return fmt.Errorf("cannot place %q in the document skeleton", key)
	}
	indent := string(skeleton[bytes.LastIndexByte(skeleton[:at], '\n')+1 : at])
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.Write(skeleton[:at])
	if n == 0 {
		bw.Write(marker)
	} else {
		bw.Write(marker[:len(marker)-1]) // the key and "[", without the closing bracket
		// Items are encoded compact and indented by appendIndent, which
		// gives the bytes of enc.SetIndent(indent+"  ", "  ") without the
		// scanner encoding/json runs over every byte to indent.
		enc.SetIndent("", "")
		var out []byte
		for i := range n {
			buf.Reset()
			if err := enc.Encode(item(i)); err != nil {
				return err
			}
			if i > 0 {
				bw.WriteByte(',')
			}
			bw.WriteString("\n" + indent + "  ")
			out = appendIndent(out[:0], bytes.TrimSuffix(buf.Bytes(), []byte("\n")), indent+"  ", "  ")
			bw.Write(out)
		}
		bw.WriteString("\n" + indent + "]")
	}
	bw.Write(skeleton[at+len(marker):])
	return bw.Flush()
}

// appendIndent appends to dst the compact JSON value src (as
// encoding/json produces it: no insignificant white space) indented as
// json.Indent(dst, src, prefix, indent) would: each element and member on
// its own line after prefix and one indent per level, ": " after keys, and
// empty objects and arrays kept as {} and [].
func appendIndent(dst, src []byte, prefix, indent string) []byte {
	depth := 0
	newline := func() {
		dst = append(dst, '\n')
		dst = append(dst, prefix...)
		for range depth {
			dst = append(dst, indent...)
		}
	}
	for i := 0; i < len(src); i++ {
		switch c := src[i]; c {
		case '"':
			j := i + 1
			for j < len(src) && src[j] != '"' {
				if src[j] == '\\' {
					j++
				}
				j++
			}
			j = min(j, len(src)-1)
			dst = append(dst, src[i:j+1]...)
			i = j
		case '{', '[':
			dst = append(dst, c)
			if i+1 < len(src) && (src[i+1] == '}' || src[i+1] == ']') {
				dst = append(dst, src[i+1])
				i++
				continue
			}
			depth++
			newline()
		case ',':
			dst = append(dst, c)
			newline()
		case ':':
			dst = append(dst, ':', ' ')
		case '}', ']':
			depth--
			newline()
			dst = append(dst, c)
		default:
			dst = append(dst, c)
		}
	}
	return dst
}
