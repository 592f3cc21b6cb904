// Package conventions checks, as tests, the structural rules of
// CONVENTIONS.md that the compiler cannot: which packages may import what,
// and that every package documents itself exactly once.
package conventions

import (
	"encoding/json"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

type pkg struct {
	ImportPath string
	Dir        string
	Name       string
	GoFiles    []string
	Imports    []string
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps=false", "-json", "github.com/palisade-dev/palisade/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 10 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	return pkgs
}

func deps(t *testing.T, importPath string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", importPath).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", importPath, err)
	}
	return strings.Fields(string(out))
}

// TestRuleBoundaries enforces that rules and the rule model never depend on
// client-go or the CLI, and never import HTTP themselves: the same rule must
// run under the manifest scanner, the cluster scanner and the admission
// webhook. (net/http is reachable through k8s.io/apimachinery, so only
// direct imports of it are checked.)
func TestRuleBoundaries(t *testing.T) {
	forbidden := []string{"k8s.io/client-go/", "github.com/spf13/cobra", "github.com/palisade-dev/palisade/internal/cli", "github.com/palisade-dev/palisade/internal/source/", "github.com/palisade-dev/palisade/internal/engine", "github.com/palisade-dev/palisade/internal/admission"}
	checked := 0
	for _, p := range listPackages(t) {
		if !strings.Contains(p.ImportPath, "/internal/rule") && !strings.HasSuffix(p.ImportPath, "/internal/object") && !strings.HasSuffix(p.ImportPath, "/internal/framework") {
			continue
		}
		checked++
		for _, imp := range p.Imports {
			if imp == "net/http" || strings.HasPrefix(imp, "net/http/") {
				t.Errorf("%s imports %s", p.ImportPath, imp)
			}
		}
		for _, d := range deps(t, p.ImportPath) {
			for _, f := range forbidden {
				if d == strings.TrimSuffix(f, "/") || strings.HasPrefix(d, f) {
					t.Errorf("%s depends on %s", p.ImportPath, d)
				}
			}
		}
	}
	if checked < 5 {
		t.Fatalf("checked only %d rule packages", checked)
	}
}

// TestPackageDocs requires exactly one package doc comment per package, so
// `go doc` shows one coherent description.
func TestPackageDocs(t *testing.T) {
	for _, p := range listPackages(t) {
		if len(p.GoFiles) == 0 {
			continue // a test-only package such as this one
		}
		docs := 0
		fset := token.NewFileSet()
		for _, f := range p.GoFiles {
			file, err := parser.ParseFile(fset, filepath.Join(p.Dir, f), nil, parser.ParseComments|parser.PackageClauseOnly)
			if err != nil {
				t.Fatal(err)
			}
			if file.Doc != nil && strings.TrimSpace(file.Doc.Text()) != "" && !strings.HasPrefix(file.Doc.Text(), "Code generated") {
				docs++
			}
		}
		if docs != 1 {
			t.Errorf("%s: %d package doc comments, want exactly 1", p.ImportPath, docs)
		}
	}
}
