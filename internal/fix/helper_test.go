package fix

import (
	"testing"

	"github.com/palisade-dev/palisade/internal/engine"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
	"github.com/palisade-dev/palisade/internal/rules"
)

// scanner returns a Scan function over the whole default catalog.
func scanner(t testing.TB) func([]*object.Object) *engine.Result {
	t.Helper()
	sel, err := engine.Select(rules.All(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return func(objs []*object.Object) *engine.Result {
		return engine.Run(object.NewSet(objs), engine.Options{
			Rules:       sel,
			RuleOptions: rule.Options{PSSLevel: "restricted", PSSVersion: "latest"},
			Workers:     1,
		})
	}
}
