// Command gen writes the kustomize base of Palisade's admission webhook
// (deploy/webhook) from internal/deploy. It runs under
// `go generate ./internal/deploy`.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/palisade-dev/palisade/internal/deploy"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gen DIR")
		os.Exit(2)
	}
	if err := write(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

// write replaces the generated files in dir, removing generated files the
// base no longer has.
func write(dir string) error {
	files, err := deploy.BaseFiles()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil { //nolint:gosec // manifests are world-readable
		return err
	}
	old, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return err
	}
	for _, f := range old {
		if _, keep := files[filepath.Base(f)]; !keep && generated(f) {
			if err := os.Remove(f); err != nil { //nolint:gosec // a generated file of the directory named on the command line
				return err
			}
		}
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), files[n], 0o644); err != nil { //nolint:gosec // manifests are world-readable
			return err
		}
	}
	return nil
}

// generated reports whether the file at path was written by this command.
func generated(path string) bool {
	data, err := os.ReadFile(path) //nolint:gosec // a file of the directory being generated
	return err == nil && strings.HasPrefix(string(data), deploy.GeneratedHeader)
}
