package rawconn

import (
	"io"
	"net"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// rawConn is a TCP connection whose Read and Write are raw system calls.
type rawConn struct {
	*net.TCPConn
	rc syscall.RawConn

	// net.Conn allows a Read and a Write at once (tls.Conn's Close
	// writes while a Read waits), so each direction has its own call
	// state, and its own lock for callers that read (or write) at once.
	r, w rawCall
}

// rawCall is the arguments and results of one read or write in flight,
// with its callback for rc bound once rather than allocated per call.
type rawCall struct {
	mu    sync.Mutex // serialises the calls of one direction
	buf   []byte
	n     int
	errno syscall.Errno
	fn    func(fd uintptr) bool
}

// Wrap returns c with raw reads and writes when it is a TCP connection,
// and c itself otherwise.
func Wrap(c net.Conn) net.Conn {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return c
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return c
	}
	r := &rawConn{TCPConn: tc, rc: rc}
	r.r.fn = r.r.readOnce
	r.w.fn = r.w.writeOnce
	return r
}

// readOnce reads once into buf; false means not ready, wait.
func (c *rawCall) readOnce(fd uintptr) bool {
	for {
		n, _, e := unix.RawSyscall(unix.SYS_READ, fd, uintptr(unsafe.Pointer(unsafe.SliceData(c.buf))), uintptr(len(c.buf))) //nolint:gosec // a read into a live Go slice
		if e == unix.EINTR {
			continue
		}
		c.n, c.errno = int(n), e
		return e != unix.EAGAIN
	}
}

// writeOnce writes as much of buf as the socket takes; false means the
// rest must wait.
func (c *rawCall) writeOnce(fd uintptr) bool {
	for {
		n, _, e := unix.RawSyscall(unix.SYS_WRITE, fd, uintptr(unsafe.Pointer(unsafe.SliceData(c.buf))), uintptr(len(c.buf))) //nolint:gosec // a write from a live Go slice
		if e == unix.EINTR {
			continue
		}
		if e == 0 {
			c.n += int(n)
			c.buf = c.buf[n:]
			if len(c.buf) > 0 {
				continue
			}
		}
		c.errno = e
		return e != unix.EAGAIN
	}
}

// Read reads like net.Conn's Read, deadlines included.
func (r *rawConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	n, err := r.call(&r.r, p, false)
	if err == nil && n == 0 {
		return 0, io.EOF
	}
	return n, err
}

// Write writes all of p like net.Conn's Write, deadlines included.
func (r *rawConn) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	return r.call(&r.w, p, true)
}

// call runs c over p: the callback until it is done, waiting for
// readiness (or the deadline) in between.
func (r *rawConn) call(c *rawCall, p []byte, write bool) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.buf, c.n, c.errno = p, 0, 0
	var err error
	op := "read"
	if write {
		op = "write"
		err = r.rc.Write(c.fn)
	} else {
		err = r.rc.Read(c.fn)
	}
	n := c.n
	if err == nil && c.errno != 0 {
		err = c.errno
	}
	c.buf = nil
	if err != nil {
		return n, &net.OpError{Op: op, Net: "tcp", Source: r.LocalAddr(), Addr: r.RemoteAddr(), Err: err}
	}
	return n, nil
}
