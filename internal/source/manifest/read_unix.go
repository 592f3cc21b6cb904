//go:build unix

package manifest

import (
	"fmt"
	"syscall"
)

// readRegular reads the regular file name, at most limit+1 bytes, with
// plain system calls: stat (unless checked), open, fstat, one read for a
// file whose size stat reported (a short read that reaches that size is
// the end of the file), and close. os.Open would add a poller
// registration, a finalizer and a second read to see EOF to each of the
// thousands of files of a scan.
//
// As in the portable version, the mode is checked before opening (opening
// a named pipe blocks; opening a device may have effects), here or by the
// caller (checked), and again on the open file, opened without blocking,
// in case the name was replaced in between.
func readRegular(name string, checked bool, limit int64) ([]byte, error) {
	var st syscall.Stat_t
	if !checked {
		if err := ignoringEINTR(func() error { return syscall.Stat(name, &st) }); err != nil {
			return nil, describe(err)
		}
		if err := regularMode(uint32(st.Mode)); err != nil { //nolint:unconvert // Mode is uint16 on darwin
			return nil, err
		}
	}
	var fd int
	err := ignoringEINTR(func() (err error) {
		fd, err = syscall.Open(name, syscall.O_RDONLY|syscall.O_CLOEXEC|openFlags, 0)
		return err
	})
	if err != nil {
		return nil, describe(err)
	}
	defer func() { _ = syscall.Close(fd) }() // read only: nothing to flush
	if err := ignoringEINTR(func() error { return syscall.Fstat(fd, &st) }); err != nil {
		return nil, describe(err)
	}
	if err := regularMode(uint32(st.Mode)); err != nil { //nolint:unconvert // Mode is uint16 on darwin
		return nil, err
	}
	size := st.Size
	if size > limit {
		return nil, fmt.Errorf("file is %d bytes, larger than the %d byte limit", size, limit)
	}
	initial := size + 1
	if size == 0 {
		initial = 512 // files in /proc and the like report no size
	}
	buf := make([]byte, 0, initial)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		var n int
		err := ignoringEINTR(func() (err error) {
			n, err = syscall.Read(fd, buf[len(buf):min(int64(cap(buf)), limit+1)])
			return err
		})
		if err != nil {
			return nil, describe(err)
		}
		if n <= 0 {
			return buf, nil
		}
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > limit {
			return buf, nil // the caller reports the size
		}
		if size > 0 && int64(len(buf)) == size && len(buf) < cap(buf) {
			return buf, nil
		}
	}
}

// regularMode is regular for a stat mode.
func regularMode(m uint32) error {
	switch m & syscall.S_IFMT {
	case syscall.S_IFREG:
		return nil
	case syscall.S_IFDIR:
		return fmt.Errorf("is a directory")
	case syscall.S_IFIFO:
		return fmt.Errorf("not a regular file (named pipe)")
	case syscall.S_IFSOCK:
		return fmt.Errorf("not a regular file (socket)")
	case syscall.S_IFBLK, syscall.S_IFCHR:
		return fmt.Errorf("not a regular file (device)")
	}
	return fmt.Errorf("not a regular file")
}

func ignoringEINTR(fn func() error) error {
	for {
		if err := fn(); err != syscall.EINTR { //nolint:errorlint // system calls return a bare Errno
			return err
		}
	}
}
