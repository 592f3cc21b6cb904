package http1

import (
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// FuzzServeConn feeds arbitrary bytes to one connection, as a client
// that may say anything, and requires the server to neither panic nor
// hang: the connection must end once the client has hung up.
func FuzzServeConn(f *testing.F) {
	for _, seed := range []string{
		post("/", "{}"),
		post("/", "abc") + "GET / HTTP/1.0\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi",
		"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"\r\n\r\nGET / HTTP/1.1\r\n\r\n",
	} {
		f.Add([]byte(seed))
	}
	mux := http.NewServeMux()
	mux.Handle("/", echo)
	mux.HandleFunc("/ignore", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	f.Fuzz(func(t *testing.T, input []byte) {
		s := &Server{Handler: mux, ReadHeaderTimeout: time.Second, ReadTimeout: time.Second, WriteTimeout: time.Second, MaxHeaderBytes: 4096}
		client, server := net.Pipe()
		c := &conn{server: s, rwc: server}
		s.trackConn(c, true)
		done := make(chan struct{})
		go func() { defer close(done); c.serve() }()
		go func() { _, _ = io.Copy(io.Discard, client) }()
		_, _ = client.Write(input)
		_ = client.Close()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("the connection did not end after the client hung up; input %q", input)
		}
		if len(s.conns) != 0 {
			t.Fatal("a finished connection is still tracked")
		}
	})
}
