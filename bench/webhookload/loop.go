//go:build linux

package main

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// connections is how many keep-alive connections the generator holds, as
// the API server holds a bounded pool of them: when every one is busy, a
// request waits for one, and the wait counts in its latency.
const connections = 32

// responseTimeout is how long the generator waits for any response while
// requests are on the wire before it reports the webhook stalled. A
// variable for tests.
var responseTimeout = 10 * time.Second

// drive sends rate requests a second, open loop: each request has a due
// time fixed in advance, and its latency counts from then, so a slow
// response delays no later request's clock (no coordinated omission). The
// requests of the warm-up are sent but not measured.
//
// The generator shares the machine's two cores with the webhook, and every
// thread it wakes can take a core from the webhook at the wrong moment. So
// one OS thread does all of it, as an event loop: it waits in epoll(7) on
// a timerfd set to the next due time and on the connections' sockets,
// writes each request when its time comes, and reads each response as it
// arrives. Per request that is two wake-ups; with a goroutine reading each
// connection, Go's scheduler and network poller woke threads about five
// times per request, and the generator used 140-190µs of CPU per request
// against about 100µs now.
//
// The sockets are made with system calls, not package net, so that Go's
// own network poller never watches them (it would wake a thread for every
// response as well), and TLS runs over them through nonblockConn. The
// response parser allocates nothing: net/http's response reader allocated
// about 8KB per response, which had the generator collect garbage several
// times a second, each collection stopping it long enough to show as a
// burst of webhook latency. How late the loop wakes for a due time (the
// kernel's wake-up latency) is reported beside the latencies, which
// include it.
func drive(addr string, cfg *tls.Config, bodies [][]byte, rate int, warmup, duration time.Duration) (*results, error) {
	measured := int(float64(rate)*duration.Seconds()) + 16
	res := &results{latencies: make([]time.Duration, 0, measured), dues: make([]time.Time, 0, measured), lateness: make([]time.Duration, 0, measured)}
	interval := time.Second / time.Duration(rate)
	total := int((warmup + duration) / interval)
	requests := make([]request, len(bodies))
	for i, b := range bodies {
		r, err := newRequest(addr, b)
		if err != nil {
			return nil, err
		}
		requests[i] = r
	}

	// The loop's thread sleeps in epoll_wait and nanosecond timers; a
	// thread of its own keeps the timer slack setting to it.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	finePacing()

	l, err := newLoop()
	if err != nil {
		return nil, err
	}
	defer l.close()
	for range connections {
		c, err := dialNonblocking(addr, cfg)
		if err != nil {
			return nil, err
		}
		if err := l.add(c); err != nil {
			_ = c.Close()
			return nil, err
		}
	}

	start := time.Now()
	next := 0    // the next request to become due
	waiting := 0 // requests due but waiting for a free connection
	inFlight := 0
	lastResponse := start // or the time the wire last went from idle to busy
	for next < total || waiting > 0 || inFlight > 0 {
		now := time.Since(start)
		for ; next < total && time.Duration(next)*interval <= now; next++ {
			if due := time.Duration(next) * interval; due >= warmup {
				res.lateness = append(res.lateness, now-due)
			}
			waiting++
		}
		// The requests due go out on free connections, oldest first; the
		// rest wait for one, their clocks running. The connection is the
		// one freed last, as Go's HTTP client in the API server picks.
		for waiting > 0 && len(l.free) > 0 {
			seq := next - waiting
			c := l.free[len(l.free)-1]
			l.free = l.free[:len(l.free)-1]
			c.due = time.Duration(seq) * interval
			c.busy, c.measure = true, c.due >= warmup
			if err := c.send(requests[seq%len(requests)], seq); err != nil {
				res.record(time.Time{}, 0, false, err)
				return res, fmt.Errorf("request %d: %w", seq, err)
			}
			waiting--
			if inFlight == 0 {
				lastResponse = time.Now()
			}
			inFlight++
		}
		// Sleep until the next due time or the next response; with no
		// free connection, or nothing left to send, only a response
		// wakes the loop, and none for responseTimeout is a stall.
		timeout := -1
		if next < total && waiting == 0 {
			if err := l.wakeAfter(time.Duration(next)*interval - time.Since(start)); err != nil {
				return res, err
			}
		} else {
			left := responseTimeout - time.Since(lastResponse)
			if left <= 0 {
				err := fmt.Errorf("no response for %v with %d requests on the wire", responseTimeout, inFlight)
				res.record(time.Time{}, 0, false, err)
				return res, err
			}
			timeout = int((left + time.Millisecond - 1) / time.Millisecond)
		}
		n, err := epollWait(l.epfd, l.events, timeout)
		if errors.Is(err, unix.EINTR) {
			// A signal, most often the runtime's asking this goroutine
			// to stop for a moment (for a garbage collection): the raw
			// call gave it no chance to, so yield here.
			runtime.Gosched()
			continue
		}
		if err != nil {
			return res, fmt.Errorf("epoll_wait: %w", err)
		}
		for _, ev := range l.events[:n] {
			if int(ev.Fd) == l.timerfd {
				l.drainTimer()
				continue
			}
			c := l.conns[int(ev.Fd)]
			if c == nil {
				continue // removed earlier in this batch
			}
			done, allowed, err := c.receive()
			if errors.Is(err, errIdleClosed) {
				// As an HTTP client does, drop it; the rest serve.
				if err := l.remove(c); err != nil {
					return res, err
				}
				if len(l.conns) == 0 {
					err := errors.New("the webhook closed every connection")
					res.record(time.Time{}, 0, false, err)
					return res, err
				}
				continue
			}
			if err != nil {
				res.record(time.Time{}, 0, false, err)
				return res, err
			}
			if !done {
				continue
			}
			if c.measure {
				res.record(start.Add(c.due), time.Since(start)-c.due, allowed, nil)
			}
			lastResponse = time.Now()
			c.busy = false
			inFlight--
			l.free = append(l.free, c)
		}
	}
	return res, nil
}

// loop is the generator's epoll set: a timerfd for the next due time and
// the connections.
type loop struct {
	epfd, timerfd int
	events        []unix.EpollEvent
	conns         map[int]*conn
	free          []*conn // connections with no request on the wire
}

func newLoop() (*loop, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("epoll_create1: %w", err)
	}
	l := &loop{epfd: epfd, timerfd: -1, events: make([]unix.EpollEvent, connections+1), conns: map[int]*conn{}}
	l.timerfd, err = unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		l.close()
		return nil, fmt.Errorf("timerfd_create: %w", err)
	}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, l.timerfd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: fd32(l.timerfd)}); err != nil {
		l.close()
		return nil, fmt.Errorf("epoll_ctl: %w", err)
	}
	return l, nil
}

// fd32 is a file descriptor as epoll and poll take it. The kernel hands
// out the lowest free number, far below 2^31.
func fd32(fd int) int32 { return int32(fd) } //nolint:gosec // see above

func (l *loop) add(c *conn) error {
	if err := unix.EpollCtl(l.epfd, unix.EPOLL_CTL_ADD, c.fd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: fd32(c.fd)}); err != nil {
		return fmt.Errorf("epoll_ctl: %w", err)
	}
	l.conns[c.fd] = c
	l.free = append(l.free, c)
	return nil
}

// remove drops c, an idle connection the server has closed.
func (l *loop) remove(c *conn) error {
	if err := unix.EpollCtl(l.epfd, unix.EPOLL_CTL_DEL, c.fd, nil); err != nil {
		return fmt.Errorf("epoll_ctl: %w", err)
	}
	delete(l.conns, c.fd)
	l.free = slices.DeleteFunc(l.free, func(f *conn) bool { return f == c })
	_ = c.Close() // its close_notify has no one to go to
	return nil
}

// wakeAfter arms the timer to fire after d (at once if d is not
// positive).
func (l *loop) wakeAfter(d time.Duration) error {
	d = max(d, time.Nanosecond) // zero would disarm it
	spec := unix.ItimerSpec{Value: unix.NsecToTimespec(int64(d))}
	if _, _, e := unix.RawSyscall6(unix.SYS_TIMERFD_SETTIME, uintptr(l.timerfd), 0, uintptr(unsafe.Pointer(&spec)), 0, 0, 0); e != 0 { //nolint:gosec // a live Go value
		return fmt.Errorf("timerfd_settime: %w", e)
	}
	return nil
}

// drainTimer reads the timer's expiry count, which rearms its readiness.
func (l *loop) drainTimer() {
	var b [8]byte
	_, _ = sysRead(l.timerfd, b[:]) // EAGAIN when already drained: nothing to do
}

func (l *loop) close() {
	for _, c := range l.conns {
		_ = c.Close()
	}
	if l.timerfd >= 0 {
		_ = unix.Close(l.timerfd)
	}
	_ = unix.Close(l.epfd)
}

// conn is one keep-alive HTTP/1.1 connection over TLS, with at most one
// request on the wire (no pipelining, as the API server does).
type conn struct {
	fd      int
	tc      *tls.Conn     // over a nonblockConn
	busy    bool          // a request is on the wire
	due     time.Duration // its due time, since the run's start
	measure bool          // whether its latency counts
	req     []byte        // the request being written, reused
	uid     []byte        // its UID field, reused
	in      []byte        // the response read so far, reused
	broken  error         // why the connection can take no more requests
}

// dialNonblocking connects to addr (an IPv4 address and port) with a
// non-blocking socket of its own and completes the TLS handshake on it.
func dialNonblocking(addr string, cfg *tls.Config) (*conn, error) {
	ap, err := resolveIPv4(addr)
	if err != nil {
		return nil, err
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("socket: %w", err)
	}
	nb := &nonblockConn{fd: fd, blocking: true, remote: &net.TCPAddr{IP: ap.IP, Port: ap.Port}}
	sa := &unix.SockaddrInet4{Port: ap.Port}
	copy(sa.Addr[:], ap.IP.To4())
	if err := unix.Connect(fd, sa); err != nil && !errors.Is(err, unix.EINPROGRESS) {
		_ = unix.Close(fd)
		return nil, fmt.Errorf("connect %s: %w", addr, err)
	}
	if err := nb.wait(unix.POLLOUT); err != nil {
		_ = unix.Close(fd)
		return nil, fmt.Errorf("connect %s: %w", addr, err)
	}
	if soErr, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR); err != nil || soErr != 0 {
		_ = unix.Close(fd)
		return nil, fmt.Errorf("connect %s: %w", addr, errors.Join(err, unix.Errno(soErr)))
	}
	// As Go's net package does for TCP: a request goes out when written.
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1); err != nil {
		_ = unix.Close(fd)
		return nil, fmt.Errorf("TCP_NODELAY: %w", err)
	}
	if cfg.ServerName == "" {
		// What tls.Dial does: verify the certificate for the host dialed.
		cfg = cfg.Clone()
		cfg.ServerName = ap.IP.String()
	}
	tc := tls.Client(nb, cfg)
	if err := tc.Handshake(); err != nil {
		_ = unix.Close(fd)
		return nil, fmt.Errorf("TLS handshake with %s: %w", addr, err)
	}
	nb.blocking = false // from now on reads happen when epoll says so
	return &conn{fd: fd, tc: tc}, nil
}

func resolveIPv4(addr string) (*net.TCPAddr, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	ip := net.ParseIP(host)
	p, err := strconv.Atoi(port)
	if ip == nil || ip.To4() == nil || err != nil {
		return nil, fmt.Errorf("%s: want an IPv4 address and port", addr)
	}
	return &net.TCPAddr{IP: ip, Port: p}, nil
}

func (c *conn) Close() error { return c.tc.Close() }

// send writes request r with the UID req-SEQ.
func (c *conn) send(r request, seq int) error {
	if c.broken != nil {
		return c.broken
	}
	c.uid = strconv.AppendInt(append(c.uid[:0], `"uid":"req-`...), int64(seq), 10)
	c.uid = append(c.uid, '"')
	c.req = append(c.req[:0], r.header...)
	c.req = strconv.AppendInt(c.req, int64(len(r.before)+len(c.uid)+len(r.after)), 10)
	c.req = append(c.req, "\r\n\r\n"...)
	c.req = append(c.req, r.before...)
	c.req = append(c.req, c.uid...)
	c.req = append(c.req, r.after...)
	_, err := c.tc.Write(c.req)
	return err
}

// receive reads what the socket has and reports whether the response is
// now whole, and its verdict. Anything read while no request is on the
// wire, an error status and a malformed response are errors; so is the end
// of the connection.
func (c *conn) receive() (done, allowed bool, _ error) {
	for {
		if len(c.in) == cap(c.in) {
			c.in = slices.Grow(c.in, 16<<10)
		}
		n, err := c.tc.Read(c.in[len(c.in):cap(c.in)])
		c.in = c.in[:len(c.in)+n]
		if errors.Is(err, errWouldBlock) {
			break
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			// A response that came whole before the end still counts;
			// the next request on c fails.
			c.broken = fmt.Errorf("connection %d: %w", c.fd, err)
			break
		}
	}
	switch {
	case len(c.in) == 0 && c.broken != nil && !c.busy:
		return false, false, errIdleClosed
	case len(c.in) == 0 && c.broken != nil:
		return false, false, c.broken
	case len(c.in) == 0:
		return false, false, nil // TLS records of its own, a session ticket
	case !c.busy:
		return false, false, fmt.Errorf("connection %d: %d bytes with no request on the wire", c.fd, len(c.in))
	}
	size, allowed, err := parseResponse(c.in)
	if err == nil && size == 0 {
		err = c.broken // nil while the rest may yet come
	}
	if err != nil || size == 0 {
		return false, false, err
	}
	if size != len(c.in) {
		return false, false, fmt.Errorf("connection %d: %d bytes after the response", c.fd, len(c.in)-size)
	}
	c.in = c.in[:0]
	return true, allowed, nil
}

// parseResponse parses the response at the start of b. It returns its
// size in bytes, 0 while it is incomplete, and its verdict. It reads the
// status line, the headers, of which only Content-Length matters (the
// webhook always sends one; a response without one is an error here),
// and the body.
func parseResponse(b []byte) (size int, allowed bool, _ error) {
	end := bytes.Index(b, []byte("\r\n\r\n"))
	if end < 0 {
		if len(b) > 64<<10 {
			return 0, false, errors.New("response header over 64KB")
		}
		return 0, false, nil
	}
	head := b[:end]
	line, headers, _ := bytes.Cut(head, []byte("\r\n"))
	// "HTTP/1.1 200 OK"
	if len(line) < len("HTTP/1.1 200") || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' {
		return 0, false, fmt.Errorf("malformed status line %q", line)
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, false, fmt.Errorf("malformed status line %q", line)
	}
	length := -1
	for len(headers) > 0 {
		var h []byte
		h, headers, _ = bytes.Cut(headers, []byte("\r\n"))
		name, value, _ := bytes.Cut(h, []byte(":"))
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = strconv.Atoi(string(bytes.TrimSpace(value))); err != nil || length < 0 {
				return 0, false, fmt.Errorf("malformed Content-Length %q", value)
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			return 0, false, fmt.Errorf("unexpected Transfer-Encoding %q", value)
		}
	}
	if length < 0 {
		return 0, false, errors.New("response without a Content-Length")
	}
	size = end + len("\r\n\r\n") + length
	if len(b) < size {
		return 0, false, nil
	}
	body := b[end+len("\r\n\r\n") : size]
	if status != http.StatusOK {
		return 0, false, fmt.Errorf("status %d: %s", status, body)
	}
	switch {
	case bytes.Contains(body, []byte(`"allowed":true`)):
		return size, true, nil
	case bytes.Contains(body, []byte(`"allowed":false`)):
		return size, false, nil
	}
	return 0, false, fmt.Errorf("no verdict in the response: %.200s", body)
}

// errIdleClosed is receive's report that the server closed c while no
// request was on it: its idle timeout, or the first request's header
// timeout for a connection the generator has not needed yet.
var errIdleClosed = errors.New("the server closed an idle connection")

// errWouldBlock is nonblockConn's read error when the socket has nothing
// to read. crypto/tls keeps what it has read of a record across a
// temporary error and goes on from there on the next Read.
var errWouldBlock error = wouldBlock{}

type wouldBlock struct{}

func (wouldBlock) Error() string   { return "read would block" }
func (wouldBlock) Timeout() bool   { return true }
func (wouldBlock) Temporary() bool { return true }

// nonblockConn is a net.Conn over a non-blocking socket of the
// generator's own. Its reads return errWouldBlock instead of waiting,
// once blocking is off; writes wait for room, which on loopback they
// never need.
type nonblockConn struct {
	fd       int
	blocking bool
	remote   net.Addr
}

func (c *nonblockConn) Read(p []byte) (int, error) {
	for {
		n, err := sysRead(c.fd, p)
		switch {
		case err == nil && n == 0 && len(p) > 0:
			return 0, io.EOF
		case err == nil:
			return n, nil
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.EAGAIN) && !c.blocking:
			return 0, errWouldBlock
		case errors.Is(err, unix.EAGAIN):
			if err := c.wait(unix.POLLIN); err != nil {
				return 0, err
			}
			continue
		}
		return 0, err
	}
}

func (c *nonblockConn) Write(p []byte) (int, error) {
	written := 0
	for written < len(p) {
		n, err := sysWrite(c.fd, p[written:])
		switch {
		case err == nil:
			written += n
		case errors.Is(err, unix.EINTR):
		case errors.Is(err, unix.EAGAIN):
			if err := c.wait(unix.POLLOUT); err != nil {
				return written, err
			}
		default:
			return written, err
		}
	}
	return written, nil
}

// wait polls the socket for events, up to responseTimeout.
func (c *nonblockConn) wait(events int16) error {
	fds := []unix.PollFd{{Fd: fd32(c.fd), Events: events}}
	for {
		n, err := unix.Poll(fds, int(responseTimeout/time.Millisecond))
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case err != nil:
			return err
		case n == 0:
			return fmt.Errorf("socket not ready after %v", responseTimeout)
		}
		return nil
	}
}

func (c *nonblockConn) Close() error                     { return unix.Close(c.fd) }
func (c *nonblockConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (c *nonblockConn) RemoteAddr() net.Addr             { return c.remote }
func (c *nonblockConn) SetDeadline(time.Time) error      { return nil }
func (c *nonblockConn) SetReadDeadline(time.Time) error  { return nil }
func (c *nonblockConn) SetWriteDeadline(time.Time) error { return nil }

// The loop's system calls are made raw, without entering the Go
// scheduler's system call state. Entering it is what lets the scheduler
// give the thread's P to other goroutines during a long call; the price is
// that sysmon, the runtime's monitor thread, then wakes every 20µs or so
// to look for calls to take the P from, which cost a thread wake-up per
// request and a tenth of a core in all. The loop's goroutine is locked to
// its thread and needs its P back at once anyway. The reads and writes
// never block (the sockets are non-blocking); epoll_wait does, for at most
// one interval between requests (or responseTimeout at the end): the
// generator's other goroutines run on its other P meanwhile, and a
// preemption signal ends the wait with EINTR, on which the loop yields.

func sysRead(fd int, p []byte) (int, error) {
	n, _, e := unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(p))), uintptr(len(p))) //nolint:gosec // a read into a live Go slice
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

func sysWrite(fd int, p []byte) (int, error) {
	n, _, e := unix.RawSyscall(unix.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(p))), uintptr(len(p))) //nolint:gosec // a write from a live Go slice
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

// epollWait is epoll_wait(2) by way of epoll_pwait, which every Linux
// architecture has, with no signal mask.
func epollWait(epfd int, events []unix.EpollEvent, msec int) (int, error) {
	n, _, e := unix.RawSyscall6(unix.SYS_EPOLL_PWAIT, uintptr(epfd), uintptr(unsafe.Pointer(unsafe.SliceData(events))), uintptr(len(events)), uintptr(msec), 0, 0) //nolint:gosec // a live Go slice
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

// finePacing asks the kernel to wake this thread as close to its timers
// as it can: the default timer slack lets it add 50µs to every sleep.
// The caller has locked the goroutine to its thread.
func finePacing() {
	_ = unix.Prctl(unix.PR_SET_TIMERSLACK, 1, 0, 0, 0) // best effort: the default slack only costs precision
}
