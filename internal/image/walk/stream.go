package walk

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// chunkSize is the unit of read-ahead between the decompressing goroutine
// and the tar reader; readAhead chunks may wait in between. Chunks are
// large because every hand-over between the two goroutines costs a wake-up,
// which on a busy machine is far from free.
const (
	chunkSize = 1 << 20
	readAhead = 4
	// maxZstdWindow bounds the memory a zstd frame may ask for.
	maxZstdWindow = 64 << 20
)

var chunkPool = sync.Pool{New: func() any { b := make([]byte, chunkSize); return &b }}

// stream is a decompressed layer, produced by a goroutine ahead of the
// reader, with the size and ratio limits enforced as it goes.
type stream struct {
	compression string
	chunks      chan *chunk
	done        chan struct{}
	closeOnce   sync.Once
	cur         *chunk
	off         int
	// n counts the bytes handed to the reader.
	n int64
	// limitErr is set when a limit (not corrupt input) ended the stream.
	limitErr error
	mu       sync.Mutex
}

type chunk struct {
	buf *[]byte
	n   int
	err error
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

var (
	gzipMagic = []byte{0x1f, 0x8b}
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
)

// newStream sniffs the compression of raw and starts decompressing it.
func newStream(ctx context.Context, raw io.Reader, maxBytes, maxRatio int64) (*stream, error) {
	cr := &countingReader{r: raw}
	br := bufio.NewReaderSize(cr, 256<<10)
	head, err := br.Peek(4)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("reading layer: %w", err)
	}
	s := &stream{chunks: make(chan *chunk, readAhead), done: make(chan struct{})}
	var dec io.Reader
	var closeDec func()
	switch {
	case bytes.HasPrefix(head, gzipMagic):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("corrupt gzip stream: %w", err)
		}
		s.compression, dec, closeDec = "gzip", zr, func() { _ = zr.Close() }
	case bytes.HasPrefix(head, zstdMagic):
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true), zstd.WithDecoderMaxWindow(maxZstdWindow))
		if err != nil {
			return nil, fmt.Errorf("corrupt zstd stream: %w", err)
		}
		s.compression, dec, closeDec = "zstd", zr, zr.Close
	default:
		s.compression, dec, closeDec = "none", br, func() {}
	}
	go s.produce(ctx, dec, closeDec, cr, maxBytes, maxRatio)
	return s, nil
}

func (s *stream) produce(ctx context.Context, dec io.Reader, closeDec func(), cr *countingReader, maxBytes, maxRatio int64) {
	defer close(s.chunks)
	defer closeDec()
	var total int64
	for {
		bp := chunkPool.Get().(*[]byte)
		n, err := io.ReadFull(dec, *bp)
		total += int64(n)
		c := &chunk{buf: bp, n: n}
		var limit error
		switch {
		case total > maxBytes:
			limit = fmt.Errorf("%w (%d bytes)", ErrTooLarge, maxBytes)
		case s.compression != "none" && total > ratioFloor && cr.n > 0 && total/cr.n > maxRatio:
			limit = fmt.Errorf("%w (%d:1 after %d MiB)", ErrBomb, total/cr.n, total>>20)
		}
		switch {
		case limit != nil:
			c.err = limit
			s.mu.Lock()
			s.limitErr = limit
			s.mu.Unlock()
		case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
			c.err = io.EOF
		case err != nil:
			c.err = decodeError(s.compression, err)
		}
		select {
		case s.chunks <- c:
		case <-s.done:
			chunkPool.Put(bp)
			return
		case <-ctx.Done():
			chunkPool.Put(bp)
			select {
			case s.chunks <- &chunk{err: ctx.Err()}:
			case <-s.done:
			}
			return
		}
		if c.err != nil {
			return
		}
	}
}

// decodeError names the compression in errors about corrupt input.
func decodeError(compression string, err error) error {
	var ce flate.CorruptInputError
	switch {
	case errors.As(err, &ce), errors.Is(err, gzip.ErrChecksum), errors.Is(err, gzip.ErrHeader):
		return fmt.Errorf("corrupt %s stream: %w", compression, err)
	case compression == "zstd":
		return fmt.Errorf("corrupt zstd stream: %w", err)
	}
	return err
}

func (s *stream) Read(p []byte) (int, error) {
	for s.cur == nil || s.off == s.cur.n {
		if s.cur != nil {
			if s.cur.err != nil {
				return 0, s.cur.err
			}
			chunkPool.Put(s.cur.buf)
			s.cur = nil
		}
		c, ok := <-s.chunks
		if !ok {
			return 0, io.EOF
		}
		s.cur, s.off = c, 0
		if c.n == 0 && c.err != nil {
			return 0, c.err
		}
	}
	n := copy(p, (*s.cur.buf)[s.off:s.cur.n])
	s.off += n
	s.n += int64(n)
	return n, nil
}

// Close stops the producer and returns its buffers.
func (s *stream) Close() {
	s.closeOnce.Do(func() {
		close(s.done)
		for c := range s.chunks {
			if c.buf != nil {
				chunkPool.Put(c.buf)
			}
		}
	})
}

// cause turns an error met while reading the tar stream into the error to
// report: the limit that cut the stream short, a corrupt compressed
// stream, or a corrupt or truncated tar.
func (s *stream) cause(err error) error {
	s.mu.Lock()
	lim := s.limitErr
	s.mu.Unlock()
	if lim != nil {
		return lim
	}
	switch {
	case errors.Is(err, ErrTooLarge), errors.Is(err, ErrBomb), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, tar.ErrHeader), errors.Is(err, tar.ErrFieldTooLong), errors.Is(err, tar.ErrInsecurePath):
		return fmt.Errorf("%w: %w", ErrCorruptTar, err)
	}
	return err
}
