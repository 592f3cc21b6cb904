package admission

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"fmt"
	"os"
	"sync"
	"time"
)

// watcher polls files and calls load when their content changes. Polling
// rather than inotify: Kubernetes updates mounted Secrets and ConfigMaps by
// swapping a symlink, which inotify watches on the file itself miss, and a
// stat plus a hash every few seconds costs nothing.
type watcher struct {
	files    []string
	interval time.Duration
	load     func() error
	onError  func(error)

	last [][sha256.Size]byte
}

// newWatcher returns a watcher of files; the first check loads.
func newWatcher(interval time.Duration, load func() error, onError func(error), files ...string) *watcher {
	return &watcher{files: files, interval: interval, load: load, onError: onError, last: make([][sha256.Size]byte, len(files))}
}

// prime records the files' current content as loaded, without loading.
func (w *watcher) prime() {
	for i, f := range w.files {
		if data, err := os.ReadFile(f); err == nil {
			w.last[i] = sha256.Sum256(data)
		}
	}
}

// check loads when any file changed since the last check, and reports
// whether it loaded successfully.
func (w *watcher) check() bool {
	changed := false
	sums := make([][sha256.Size]byte, len(w.files))
	for i, f := range w.files {
		data, err := os.ReadFile(f)
		if err != nil {
			w.onError(err)
			return false
		}
		sums[i] = sha256.Sum256(data)
		changed = changed || sums[i] != w.last[i]
	}
	if !changed {
		return false
	}
	if err := w.load(); err != nil {
		// Keep the old sums: the broken file is reported on every check
		// until it is fixed, and a fix is picked up at once.
		w.onError(err)
		return false
	}
	w.last = sums
	return true
}

// run checks every interval until ctx ends.
func (w *watcher) run(ctx context.Context) {
	t := time.NewTicker(w.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			w.check()
		}
	}
}

// certificate serves the newest good key pair from two files.
type certificate struct {
	certFile, keyFile string

	mu   sync.RWMutex // guards cert
	cert *tls.Certificate
}

// load reads the key pair; a pair that does not load leaves the old one in
// service.
func (c *certificate) load() error {
	certPEM, err := os.ReadFile(c.certFile)
	if err != nil {
		return err
	}
	keyPEM, err := os.ReadFile(c.keyFile)
	if err != nil {
		return err
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		// A rotation writes the two files one after the other: the next
		// check retries.
		return fmt.Errorf("TLS key pair %s, %s: %w", c.certFile, c.keyFile, err)
	}
	c.mu.Lock()
	c.cert = &pair
	c.mu.Unlock()
	return nil
}

func (c *certificate) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.cert == nil {
		return nil, fmt.Errorf("no TLS certificate loaded")
	}
	return c.cert, nil
}
