package bench

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/palisade-dev/palisade/internal/image/scan"
	"github.com/palisade-dev/palisade/internal/image/source"
)

// benchLayers are the layers of the generated image: realistic content of
// this machine, about 1.5 GB uncompressed. Each is a directory tree put
// under the same path in the image; a tree is split into several layers
// by its top-level entries, as a multi-stage build would.
var benchLayers = []struct {
	root  string
	parts int
}{
	{"GOROOT", 2}, // the Go toolchain: go env GOROOT
	{"/usr/lib/x86_64-linux-gnu", 3},
	{"/usr/share", 2},
}

// imageGenVersion changes whenever the generator changes.
const imageGenVersion = "1"

// benchImage returns an OCI layout of the generated image, generating it
// on first use and caching it under os.TempDir(), keyed by a hash of the
// source trees (paths, sizes and modification times).
func benchImage(b *testing.B) string {
	b.Helper()
	h := sha256.New()
	h.Write([]byte(imageGenVersion))
	var trees [][]string
	for i, l := range benchLayers {
		if l.root == "GOROOT" {
			out, err := exec.Command("go", "env", "GOROOT").Output()
			if err != nil {
				b.Skipf("go env GOROOT: %v", err)
			}
			benchLayers[i].root = strings.TrimSpace(string(out))
			l = benchLayers[i]
		}
		if _, err := os.Stat(l.root); err != nil {
			b.Skipf("no %s on this machine", l.root)
		}
		var files []string
		_ = filepath.WalkDir(l.root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if info, err := d.Info(); err == nil {
				fmt.Fprintf(h, "%s %d %d %v\n", p, info.Size(), info.ModTime().Unix(), d.Type())
			}
			files = append(files, p)
			return nil
		})
		trees = append(trees, files)
	}
	dir := filepath.Join(os.TempDir(), "palisade-bench-image-"+hex.EncodeToString(h.Sum(nil))[:16])
	if _, err := os.Stat(filepath.Join(dir, "index.json")); err == nil {
		return dir
	}
	b.Logf("generating the benchmark image in %s (once)", dir)
	start := time.Now()
	tmp := dir + ".tmp"
	_ = os.RemoveAll(tmp)
	if err := os.MkdirAll(filepath.Join(tmp, "blobs", "sha256"), 0o755); err != nil {
		b.Fatal(err)
	}
	// Split each tree into parts by top-level entry, about evenly by count.
	type part struct {
		root  string
		files []string
		desc  string
	}
	var parts []part
	for i, l := range benchLayers {
		n := l.parts
		chunk := (len(trees[i]) + n - 1) / n
		for k := 0; k < n; k++ {
			lo, hi := k*chunk, min(len(trees[i]), (k+1)*chunk)
			parts = append(parts, part{root: l.root, files: trees[i][lo:hi], desc: fmt.Sprintf("COPY %s (part %d of %d) %s", l.root, k+1, n, l.root)})
		}
	}
	type layerOut struct {
		digest, diffID string
		size           int64
	}
	outs := make([]layerOut, len(parts))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	errs := make(chan error, len(parts))
	for i, p := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			d, diff, size, err := writeLayer(tmp, p.files)
			if err != nil {
				errs <- err
				return
			}
			outs[i] = layerOut{d, diff, size}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
	type desc struct {
		MediaType string            `json:"mediaType"`
		Digest    string            `json:"digest"`
		Size      int64             `json:"size"`
		Platform  map[string]string `json:"platform,omitempty"`
	}
	cfg := map[string]any{
		"architecture": "amd64", "os": "linux",
		"config": map[string]any{"User": "1000", "Env": []string{"PATH=/usr/local/go/bin:/usr/bin:/bin"}},
		"rootfs": map[string]any{"type": "layers", "diff_ids": func() []string {
			var ids []string
			for _, o := range outs {
				ids = append(ids, o.diffID)
			}
			return ids
		}()},
		"history": func() []map[string]any {
			var hs []map[string]any
			for _, p := range parts {
				hs = append(hs, map[string]any{"created_by": p.desc})
			}
			return hs
		}(),
	}
	cfgDesc := writeJSONBlob(b, tmp, cfg, "application/vnd.oci.image.config.v1+json")
	var layers []desc
	for _, o := range outs {
		layers = append(layers, desc{MediaType: "application/vnd.oci.image.layer.v1.tar+gzip", Digest: o.digest, Size: o.size})
	}
	man := writeJSONBlob(b, tmp, map[string]any{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "config": cfgDesc, "layers": layers}, "application/vnd.oci.image.manifest.v1+json")
	index := map[string]any{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
		"manifests": []desc{{MediaType: man.MediaType, Digest: man.Digest, Size: man.Size, Platform: map[string]string{"os": "linux", "architecture": "amd64"}}}}
	writeFile(b, filepath.Join(tmp, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`))
	ib, _ := json.Marshal(index)
	writeFile(b, filepath.Join(tmp, "index.json"), ib)
	if err := os.Rename(tmp, dir); err != nil {
		b.Fatal(err)
	}
	b.Logf("generated in %s", time.Since(start).Round(time.Second))
	return dir
}

func writeFile(b *testing.B, p string, data []byte) {
	if err := os.WriteFile(p, data, 0o644); err != nil {
		b.Fatal(err)
	}
}

func writeJSONBlob(b *testing.B, dir string, v any, mediaType string) struct {
	MediaType string `json:"mediaType"`
	Digest    string `json:"digest"`
	Size      int64  `json:"size"`
} {
	data, _ := json.Marshal(v)
	sum := sha256.Sum256(data)
	d := hex.EncodeToString(sum[:])
	writeFile(b, filepath.Join(dir, "blobs", "sha256", d), data)
	return struct {
		MediaType string `json:"mediaType"`
		Digest    string `json:"digest"`
		Size      int64  `json:"size"`
	}{mediaType, "sha256:" + d, int64(len(data))}
}

type hashWriter struct {
	h hash.Hash
	n int64
}

func (w *hashWriter) Write(p []byte) (int, error) {
	w.h.Write(p)
	w.n += int64(len(p))
	return len(p), nil
}

// writeLayer writes the files as a gzip-compressed tar layer blob (default
// compression level, as docker and buildkit use) and returns its digest,
// DiffID and size.
func writeLayer(dir string, files []string) (digest, diffID string, size int64, err error) {
	f, err := os.CreateTemp(filepath.Join(dir, "blobs", "sha256"), "layer-*")
	if err != nil {
		return "", "", 0, err
	}
	defer f.Close()
	compressed := &hashWriter{h: sha256.New()}
	zw := gzip.NewWriter(io.MultiWriter(f, compressed))
	uncompressed := &hashWriter{h: sha256.New()}
	tw := tar.NewWriter(io.MultiWriter(zw, uncompressed))
	for _, p := range files {
		info, err := os.Lstat(p)
		if err != nil {
			continue
		}
		link := ""
		if info.Mode()&fs.ModeSymlink != 0 {
			link, _ = os.Readlink(p)
		}
		h, err := tar.FileInfoHeader(info, link)
		if err != nil {
			continue
		}
		h.Name = strings.TrimPrefix(p, "/")
		if info.IsDir() {
			h.Name += "/"
		}
		h.Uname, h.Gname = "", ""
		if !info.Mode().IsRegular() {
			if err := tw.WriteHeader(h); err != nil {
				return "", "", 0, err
			}
			continue
		}
		src, err := os.Open(p)
		if err != nil {
			continue // unreadable: leave it out
		}
		if err := tw.WriteHeader(h); err != nil {
			src.Close()
			return "", "", 0, err
		}
		_, err = io.CopyN(tw, src, h.Size)
		src.Close()
		if err != nil {
			return "", "", 0, err
		}
	}
	if err := tw.Close(); err != nil {
		return "", "", 0, err
	}
	if err := zw.Close(); err != nil {
		return "", "", 0, err
	}
	d := hex.EncodeToString(compressed.h.Sum(nil))
	if err := os.Rename(f.Name(), filepath.Join(dir, "blobs", "sha256", d)); err != nil {
		return "", "", 0, err
	}
	return "sha256:" + d, "sha256:" + hex.EncodeToString(uncompressed.h.Sum(nil)), compressed.n, nil
}

// peakRSS returns the process's peak resident set size in bytes (VmHWM).
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// cpuTime returns the user and system CPU time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// resetPeakRSS starts a new peak measurement (Linux 4.0 and later).
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0o200) }

// BenchmarkImageScan scans the generated image fully (configuration,
// secrets, malware rules, SBOM) and reports, next to the scan time, the
// time `gzip -dc` takes to decompress the same layers one after another,
// the uncompressed size, and the peak resident memory of the scan.
//
//	go test ./bench -run '^$' -bench ImageScan -benchtime 3x
func BenchmarkImageScan(b *testing.B) {
	dir := benchImage(b)
	img, err := source.Open(context.Background(), source.Options{OCILayout: dir})
	if err != nil {
		b.Fatal(err)
	}
	// The baseline: gzip -dc of every layer, one after another.
	gz, err := exec.LookPath("gzip")
	if err != nil {
		b.Skip("no gzip")
	}
	var gzipTime, gzipCPU time.Duration
	var total int64
	for _, l := range img.Layers {
		blob := filepath.Join(dir, "blobs", "sha256", strings.TrimPrefix(l.Digest, "sha256:"))
		cmd := exec.Command("sh", "-c", gz+" -dc < '"+blob+"' | wc -c")
		start := time.Now()
		out, err := cmd.Output()
		if err != nil {
			b.Fatal(err)
		}
		gzipTime += time.Since(start)
		// The shell's usage includes gzip's and wc's, which it waited for.
		gzipCPU += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		n, _ := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
		total += n
	}
	s, err := scan.New(scan.Options{})
	if err != nil {
		b.Fatal(err)
	}
	// As the command line does.
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(scan.MemoryLimit))
	runtime.GC()
	resetPeakRSS()
	cpu0 := cpuTime()
	b.ResetTimer()
	var findings, packages int
	for b.Loop() {
		res, err := s.Scan(context.Background(), img)
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Errors) > 0 {
			b.Fatal(res.Errors)
		}
		findings, packages = len(res.Findings), len(res.Packages)
	}
	b.StopTimer()
	scanCPU := (cpuTime() - cpu0) / time.Duration(b.N)
	b.SetBytes(total)
	b.ReportMetric(gzipTime.Seconds(), "gzip-dc-s")
	b.ReportMetric(gzipCPU.Seconds(), "gzip-dc-cpu-s")
	b.ReportMetric(scanCPU.Seconds(), "scan-cpu-s")
	b.ReportMetric(float64(total)/1e9, "uncompressed-GB")
	b.ReportMetric(float64(peakRSS())/(1<<20), "peak-RSS-MiB")
	b.ReportMetric(float64(len(img.Layers)), "layers")
	b.Logf("%d layers, %.2f GB uncompressed; gzip -dc %.2fs; %d findings, %d packages", len(img.Layers), float64(total)/1e9, gzipTime.Seconds(), findings, packages)
}
