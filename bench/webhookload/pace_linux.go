package main

import (
	"time"

	"golang.org/x/sys/unix"
)

// finePacing asks the kernel to wake this thread as close to its timers
// as it can: the default timer slack lets it add 50µs to every sleep.
// The caller has locked the goroutine to its thread.
func finePacing() {
	_ = unix.Prctl(unix.PR_SET_TIMERSLACK, 1, 0, 0, 0) // best effort: the default slack only costs precision
}

// sleepUntil blocks the calling thread until t with nanosleep(2). Go's
// own timers fire from the network poller, whose waits count in whole
// milliseconds, which is too coarse for requests 500µs apart.
func sleepUntil(t time.Time) {
	for {
		d := time.Until(t)
		if d <= 0 {
			return
		}
		ts := unix.NsecToTimespec(d.Nanoseconds())
		if err := unix.Nanosleep(&ts, nil); err == nil {
			return
		}
		// EINTR: a signal woke it early; sleep the rest.
	}
}
