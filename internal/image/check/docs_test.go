package check

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/image-checks.md")

func TestReferenceIsUpToDate(t *testing.T) {
	p := filepath.Join("..", "..", "..", "docs", "image-checks.md")
	got := Reference()
	if *update {
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil || string(want) != got {
		t.Errorf("%s is stale: run go test ./internal/image/check -update", p)
	}
}
