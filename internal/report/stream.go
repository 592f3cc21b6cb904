package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"sync"
)

// WriteJSONStreaming writes doc as indented JSON (two spaces, HTML not
// escaped) in which the member key, an empty array in doc, is filled with
// the n values that item returns. Items are encoded in batches, in
// parallel, and written in order, so memory stays flat however many items
// there are, and the bytes equal encoding the whole document with the
// array filled in. item is called once per index, from several goroutines
// at once. The key must occur once in doc's encoding.
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
		if err := writeItems(bw, n, indent+"  ", item); err != nil {
			return err
		}
		bw.WriteString("\n" + indent + "]")
	}
	bw.Write(skeleton[at+len(marker):])
	return bw.Flush()
}

// itemBatch is how many items one goroutine encodes at a time.
const itemBatch = 256

// writeItems writes the n items, each on a new line after prefix and
// separated by commas. Batches of items are encoded in parallel, a window
// of them at a time, and written in order.
func writeItems(w *bufio.Writer, n int, prefix string, item func(i int) any) error {
	workers := runtime.GOMAXPROCS(0)
	batches := (n + itemBatch - 1) / itemBatch
	window := 2 * workers
	out := make([][]byte, window)
	errs := make([]error, window)
	for first := 0; first < batches; first += window {
		last := min(first+window, batches)
		var wg sync.WaitGroup
		next := make(chan int, last-first)
		for b := first; b < last; b++ {
			next <- b
		}
		close(next)
		for range min(workers, last-first) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for b := range next {
					k := b - first
					out[k], errs[k] = encodeBatch(out[k][:0], b*itemBatch, min((b+1)*itemBatch, n), prefix, item)
				}
			}()
		}
		wg.Wait()
		for k := range last - first {
			if errs[k] != nil {
				return errs[k]
			}
			w.Write(out[k])
		}
	}
	return nil
}

// encodeBatch appends items lo to hi-1 to dst, each after a comma (but the
// very first item) and a new line. Items are encoded compact and indented
// by appendIndent, which gives the bytes of an encoder indenting with
// prefix+"  " without the scanner encoding/json runs over every byte to
// indent.
func encodeBatch(dst []byte, lo, hi int, prefix string, item func(i int) any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	for i := lo; i < hi; i++ {
		buf.Reset()
		if err := enc.Encode(item(i)); err != nil {
			return dst, err
		}
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, '\n')
		dst = append(dst, prefix...)
		dst = appendIndent(dst, bytes.TrimSuffix(buf.Bytes(), []byte("\n")), prefix, "  ")
	}
	return dst, nil
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
