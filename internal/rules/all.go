// Package rules lists Palisade's rule catalog. The list is explicit and
// sorted by ID: adding a rule means adding one line here, and the catalog
// test checks order, uniqueness, metadata and fixtures for every entry.
package rules

import (
	"github.com/palisade-dev/palisade/internal/rule"
	"github.com/palisade-dev/palisade/internal/rules/workload"
)

// All returns every rule in the catalog, sorted by ID. The slice is new on
// each call; the rules it points to are shared and must not be modified.
func All() []*rule.Rule {
	return []*rule.Rule{
		workload.Privileged,
	}
}

// ByID returns the rule with the given ID or alias, or nil.
func ByID(id string) *rule.Rule {
	for _, r := range All() {
		if r.ID == id {
			return r
		}
		for _, a := range r.Aliases {
			if a == id {
				return r
			}
		}
	}
	return nil
}
