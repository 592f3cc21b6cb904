package http1

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/palisade-dev/palisade/internal/deploy"
)

// echo answers with the method, the body's length and whether the request
// came over TLS, and fails the request when the body cannot be read.
var echo = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "reading the body: "+err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	w.Header().Set("X-Remote-Set", strconv.FormatBool(r.RemoteAddr != ""))
	_, _ = fmt.Fprintf(w, "%s %d tls=%v", r.Method, len(b), r.TLS != nil)
})

// start serves h with s's settings on a loopback port and shuts it down
// at the end of the test.
func start(t *testing.T, s *Server, h http.Handler) (addr string, served <-chan error) {
	t.Helper()
	s.Handler = h
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
	})
	return ln.Addr().String(), done
}

type client struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

func dial(t *testing.T, addr string) *client {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	return &client{t: t, c: c, br: bufio.NewReader(c)}
}

func (c *client) send(raw string) {
	c.t.Helper()
	if _, err := io.WriteString(c.c, raw); err != nil {
		c.t.Fatal(err)
	}
}

// response reads one response and its body.
func (c *client) response(method string) (*http.Response, string) {
	c.t.Helper()
	resp, err := http.ReadResponse(c.br, &http.Request{Method: method})
	if err != nil {
		c.t.Fatalf("reading the response: %v", err)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("reading the response body: %v", err)
	}
	return resp, string(b)
}

// closed reports whether the server has closed the connection: a read
// ends with EOF (or a reset) rather than data or a timeout.
func (c *client) closed() bool {
	c.t.Helper()
	_ = c.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := c.br.ReadByte()
	var ne net.Error
	return err != nil && (!errors.As(err, &ne) || !ne.Timeout())
}

func post(path, body string, headers ...string) string {
	return "POST " + path + " HTTP/1.1\r\nHost: x\r\n" + strings.Join(headers, "") +
		"Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
}

func TestKeepAliveOverTLS(t *testing.T) {
	b, err := deploy.GenerateCerts(deploy.CertOptions{
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		Now:         time.Now(), CAValidity: time.Hour, Validity: time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair(b.Cert, b.Key)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(b.CA)
	s := &Server{TLSConfig: &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"}}}
	addr, _ := start(t, s, echo)

	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	for i := range 5 {
		reused := false
		ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
			GotConn: func(info httptrace.GotConnInfo) { reused = info.Reused },
		})
		body := strings.Repeat("a", 1000*i)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, "https://"+addr+"/validate", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if want := fmt.Sprintf("POST %d tls=true", len(body)); string(got) != want {
			t.Errorf("request %d: body %q, want %q", i, got, want)
		}
		if resp.ContentLength != int64(len(got)) || resp.Header.Get("Date") == "" || resp.Header.Get("Content-Type") != "text/plain" || resp.Header.Get("X-Remote-Set") != "true" {
			t.Errorf("request %d: headers %v, length %d", i, resp.Header, resp.ContentLength)
		}
		if resp.ProtoMajor != 1 || resp.ProtoMinor != 1 {
			t.Errorf("request %d: protocol %s", i, resp.Proto)
		}
		if i > 0 && !reused {
			t.Errorf("request %d came on a new connection; keep-alive failed", i)
		}
	}
}

func TestChunkedBodyAndPipelining(t *testing.T) {
	addr, _ := start(t, &Server{}, echo)
	c := dial(t, addr)
	// Two requests written at once: the second must wait its turn and
	// still be read from where the first ended.
	c.send("POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n" + post("/b", "xyz"))
	if resp, body := c.response("POST"); resp.StatusCode != 200 || body != "POST 11 tls=false" {
		t.Errorf("chunked request: %d %q", resp.StatusCode, body)
	}
	if resp, body := c.response("POST"); resp.StatusCode != 200 || body != "POST 3 tls=false" || resp.Close {
		t.Errorf("pipelined request: %d %q close=%v", resp.StatusCode, body, resp.Close)
	}
}

func TestExpectContinue(t *testing.T) {
	ignore := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ignored")) })
	mux := http.NewServeMux()
	mux.Handle("/read", echo)
	mux.Handle("/ignore", ignore)
	addr, _ := start(t, &Server{}, mux)

	c := dial(t, addr)
	c.send("POST /read HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
	if resp, _ := c.response("POST"); resp.StatusCode != http.StatusContinue {
		t.Fatalf("got %d before the body, want 100 Continue", resp.StatusCode)
	}
	c.send("hello")
	if resp, body := c.response("POST"); resp.StatusCode != 200 || body != "POST 5 tls=false" {
		t.Errorf("after 100 Continue: %d %q", resp.StatusCode, body)
	}

	// A handler that never reads: no go-ahead, a final answer, and the
	// connection closes, since the body was never sent.
	c = dial(t, addr)
	c.send("POST /ignore HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
	if resp, body := c.response("POST"); resp.StatusCode != 200 || body != "ignored" || !resp.Close {
		t.Errorf("unread body: %d %q close=%v", resp.StatusCode, body, resp.Close)
	}
	if !c.closed() {
		t.Error("connection stayed open after a body that was never sent")
	}
}

// TestRejectsAsNetHTTPDoes sends requests that net/http's server refuses
// (or, for one, accepts) to both it and Server, and expects the same
// status from Server, and a closed connection after a refusal.
func TestRejectsAsNetHTTPDoes(t *testing.T) {
	cases := []struct {
		name, raw string
		want      int
	}{
		{"garbage", "hello\r\n\r\n", 400},
		{"no Host in HTTP/1.1", "GET / HTTP/1.1\r\n\r\n", 400},
		{"two Host headers", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
		{"bad Host", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400},
		{"bad header name", "GET / HTTP/1.1\r\nHost: x\r\nBad Name: 1\r\n\r\n", 400},
		{"control character in a value", "GET / HTTP/1.1\r\nHost: x\r\nX: a\x01b\r\n\r\n", 400},
		{"two different lengths", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400},
		{"negative length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400},
		{"HTTP/2 request line", "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505},
		{"HTTP/0.9", "GET / HTTP/0.9\r\n\r\n", 505},
		{"unknown expectation", "POST / HTTP/1.1\r\nHost: x\r\nExpect: tea\r\nContent-Length: 0\r\n\r\n", 417},
		{"headers too large", "GET / HTTP/1.1\r\nHost: x\r\nX: " + strings.Repeat("a", 8<<10) + "\r\n\r\n", 431},
		{"bad chunk", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400},
		// Chunked overrides the length (RFC 9112, section 6.3): accepted.
		{"length and chunked", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 200},
		{"unknown transfer coding", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501},
	}
	ref := httptest.NewUnstartedServer(echo)
	ref.Config.MaxHeaderBytes = 1024
	ref.Start()
	defer ref.Close()
	addr, _ := start(t, &Server{MaxHeaderBytes: 1024}, echo)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rc := dial(t, ref.Listener.Addr().String())
			rc.send(tc.raw)
			refResp, _ := rc.response("GET")
			if refResp.StatusCode != tc.want {
				t.Fatalf("net/http answers %d, the case expects %d: fix the case", refResp.StatusCode, tc.want)
			}
			c := dial(t, addr)
			c.send(tc.raw)
			resp, _ := c.response("GET")
			if resp.StatusCode != tc.want {
				t.Errorf("status %d, want %d as net/http", resp.StatusCode, tc.want)
			}
			if tc.want != http.StatusOK && !c.closed() {
				t.Error("connection left open after a request that could not be read")
			}
		})
	}
}

func TestUnreadBody(t *testing.T) {
	ignore := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ignored")) })
	addr, _ := start(t, &Server{}, ignore)

	c := dial(t, addr)
	c.send(post("/", strings.Repeat("s", 10<<10)) + post("/", "next"))
	for i := range 2 {
		if resp, body := c.response("POST"); resp.StatusCode != 200 || body != "ignored" || resp.Close {
			t.Errorf("request %d after a small unread body: %d %q close=%v", i, resp.StatusCode, body, resp.Close)
		}
	}

	// A handler that swaps req.Body for its own reader leaves the real
	// body to the server all the same.
	swap := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = io.NopCloser(strings.NewReader(""))
		_, _ = w.Write([]byte("swapped"))
	})
	swapAddr, _ := start(t, &Server{}, swap)
	c = dial(t, swapAddr)
	c.send(post("/", "left unread") + post("/", "x"))
	for i := range 2 {
		if resp, body := c.response("POST"); resp.StatusCode != 200 || body != "swapped" {
			t.Errorf("request %d after a swapped body: %d %q", i, resp.StatusCode, body)
		}
	}

	// Past maxDrainBytes the server answers and closes rather than read
	// on.
	c = dial(t, addr)
	big := strings.Repeat("b", maxDrainBytes+100)
	go func() { _, _ = io.WriteString(c.c, post("/", big)) }()
	if resp, _ := c.response("POST"); resp.StatusCode != 200 || !resp.Close {
		t.Errorf("large unread body: %d close=%v, want 200 and Connection: close", resp.StatusCode, resp.Close)
	}
	if !c.closed() {
		t.Error("connection left open after a large unread body")
	}
}

func TestHeadAndHTTP10(t *testing.T) {
	addr, _ := start(t, &Server{}, echo)
	c := dial(t, addr)
	c.send("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n" + post("/", "after"))
	resp, body := c.response("HEAD")
	if resp.StatusCode != 200 || body != "" || resp.Header.Get("Content-Length") != strconv.Itoa(len("HEAD 0 tls=false")) {
		t.Errorf("HEAD: %d %q length %q", resp.StatusCode, body, resp.Header.Get("Content-Length"))
	}
	// Had the HEAD response carried a body, this would read it instead.
	if resp, body := c.response("POST"); body != "POST 5 tls=false" {
		t.Errorf("request after HEAD: %d %q", resp.StatusCode, body)
	}

	c = dial(t, addr)
	c.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET / HTTP/1.0\r\n\r\n")
	if resp, _ := c.response("GET"); resp.Header.Get("Connection") != "keep-alive" {
		t.Errorf("HTTP/1.0 keep-alive: Connection %q", resp.Header.Get("Connection"))
	}
	if resp, _ := c.response("GET"); !resp.Close {
		t.Error("HTTP/1.0 without keep-alive: the response does not close")
	}
	if !c.closed() {
		t.Error("HTTP/1.0 connection left open")
	}
}

func TestPanicClosesTheConnectionOnly(t *testing.T) {
	var logs syncBuffer
	mux := http.NewServeMux()
	mux.HandleFunc("/panic", func(http.ResponseWriter, *http.Request) { panic("boom") })
	mux.Handle("/", echo)
	addr, _ := start(t, &Server{Log: slog.New(slog.NewTextHandler(&logs, nil))}, mux)
	c := dial(t, addr)
	c.send("GET /panic HTTP/1.1\r\nHost: x\r\n\r\n")
	if !c.closed() {
		t.Error("connection open after a handler panic")
	}
	if !strings.Contains(logs.String(), "boom") {
		t.Errorf("the panic was not logged: %q", logs.String())
	}
	c = dial(t, addr)
	c.send(post("/", "ok"))
	if resp, _ := c.response("POST"); resp.StatusCode != 200 {
		t.Errorf("after a panic elsewhere: %d", resp.StatusCode)
	}
}

func TestTimeouts(t *testing.T) {
	addr, _ := start(t, &Server{ReadHeaderTimeout: 200 * time.Millisecond, IdleTimeout: 200 * time.Millisecond}, echo)
	t.Run("silent client", func(t *testing.T) {
		if c := dial(t, addr); !c.closed() {
			t.Error("a connection that sends nothing stays open")
		}
	})
	t.Run("slow headers", func(t *testing.T) {
		c := dial(t, addr)
		c.send("POST / HTTP/1.1\r\nHost: x\r\n")
		if !c.closed() {
			t.Error("a request whose headers never end keeps its connection")
		}
	})
	t.Run("idle", func(t *testing.T) {
		c := dial(t, addr)
		c.send(post("/", "x"))
		if resp, _ := c.response("POST"); resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		if !c.closed() {
			t.Error("an idle connection outlives IdleTimeout")
		}
	})
}

func TestWriteTimeoutBoundsTheHandler(t *testing.T) {
	slow := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		time.Sleep(300 * time.Millisecond)
		_, _ = w.Write([]byte("late"))
	})
	addr, _ := start(t, &Server{WriteTimeout: 100 * time.Millisecond}, slow)
	c := dial(t, addr)
	c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	if !c.closed() {
		t.Error("a response past WriteTimeout was sent")
	}
}

func TestShutdown(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	mux := http.NewServeMux()
	mux.HandleFunc("/hold", func(w http.ResponseWriter, _ *http.Request) {
		entered <- struct{}{}
		<-release
		_, _ = w.Write([]byte("held"))
	})
	mux.Handle("/", echo)
	s := &Server{}
	addr, served := start(t, s, mux)

	idle := dial(t, addr)
	idle.send(post("/", "x"))
	if resp, _ := idle.response("POST"); resp.StatusCode != 200 {
		t.Fatal(resp.Status)
	}
	busy := dial(t, addr)
	busy.send("GET /hold HTTP/1.1\r\nHost: x\r\n\r\n")
	<-entered

	expired, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Shutdown(expired); !errors.Is(err, context.Canceled) {
		t.Errorf("Shutdown with a request in flight and a done context: %v", err)
	}
	if !idle.closed() {
		t.Error("Shutdown left an idle connection open")
	}
	if _, err := net.Dial("tcp", addr); err == nil {
		t.Error("the listener still accepts after Shutdown")
	}
	shut := make(chan error, 1)
	go func() { shut <- s.Shutdown(context.Background()) }()
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned (%v) while a request was in flight", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	if resp, body := busy.response("GET"); resp.StatusCode != 200 || body != "held" || !resp.Close {
		t.Errorf("request in flight during Shutdown: %d %q close=%v", resp.StatusCode, body, resp.Close)
	}
	if err := <-shut; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		t.Errorf("Serve returned %v, want http.ErrServerClosed", err)
	}
}

// syncBuffer is a bytes.Buffer that the server's goroutines may log into
// while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestLargeResponseToASlowReader makes the socket's send buffer fill, so
// that writes wait for the client and resume where they stopped.
func TestLargeResponseToASlowReader(t *testing.T) {
	const size = 8 << 20
	big := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write(bytes.Repeat([]byte("0123456789abcdef"), size/16))
	})
	addr, _ := start(t, &Server{}, big)
	c := dial(t, addr)
	c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	time.Sleep(100 * time.Millisecond) // let the server block on a full buffer
	resp, body := c.response("GET")
	if resp.StatusCode != 200 || len(body) != size || body[size-16:] != "0123456789abcdef" {
		t.Fatalf("status %d, %d bytes", resp.StatusCode, len(body))
	}
	c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	if _, body := c.response("GET"); len(body) != size {
		t.Fatalf("second response: %d bytes", len(body))
	}
}

// writeCounter is a connection that records the size of every write.
type writeCounter struct {
	net.Conn
	mu     sync.Mutex
	writes []int
}

func (w *writeCounter) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.writes = append(w.writes, len(p))
	w.mu.Unlock()
	return w.Conn.Write(p)
}

func (w *writeCounter) sizes() []int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.writes)
}

// countingListener hands out writeCounters.
type countingListener struct {
	net.Listener
	conns chan *writeCounter
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	wc := &writeCounter{Conn: c}
	l.conns <- wc
	return wc, nil
}

// TestOneWritePerResponse checks that every response up to the largest
// buffer a connection keeps (64 KiB of body) reaches the connection in one
// write: a response split between the write buffer and the body costs a
// second TLS record and a second wake-up of the client. It covers sizes on
// both sides of the 4-KiB write buffer; a larger body may take more
// writes, and must still arrive whole.
func TestOneWritePerResponse(t *testing.T) {
	sized := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		_, _ = w.Write(bytes.Repeat([]byte{'x'}, n))
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cl := countingListener{Listener: ln, conns: make(chan *writeCounter, 1)}
	s := &Server{Handler: sized}
	go func() { _ = s.Serve(cl) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
	})
	c := dial(t, ln.Addr().String())
	wc := <-cl.conns
	before := 0
	for _, n := range []int{10, 3900, 4096, 5200, 20 << 10, 64 << 10, 10, 200 << 10, 5200} {
		c.send(fmt.Sprintf("GET /?n=%d HTTP/1.1\r\nHost: x\r\n\r\n", n))
		resp, body := c.response("GET")
		if resp.StatusCode != 200 || len(body) != n || strings.Trim(body, "x") != "" {
			t.Fatalf("n=%d: status %d, %d bytes", n, resp.StatusCode, len(body))
		}
		sizes := wc.sizes()
		writes := sizes[before:]
		before = len(sizes)
		if n > maxKeptBody {
			continue
		}
		if len(writes) != 1 {
			t.Fatalf("a response of %d bytes took %d writes: %v", n, len(writes), writes)
		}
		if writes[0] <= n {
			t.Errorf("n=%d: the write of %d bytes cannot hold the headers and the body", n, writes[0])
		}
	}
}
