package conventions

import (
	"strings"
	"testing"
)

// TestClientGoBoundary enforces that only internal/source/cluster and
// internal/admission talk to Kubernetes API servers: no other package of
// the product imports client-go, directly or through another package.
// The test harnesses (test/..., bench) may.
func TestClientGoBoundary(t *testing.T) {
	const mod = "github.com/palisade-dev/palisade/"
	allowed := func(p string) bool {
		return strings.HasPrefix(p, mod+"internal/source/cluster") || strings.HasPrefix(p, mod+"internal/admission") ||
			strings.HasPrefix(p, mod+"test/") || p == mod+"bench"
	}
	for _, p := range listPackages(t) {
		if allowed(p.ImportPath) {
			continue
		}
		for _, imp := range p.Imports {
			if strings.HasPrefix(imp, "k8s.io/client-go/") {
				t.Errorf("%s imports %s: only internal/source/cluster and internal/admission may talk to API servers", p.ImportPath, imp)
			}
		}
	}
	// The analyses that reason about cluster objects work on object sets
	// and never reach for a server, even indirectly.
	for _, p := range []string{mod + "internal/rbac", mod + "internal/attackpath", mod + "internal/rules/attackpath"} {
		for _, d := range deps(t, p) {
			if strings.HasPrefix(d, "k8s.io/client-go/") {
				t.Errorf("%s depends on %s", p, d)
			}
		}
	}
}
