package source

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
)

func openFile(file string) (*os.File, error) { return os.Open(filepath.Clean(file)) }

// maxTarLinks bounds how many symbolic or hard links are followed to find a
// layer inside a `docker save` tarball (legacy tarballs link duplicate
// layers to one copy).
const maxTarLinks = 8

// tarEntryOpener returns a function that opens the entry named p inside
// the tar file, following links between entries.
func tarEntryOpener(file, p string) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) {
		want := path.Clean(p)
		for range maxTarLinks {
			f, err := openFile(file)
			if err != nil {
				return nil, err
			}
			tr := tar.NewReader(f)
			var next string
			for {
				h, err := tr.Next()
				if errors.Is(err, io.EOF) {
					_ = f.Close()
					return nil, fmt.Errorf("%s: no entry %s", file, want)
				}
				if err != nil {
					_ = f.Close()
					return nil, fmt.Errorf("%s: %w", file, err)
				}
				if path.Clean(h.Name) != want {
					continue
				}
				switch h.Typeflag {
				case tar.TypeReg:
					return &entryReader{Reader: tr, f: f}, nil
				case tar.TypeSymlink:
					// Names are looked up inside the tarball, never extracted.
					next = path.Join(path.Dir(want), h.Linkname) //nolint:gosec // G305: see above
				case tar.TypeLink:
					next = path.Clean(h.Linkname)
				default:
					_ = f.Close()
					return nil, fmt.Errorf("%s: entry %s is not a file", file, want)
				}
				break
			}
			_ = f.Close()
			want = next
		}
		return nil, fmt.Errorf("%s: too many links to reach %s", file, p)
	}
}

type entryReader struct {
	io.Reader
	f *os.File
}

func (e *entryReader) Close() error { return e.f.Close() }
