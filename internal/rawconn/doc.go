// Package rawconn reads and writes TCP connections with raw system calls
// on their non-blocking sockets, waiting for readiness through the
// runtime's network poller (syscall.RawConn) as net.Conn does, deadlines
// included.
//
// The difference is the scheduler. A system call made the usual way
// tells the runtime that it may block, and when every P was idle just
// before, as it is between requests at a moderate rate, the runtime wakes
// its monitor thread (sysmon) for it with a futex. On a two-core VM that
// wake was 14% of the webhook's CPU profile, and the webhook's CPU per
// review went from 259-282µs to 201-229µs without it (alternating 20-s
// runs at 2,000 reviews/s). A read or write on a non-blocking socket never
// blocks, so there is nothing for the monitor to watch.
//
// The webhook's admission port (internal/http1) uses it. The load
// generator does not: with it, the generator's CPU per request did not
// drop and the webhook's p99 was higher in two alternating pairs of runs.
// The same is true of the webhook's own p99, which it leaves about where
// it was (three pairs: 1.63, 2.38, 1.97 ms without against 1.92, 2.16,
// 2.10 ms with); what it buys is the CPU.
package rawconn
