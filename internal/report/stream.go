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
		enc.SetIndent(indent+"  ", "  ")
		for i := range n {
			buf.Reset()
			if err := enc.Encode(item(i)); err != nil {
				return err
			}
			if i > 0 {
				bw.WriteByte(',')
			}
			bw.WriteString("\n" + indent + "  ")
			bw.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
		}
		bw.WriteString("\n" + indent + "]")
	}
	bw.Write(skeleton[at+len(marker):])
	return bw.Flush()
}
