package walk

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"sync"
)

// Cache stores walk results per layer. Implementations must be safe for
// concurrent use.
type Cache interface {
	Get(key string) ([]byte, bool)
	Put(key string, value []byte)
}

// MemCache is a Cache in memory, for one run that scans several images
// sharing base layers.
type MemCache struct {
	mu sync.Mutex // guards m
	m  map[string][]byte
}

// NewMemCache returns an empty in-memory cache.
func NewMemCache() *MemCache { return &MemCache{m: map[string][]byte{}} }

// Get implements Cache.
func (c *MemCache) Get(key string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[key]
	return v, ok
}

// Put implements Cache.
func (c *MemCache) Put(key string, value []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[key] = value
}

// DirCache is a Cache in a directory, one file per key named by the key's
// SHA-256, written atomically (a temporary file in the same directory,
// then renamed). Errors writing it are ignored: the cache only saves time.
type DirCache struct {
	Dir string
}

func (c DirCache) file(key string) string {
	h := sha256.Sum256([]byte(key))
	return filepath.Join(c.Dir, hex.EncodeToString(h[:])+".json")
}

// Get implements Cache.
func (c DirCache) Get(key string) ([]byte, bool) {
	b, err := os.ReadFile(c.file(key))
	return b, err == nil
}

// Put implements Cache.
func (c DirCache) Put(key string, value []byte) {
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return
	}
	tmp, err := os.CreateTemp(c.Dir, ".tmp-*")
	if err != nil {
		return
	}
	_, werr := tmp.Write(value)
	cerr := tmp.Close()
	if werr != nil || cerr != nil || os.Rename(tmp.Name(), c.file(key)) != nil {
		_ = os.Remove(tmp.Name())
	}
}
