//go:build !unix

package manifest

import (
	"fmt"
	"io"
	"os"
)

// readRegular reads the regular file name, at most limit+1 bytes. The mode
// is checked before opening (here, unless checked says the caller has) and
// again on the open file, in case the name was replaced in between.
func readRegular(name string, checked bool, limit int64) ([]byte, error) {
	if !checked {
		fi, err := os.Stat(name)
		if err != nil {
			return nil, describe(err)
		}
		if err := regular(fi); err != nil {
			return nil, err
		}
	}
	f, err := os.OpenFile(name, os.O_RDONLY|openFlags, 0)
	if err != nil {
		return nil, describe(err)
	}
	defer func() { _ = f.Close() }() // read only: nothing to flush
	fi, err := f.Stat()
	if err != nil {
		return nil, describe(err)
	}
	if err := regular(fi); err != nil {
		return nil, err
	}
	if fi.Size() > limit {
		return nil, fmt.Errorf("file is %d bytes, larger than the %d byte limit", fi.Size(), limit)
	}
	data, err := readAll(io.LimitReader(f, limit+1), fi.Size())
	if err != nil {
		return nil, describe(err)
	}
	return data, nil
}
