package walk

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"testing"
)

func writeZeroTar(w io.Writer, size int64, zeros []byte) error {
	tw := tar.NewWriter(w)
	if err := tw.WriteHeader(&tar.Header{Name: "zero", Size: size, Mode: 0o644, Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	for left := size; left > 0; {
		n := min(left, int64(len(zeros)))
		if _, err := tw.Write(zeros[:n]); err != nil {
			return err
		}
		left -= n
	}
	return tw.Close()
}

func gzipStream(t *testing.T, r io.Reader) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if _, err := io.Copy(zw, r); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
