package rules

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/palisade-dev/palisade/internal/rule"
	"github.com/palisade-dev/palisade/internal/rule/ruletest"
)

// TestCatalog checks the invariants of the catalog as a whole.
func TestCatalog(t *testing.T) {
	all := All()
	if len(all) == 0 {
		t.Fatal("empty catalog")
	}
	seen := map[string]bool{}
	var ids []string
	for _, r := range all {
		if err := rule.Validate(r); err != nil {
			t.Error(err)
		}
		for _, id := range append([]string{r.ID}, r.Aliases...) {
			if seen[id] {
				t.Errorf("duplicate rule ID or alias %q", id)
			}
			seen[id] = true
		}
		ids = append(ids, r.ID)
	}
	if !slices.IsSorted(ids) {
		t.Errorf("All() must be sorted by ID")
	}
}

// TestFixtures runs every rule over its fixtures in
// <area>/testdata/<rule-id>/ and requires at least one passing and one
// failing fixture per rule.
func TestFixtures(t *testing.T) {
	for _, r := range All() {
		t.Run(r.ID, func(t *testing.T) {
			dirs, _ := filepath.Glob(filepath.Join("*", "testdata", r.ID))
			if len(dirs) != 1 {
				t.Fatalf("want exactly one fixture directory */testdata/%s, found %v", r.ID, dirs)
			}
			fx := ruletest.Run(t, dirs[0], r)
			if fx.Failing == 0 || fx.Passing == 0 {
				t.Errorf("need at least one failing and one passing fixture, have %d failing and %d passing", fx.Failing, fx.Passing)
			}
		})
	}
}

// TestNoOrphanFixtures catches fixture directories whose rule was renamed or
// removed.
func TestNoOrphanFixtures(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join("*", "testdata", "*"))
	for _, d := range dirs {
		if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
			continue
		}
		id := filepath.Base(d)
		if strings.HasPrefix(id, "_") {
			continue
		}
		if ByID(id) == nil {
			t.Errorf("%s: no rule with ID %q", d, id)
		}
	}
}
