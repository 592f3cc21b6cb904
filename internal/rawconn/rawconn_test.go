package rawconn

import (
	"bytes"
	"errors"
	"io"
	"net"
	"runtime"
	"testing"
	"time"
)

// pair returns a wrapped server side and a plain client side of one
// loopback TCP connection.
func pair(t *testing.T) (wrapped, peer net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ln.Close() }()
	peer, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	wrapped = Wrap(c)
	t.Cleanup(func() { _ = wrapped.Close(); _ = peer.Close() })
	return wrapped, peer
}

func TestWrapOnlyTCP(t *testing.T) {
	a, b := net.Pipe()
	defer func() { _ = a.Close(); _ = b.Close() }()
	if Wrap(a) != a {
		t.Error("a pipe was wrapped")
	}
	w, _ := pair(t)
	if _, ok := w.(*net.TCPConn); ok == (runtime.GOOS == "linux") {
		t.Errorf("on %s, Wrap returned %T", runtime.GOOS, w)
	}
}

func TestReadWriteEOF(t *testing.T) {
	w, peer := pair(t)
	if _, err := peer.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	n, err := io.ReadAtLeast(w, buf, 5)
	if err != nil || string(buf[:n]) != "hello" {
		t.Fatalf("read %q, %v", buf[:n], err)
	}
	if _, err := w.Write([]byte("back")); err != nil {
		t.Fatal(err)
	}
	if n, err := io.ReadFull(peer, buf[:4]); err != nil || string(buf[:n]) != "back" {
		t.Fatalf("peer read %q, %v", buf[:n], err)
	}
	_ = peer.Close()
	if n, err := w.Read(buf); n != 0 || !errors.Is(err, io.EOF) {
		t.Errorf("after the peer closed: %d, %v; want io.EOF", n, err)
	}
}

func TestDeadlineThenRead(t *testing.T) {
	w, peer := pair(t)
	_ = w.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	var ne net.Error
	if _, err := w.Read(make([]byte, 4)); !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("read past the deadline: %v, want a timeout", err)
	}
	_ = w.SetReadDeadline(time.Time{})
	go func() { _, _ = peer.Write([]byte("late")) }()
	buf := make([]byte, 4)
	if _, err := io.ReadFull(w, buf); err != nil || string(buf) != "late" {
		t.Errorf("read after the timeout: %q, %v", buf, err)
	}
}

// TestLargeWriteWhileReading fills the send buffer, so that Write waits
// and resumes, while another goroutine waits in Read.
func TestLargeWriteWhileReading(t *testing.T) {
	w, peer := pair(t)
	readErr := make(chan error, 1)
	go func() {
		_, err := w.Read(make([]byte, 1))
		readErr <- err
	}()
	data := bytes.Repeat([]byte("0123456789"), 1<<20)
	got := make(chan []byte, 1)
	go func() {
		time.Sleep(50 * time.Millisecond)
		b, _ := io.ReadAll(io.LimitReader(peer, int64(len(data))))
		got <- b
	}()
	if n, err := w.Write(data); err != nil || n != len(data) {
		t.Fatalf("wrote %d of %d: %v", n, len(data), err)
	}
	if b := <-got; !bytes.Equal(b, data) {
		t.Errorf("the peer read %d bytes, not what was written", len(b))
	}
	_ = peer.Close()
	if err := <-readErr; !errors.Is(err, io.EOF) {
		t.Errorf("the waiting read ended with %v, want io.EOF", err)
	}
}
