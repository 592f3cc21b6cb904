//go:build unix

package manifest

import (
	"io/fs"
	"syscall"
)

// openFlags are added when opening a file to read: a named pipe that
// replaced a regular file after it was checked does not block the open.
const openFlags = syscall.O_NONBLOCK

func idOf(fi fs.FileInfo) (fileID, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileID{}, false
	}
	return fileID{dev: uint64(st.Dev), ino: st.Ino}, true //nolint:unconvert // Dev is int32 on some platforms
}
