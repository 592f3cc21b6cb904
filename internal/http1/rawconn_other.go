//go:build !linux

package http1

import "net"

// newRawConn returns c: raw system calls are used on Linux only.
func newRawConn(c net.Conn) net.Conn { return c }
