package ruledoc

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/palisade-dev/palisade/internal/rules"
)

// TestRulesDocUpToDate fails when docs/rules.md no longer matches the
// catalog. Run `go generate ./internal/ruledoc` to refresh it.
func TestRulesDocUpToDate(t *testing.T) {
	var want bytes.Buffer
	if err := Markdown(&want, rules.All()); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../../docs/rules.md")
	if err != nil {
		t.Fatalf("%v (run `go generate ./internal/ruledoc`)", err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Fatal("docs/rules.md is stale: run `go generate ./internal/ruledoc`")
	}
	for _, r := range rules.All() {
		if !strings.Contains(want.String(), "### "+r.ID+"\n") {
			t.Errorf("rule %s missing from the reference", r.ID)
		}
	}
}

func TestExplainNamesEverything(t *testing.T) {
	r := rules.All()[0]
	var b bytes.Buffer
	if err := Explain(&b, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{r.ID, r.Title, r.Remediation, r.Severity.String(), "ignore.palisade.dev/" + r.ID} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("explain output lacks %q", want)
		}
	}
}
