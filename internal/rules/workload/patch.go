package workload

import (
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
)

// setField returns a patch that sets the field reached from parent through
// keys to value. Only the first have keys exist in the object; the others
// are created as nested objects, since JSON Patch cannot add a member to an
// object that is not there. For example, with keys securityContext and
// runAsNonRoot and have 0 it adds securityContext: {runAsNonRoot: true}.
func setField(parent object.Path, have int, value any, keys ...string) rule.PatchOp {
	p := parent
	for _, k := range keys[:have+1] {
		p = p.Field(k)
	}
	for i := len(keys) - 1; i > have; i-- {
		value = map[string]any{keys[i]: value}
	}
	return rule.Set(p, value)
}

// setContainerField returns a patch that sets securityContext.name of a
// container to value, creating the securityContext if it is missing.
func setContainerField(c object.Container, name string, value any) rule.PatchOp {
	have := 0
	if c.SecurityContext != nil {
		have = 1
	}
	return setField(c.Path, have, value, "securityContext", name)
}

// removeElement returns a patch that removes the list element at elem after
// testing that the field at check still holds want. Each finding carries its
// own patch; the test makes a patch that has gone stale, because an earlier
// removal shifted the list, fail instead of removing a neighbour.
func removeElement(elem, check object.Path, want any) []rule.PatchOp {
	return []rule.PatchOp{{Op: "test", Path: check.Pointer(), Value: want}, rule.Remove(elem)}
}
