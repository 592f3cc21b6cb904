package apiserver

import (
	"os"
	"sync"
	"testing"
)

var shared struct {
	once sync.Once
	mu   sync.Mutex // guards srv and err against Main's Stop
	srv  *Server
	err  error
}

// Main runs a test package's tests and then stops the shared server if
// any test started it. Call it from TestMain; it does not return.
func Main(m *testing.M) {
	code := m.Run()
	shared.mu.Lock()
	if shared.srv != nil {
		shared.srv.Stop()
	}
	shared.mu.Unlock()
	os.Exit(code)
}

// Shared returns the package's server, starting it on first use. When the
// server cannot start (most often because the binaries are not installed)
// the test fails with the reason and the install command; it is never
// skipped. The package's TestMain must call Main so the server stops.
func Shared(t TB) *Server {
	t.Helper()
	shared.once.Do(func() {
		srv, err := Start()
		shared.mu.Lock()
		shared.srv, shared.err = srv, err
		shared.mu.Unlock()
	})
	if shared.err != nil {
		t.Fatalf("%v", shared.err)
	}
	return shared.srv
}
