// Package http1 serves an http.Handler over HTTP/1.1 keep-alive
// connections, for the webhook's admission endpoints.
//
// net/http's server watches each connection while a handler runs: once
// the request body has been read it starts a goroutine that reads ahead
// (connReader.backgroundRead), and after the response it stops that
// goroutine by setting a read deadline in the past and waiting for it.
// That buys the cancellation of a request's context when the client hangs
// up. For requests that take microseconds and whose only client is the
// API server, it cost more than everything else the server does: at 2,000
// reviews a second on two cores, a server that reads each review and
// allows it (bench/webhookload -noop) used 206-216µs of CPU per review
// behind net/http and 122-125µs behind a bare loop on the same parser and
// TLS. Behind this server, with its checks and timeouts and
// internal/rawconn, it uses 131-139µs.
//
// Server keeps net/http's parsing (http.ReadRequest, the same code
// net/http's server reads requests with), its checks on what that parser
// accepts (the Host header, header names and values, the protocol
// version, Expect), its limits and timeouts, and its way of shutting down.
// It runs the handler on the connection's goroutine and writes each
// response in one piece, with its length, once the handler returns. On
// Linux it reads and writes TCP sockets with raw system calls (see
// internal/rawconn).
//
// What it leaves out, and why that is fine for a webhook: HTTP/2 (the
// webhook speaks HTTP/1.1 only); streaming responses, Flush, Hijack and
// trailers (admission responses are small and complete); informational
// (1xx) responses, other than 100 Continue; and the cancellation of a
// request's context when its client goes away mid-request (a review is
// decided in well under a millisecond; the context is cancelled when the
// connection closes).
package http1

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/http/httpguts"

	"github.com/palisade-dev/palisade/internal/rawconn"
)

// Server serves Handler on the connections of the listeners given to
// Serve. Its zero timeouts mean none, as in net/http.
type Server struct {
	// Handler answers each request. Required.
	Handler http.Handler
	// TLSConfig, when set, makes Serve speak TLS. Its NextProtos should
	// offer "http/1.1" alone.
	TLSConfig *tls.Config
	// ReadHeaderTimeout bounds the TLS handshake, and a request from its
	// first byte to the end of its headers.
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds a request from its first byte to the end of its
	// body.
	ReadTimeout time.Duration
	// WriteTimeout bounds a request from the end of its headers to the
	// end of its response.
	WriteTimeout time.Duration
	// IdleTimeout bounds the wait for the next request on a connection;
	// the first request must begin within ReadHeaderTimeout.
	IdleTimeout time.Duration
	// MaxHeaderBytes bounds the request line and headers; 0 means
	// http.DefaultMaxHeaderBytes.
	MaxHeaderBytes int
	// Log receives handshake failures and handler panics; nil discards
	// them.
	Log *slog.Logger

	inShutdown atomic.Bool
	mu         sync.Mutex // guards listeners and conns
	listeners  map[*net.Listener]struct{}
	conns      map[*conn]struct{}
}

// Connection states: a conn is new until its first request starts, active
// while it reads a request, runs the handler and writes the response, and
// idle while it waits for the next request. Shutdown closes the new and
// idle ones; an active one closes itself after its response.
const (
	stateNew int32 = iota
	stateActive
	stateIdle
	stateClosed
)

// maxDrainBytes is how much of a request body the handler left unread the
// server reads and throws away to keep the connection; past it, it closes
// the connection instead (net/http's threshold too).
const maxDrainBytes = 256 << 10

// Serve accepts connections on l and serves each on a goroutine of its
// own, until Shutdown or a permanent Accept error. It always returns a
// non-nil error: http.ErrServerClosed after Shutdown.
func (s *Server) Serve(l net.Listener) error {
	if !s.trackListener(&l, true) {
		return http.ErrServerClosed
	}
	defer s.trackListener(&l, false)
	var delay time.Duration
	for {
		rwc, err := l.Accept()
		if err != nil {
			if s.inShutdown.Load() {
				return http.ErrServerClosed
			}
			if errors.Is(err, net.ErrClosed) {
				return err
			}
			// Out of file descriptors and the like: wait and try again,
			// as net/http does, rather than spin or give up.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			s.logger().Warn("accept failed; retrying", "error", err, "in", delay)
			time.Sleep(delay)
			continue
		}
		delay = 0
		rwc = rawconn.Wrap(rwc)
		if s.TLSConfig != nil {
			rwc = tls.Server(rwc, s.TLSConfig)
		}
		c := &conn{server: s, rwc: rwc}
		if !s.trackConn(c, true) {
			_ = rwc.Close()
			return http.ErrServerClosed
		}
		go c.serve()
	}
}

// Shutdown stops accepting connections, closes the idle ones, and waits
// for each active one to finish its response and close, or for ctx to be
// done, whose error it then returns.
func (s *Server) Shutdown(ctx context.Context) error {
	s.inShutdown.Store(true)
	s.mu.Lock()
	var err error
	for l := range s.listeners {
		if cerr := (*l).Close(); cerr != nil && err == nil && !errors.Is(cerr, net.ErrClosed) {
			err = cerr
		}
	}
	s.mu.Unlock()
	wait := time.Millisecond
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		if s.closeIdle() {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
			wait = min(2*wait, 100*time.Millisecond)
			timer.Reset(wait)
		}
	}
}

// closeIdle closes the connections that are not in a request and reports
// whether none is left.
func (s *Server) closeIdle() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		if c.state.CompareAndSwap(stateIdle, stateClosed) || c.state.CompareAndSwap(stateNew, stateClosed) {
			_ = c.rwc.Close()
		}
	}
	return len(s.conns) == 0
}

func (s *Server) trackListener(l *net.Listener, add bool) bool {
	return track(s, &s.listeners, l, add)
}

func (s *Server) trackConn(c *conn, add bool) bool {
	return track(s, &s.conns, c, add)
}

// track adds k to the set, unless the server is shutting down, or
// removes it; it reports false when it refused to add.
func track[K comparable](s *Server, set *map[K]struct{}, k K, add bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !add {
		delete(*set, k)
		return true
	}
	if s.inShutdown.Load() {
		return false
	}
	if *set == nil {
		*set = make(map[K]struct{})
	}
	(*set)[k] = struct{}{}
	return true
}

func (s *Server) logger() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

func (s *Server) maxHeaderBytes() int64 {
	if s.MaxHeaderBytes > 0 {
		return int64(s.MaxHeaderBytes)
	}
	return http.DefaultMaxHeaderBytes
}

// deadline is now+d, or no deadline when d is not positive.
func deadline(now time.Time, d time.Duration) time.Time {
	if d <= 0 {
		return time.Time{}
	}
	return now.Add(d)
}

// conn is one client connection, served by one goroutine.
type conn struct {
	server *Server
	rwc    net.Conn
	state  atomic.Int32

	lr         limitReader
	br         *bufio.Reader
	bw         *bufio.Writer
	remoteAddr string
	tlsState   *tls.ConnectionState
	ctx        context.Context
	body       requestBody // reused for each request
	resp       response    // reused for each request
}

// limitReader reads from the connection until remain runs out, so that the
// request line and headers cannot exceed their limit however the bufio
// reader above buffers.
type limitReader struct {
	r      io.Reader
	remain int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.remain <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > l.remain {
		p = p[:l.remain]
	}
	n, err := l.r.Read(p)
	l.remain -= int64(n)
	return n, err
}

func (c *conn) serve() {
	s := c.server
	ctx, cancel := context.WithCancel(context.Background())
	c.ctx = ctx
	defer func() {
		if v := recover(); v != nil && v != http.ErrAbortHandler { //nolint:errorlint // the sentinel is panicked with, not wrapped
			buf := make([]byte, 64<<10)
			buf = buf[:runtime.Stack(buf, false)]
			s.logger().Error("panic serving a request; connection closed", "remote", c.remoteAddr, "panic", fmt.Sprint(v), "stack", string(buf))
		}
		cancel()
		c.state.Store(stateClosed)
		_ = c.rwc.Close()
		s.trackConn(c, false)
	}()
	c.remoteAddr = c.rwc.RemoteAddr().String()
	if tc, ok := c.rwc.(*tls.Conn); ok {
		_ = tc.SetDeadline(deadline(time.Now(), s.ReadHeaderTimeout))
		if err := tc.HandshakeContext(ctx); err != nil {
			if !errors.Is(err, io.EOF) && !s.inShutdown.Load() {
				s.logger().Warn("TLS handshake failed", "remote", c.remoteAddr, "error", err)
			}
			return
		}
		_ = tc.SetDeadline(time.Time{})
		st := tc.ConnectionState()
		c.tlsState = &st
	}
	c.lr.r = c.rwc
	c.br = bufio.NewReaderSize(&c.lr, 4<<10)
	c.bw = bufio.NewWriterSize(c.rwc, 4<<10)
	c.resp.header = make(http.Header)
	// The first request must start within the header timeout: a client
	// that connects and says nothing does not get the idle timeout.
	wait := s.ReadHeaderTimeout
	for {
		// The header limit counts from the first byte read for this
		// request, the wait included; bytes of it the reader holds from
		// before count too, as in net/http.
		c.lr.remain = s.maxHeaderBytes() + 4096
		if err := c.rwc.SetReadDeadline(deadline(time.Now(), wait)); err != nil {
			return
		}
		if _, err := c.br.Peek(1); err != nil {
			return // hung up, timed out or closed by Shutdown while idle
		}
		if !c.state.CompareAndSwap(stateIdle, stateActive) && !c.state.CompareAndSwap(stateNew, stateActive) {
			return // Shutdown closed it as the request arrived
		}
		if !c.serveRequest() {
			return
		}
		if s.inShutdown.Load() || !c.state.CompareAndSwap(stateActive, stateIdle) {
			return
		}
		wait = s.IdleTimeout
	}
}

// serveRequest reads one request, runs the handler and writes the
// response. It reports whether the connection may carry another request.
func (c *conn) serveRequest() bool {
	s := c.server
	t0 := time.Now()
	readEnd := deadline(t0, s.ReadTimeout)
	hdrEnd := deadline(t0, s.ReadHeaderTimeout)
	if hdrEnd.IsZero() || (!readEnd.IsZero() && readEnd.Before(hdrEnd)) {
		hdrEnd = readEnd
	}
	if err := c.rwc.SetReadDeadline(hdrEnd); err != nil {
		return false
	}
	req, err := http.ReadRequest(c.br)
	if err != nil {
		switch {
		case c.lr.remain <= 0:
			c.reject(http.StatusRequestHeaderFieldsTooLarge)
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), isTimeout(err):
			// The client left or stalled mid-request: nobody to answer.
		case strings.HasPrefix(err.Error(), "unsupported transfer encoding"):
			// RFC 9112, section 6.1: a coding the server does not know
			// gets 501. net/http's error has no exported type; the
			// test against net/http notices if its text changes.
			c.reject(http.StatusNotImplemented)
		default:
			c.reject(http.StatusBadRequest)
		}
		return false
	}
	c.lr.remain = 1 << 62
	if code := check(req); code != 0 {
		c.reject(code)
		return false
	}
	if !hdrEnd.Equal(readEnd) {
		if err := c.rwc.SetReadDeadline(readEnd); err != nil {
			return false
		}
	}
	if err := c.rwc.SetWriteDeadline(deadline(time.Now(), s.WriteTimeout)); err != nil {
		return false
	}
	req.RemoteAddr = c.remoteAddr
	req.TLS = c.tlsState
	req = req.WithContext(c.ctx)
	rb := &c.body
	hasBody := req.Body != http.NoBody
	if hasBody {
		*rb = requestBody{src: req.Body, c: c, awaitContinue: req.ContentLength != 0 && httpguts.HeaderValuesContainsToken(req.Header["Expect"], "100-continue")}
		req.Body = rb
	}

	w := &c.resp
	w.reset(req)
	s.Handler.ServeHTTP(w, req)

	// Read what the handler left of the body, so that the next request
	// starts where it should; past a limit, close the connection instead.
	keep := !req.Close && !httpguts.HeaderValuesContainsToken(w.header["Connection"], "close") && !s.inShutdown.Load()
	drained := true
	if hasBody { // what the handler did with req.Body, rb still knows
		switch {
		case rb.awaitContinue:
			// The client waits for a go-ahead it never got and sends no
			// body: nothing to read, and no next request to expect.
			keep = false
		case !rb.eof:
			_, err := io.CopyN(io.Discard, rb.src, maxDrainBytes+1)
			drained = errors.Is(err, io.EOF)
			keep = keep && drained
		}
		*rb = requestBody{closed: true} // a handler that kept it reads nothing more
	}
	if err := w.finish(c.bw, keep); err != nil {
		return false
	}
	if !drained {
		c.closeWriteAndWait()
		return false
	}
	return keep
}

// check applies what net/http's server checks beyond http.ReadRequest,
// and returns the status to reject the request with, or 0.
func check(req *http.Request) int {
	if req.ProtoMajor != 1 {
		return http.StatusHTTPVersionNotSupported
	}
	// ReadRequest has taken the Host header out; HTTP/1.1 requires one
	// (RFC 9112, section 3.2).
	if req.ProtoAtLeast(1, 1) && req.Host == "" && req.Method != http.MethodConnect {
		return http.StatusBadRequest
	}
	if !httpguts.ValidHostHeader(req.Host) {
		return http.StatusBadRequest
	}
	for k, vv := range req.Header {
		if !httpguts.ValidHeaderFieldName(k) {
			return http.StatusBadRequest
		}
		for _, v := range vv {
			if !httpguts.ValidHeaderFieldValue(v) {
				return http.StatusBadRequest
			}
		}
	}
	if e := req.Header["Expect"]; len(e) > 0 && !httpguts.HeaderValuesContainsToken(e, "100-continue") {
		return http.StatusExpectationFailed
	}
	return 0
}

// reject answers a request the server cannot read with a status and no
// more; the connection then closes. The client's bytes are not echoed.
func (c *conn) reject(code int) {
	_ = c.rwc.SetWriteDeadline(time.Now().Add(time.Second))
	text := strconv.Itoa(code) + " " + http.StatusText(code)
	_, _ = fmt.Fprintf(c.bw, "HTTP/1.1 %s\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s", text, len(text), text)
	_ = c.bw.Flush()
}

// closeWriteAndWait half-closes the connection and waits a little before
// the caller closes it, so that a client still sending a body it was told
// is too large reads the response rather than a reset (net/http does the
// same).
func (c *conn) closeWriteAndWait() {
	type closeWriter interface{ CloseWrite() error }
	if cw, ok := c.rwc.(closeWriter); ok {
		_ = cw.CloseWrite()
	}
	time.Sleep(500 * time.Millisecond)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// requestBody is the body a handler reads. Unlike the body
// http.ReadRequest returns, which reads to its end when closed (as a
// client's must), closing it reads nothing: the server decides after the
// handler how much of the rest to read. It sends "100 Continue" before the
// first read when the client waits for one.
type requestBody struct {
	src           io.ReadCloser
	c             *conn
	awaitContinue bool
	eof, closed   bool
}

func (b *requestBody) Read(p []byte) (int, error) {
	if b.closed {
		return 0, http.ErrBodyReadAfterClose
	}
	if b.awaitContinue {
		b.awaitContinue = false
		if _, err := b.c.bw.WriteString("HTTP/1.1 100 Continue\r\n\r\n"); err != nil {
			return 0, err
		}
		if err := b.c.bw.Flush(); err != nil {
			return 0, err
		}
	}
	n, err := b.src.Read(p)
	if errors.Is(err, io.EOF) {
		b.eof = true
	}
	return n, err
}

func (b *requestBody) Close() error {
	b.closed = true
	return nil
}
