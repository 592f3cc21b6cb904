package http1

import (
	"bufio"
	"bytes"
	"net/http"
	"strconv"
	"time"
)

// response is the http.ResponseWriter of one request. It buffers the
// body and writes status line, headers and body in one piece when the
// handler returns, with the length known, as a small admission response
// wants: one write to the connection, so one TLS record and one system
// call, whatever the size.
type response struct {
	req         *http.Request
	header      http.Header
	status      int
	wroteHeader bool
	body        []byte
	// out holds the status line and headers, and the body as well when
	// the two do not fit the connection's write buffer together.
	out bytes.Buffer
}

// maxKeptBody is the largest response buffer a connection keeps for its
// next response; a larger one (a metrics scrape, say) is dropped.
const maxKeptBody = 64 << 10

func (w *response) reset(req *http.Request) {
	w.req = req
	clear(w.header)
	w.status = 0
	w.wroteHeader = false
	w.body = w.body[:0]
}

// Header is the response's header map, as in net/http: changes after
// WriteHeader do not count.
func (w *response) Header() http.Header { return w.header }

// WriteHeader sets the status. Informational statuses are dropped (see the
// package doc); a second call is ignored, as net/http does.
func (w *response) WriteHeader(code int) {
	if code < 100 || code > 999 {
		panic("http1: invalid WriteHeader code " + strconv.Itoa(code)) // as net/http
	}
	if w.wroteHeader || code < 200 {
		return
	}
	w.wroteHeader = true
	w.status = code
	// net/http writes the header map as it is now; later changes to it
	// are lost. A copy keeps that promise for the few that matter.
	w.header = w.header.Clone()
}

// Write appends to the buffered body.
func (w *response) Write(p []byte) (int, error) {
	if err := w.startBody(); err != nil {
		return 0, err
	}
	w.body = append(w.body, p...)
	return len(p), nil
}

// WriteString appends to the buffered body without a conversion.
func (w *response) WriteString(s string) (int, error) {
	if err := w.startBody(); err != nil {
		return 0, err
	}
	w.body = append(w.body, s...)
	return len(s), nil
}

// startBody sets the status to 200 if the handler has not set one, and
// refuses a body the status does not allow.
func (w *response) startBody() error {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if !bodyAllowed(w.status) {
		return http.ErrBodyNotAllowed
	}
	return nil
}

// finish writes the response. keep says whether the connection stays
// open for another request; if not, the response says so.
func (w *response) finish(bw *bufio.Writer, keep bool) error {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	h := w.header
	// The length is what the handler wrote, whatever it declared: a
	// mismatch would desynchronise the connection.
	if bodyAllowed(w.status) {
		if w.req.Method != http.MethodHead || h.Get("Content-Length") == "" {
			h.Set("Content-Length", strconv.Itoa(len(w.body)))
		}
		if _, ok := h["Content-Type"]; !ok && len(w.body) > 0 {
			h.Set("Content-Type", http.DetectContentType(w.body))
		}
	} else {
		h.Del("Content-Length")
	}
	h.Del("Transfer-Encoding") // the body goes whole, never chunked
	if _, ok := h["Date"]; !ok {
		h.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	}
	switch {
	case !keep:
		h.Set("Connection", "close")
	case w.req.ProtoMinor == 0:
		h.Set("Connection", "keep-alive") // HTTP/1.0 asked for it
	default:
		h.Del("Connection")
	}
	text := http.StatusText(w.status)
	if text == "" {
		text = "status code " + strconv.Itoa(w.status)
	}
	out := &w.out
	out.Reset()
	out.WriteString("HTTP/1.1 ")
	out.Write(strconv.AppendInt(out.AvailableBuffer(), int64(w.status), 10))
	out.WriteByte(' ')
	out.WriteString(text)
	out.WriteString("\r\n")
	_ = h.Write(out) // a bytes.Buffer does not fail
	out.WriteString("\r\n")
	body := w.body
	if w.req.Method == http.MethodHead {
		body = nil
	}
	// A bufio.Writer keeps its first error and returns it from Flush, so
	// the writes before it need no checks of their own.
	switch {
	case out.Len()+len(body) <= bw.Available():
		_, _ = bw.Write(out.Bytes())
		_, _ = bw.Write(body)
	case len(body) <= maxKeptBody:
		// Through the buffer, a response larger than it would leave in
		// two writes: two TLS records, two segments, and two wake-ups of
		// a client that can use neither alone. Joined, it leaves in one;
		// the buffer is empty between responses, so bufio hands the
		// joined bytes to the connection in a single call.
		out.Write(body)
		_, _ = bw.Write(out.Bytes())
	default:
		// A large body is not copied to save one write in many.
		_, _ = bw.Write(out.Bytes())
		_, _ = bw.Write(body)
	}
	err := bw.Flush()
	if cap(w.body) > maxKeptBody {
		w.body = nil
	}
	if out.Cap() > maxKeptBody {
		w.out = bytes.Buffer{}
	}
	w.req = nil
	return err
}

// bodyAllowed reports whether a response with this status may have a body
// (RFC 9110, sections 6.4.1 and 15.3.5).
func bodyAllowed(status int) bool {
	return status != http.StatusNoContent && status != http.StatusNotModified && status >= 200
}
