// Command gen writes the rule reference (docs/rules.md) from the catalog.
// It runs under `go generate ./internal/ruledoc`.
package main

import (
	"bytes"
	"fmt"
	"os"

	"github.com/palisade-dev/palisade/internal/ruledoc"
	"github.com/palisade-dev/palisade/internal/rules"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gen OUTPUT.md")
		os.Exit(2)
	}
	var b bytes.Buffer
	if err := ruledoc.Markdown(&b, rules.All()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := os.WriteFile(os.Args[1], b.Bytes(), 0o644); err != nil { //nolint:gosec // documentation is world-readable
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
