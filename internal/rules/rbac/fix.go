package rbac

import (
	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/palisade-dev/palisade/internal/rule"
)

// removeSubject returns the unsafe fix that removes subject s, at index i,
// from a binding, after testing that the index still holds it. note says
// what to check.
func removeSubject(i int, s rbacv1.Subject, note string) *rule.Fix {
	p := subjectPath(i)
	return &rule.Fix{
		Patch: []rule.PatchOp{
			{Op: "test", Path: p.Field("kind").Pointer(), Value: s.Kind},
			{Op: "test", Path: p.Field("name").Pointer(), Value: s.Name},
			rule.Remove(p),
		},
		Unsafe: true,
		Note:   note,
	}
}

// removeResourcesFix returns the unsafe fix that takes the requests reqs
// out of the policy rule of grant g by removing the resources that name
// them exactly, and the whole policy rule when no resource is left. It
// returns nil where that is not enough (a wildcard such as "*" or "*/exec"
// grants them, and removing it would take away much more) or would not
// last (the controller rewrites the rules of an aggregated ClusterRole).
func removeResourcesFix(g grant, reqs []request, note string) *rule.Fix {
	elems, err := g.path.Elems()
	if err != nil || len(elems) < 2 || !elems[1].IsIndex || g.role.aggregation != nil {
		return nil
	}
	i := elems[1].Index
	pr := g.role.rules[i]
	remove := map[string]bool{}
	for _, q := range reqs {
		remove[q.resource] = true
	}
	var keep []string
	for _, r := range pr.Resources {
		if !remove[r] {
			keep = append(keep, r)
		}
	}
	after := pr
	after.Resources = keep
	for _, q := range reqs {
		if allows(after, q) {
			return nil
		}
	}
	at := rulePath(i)
	ops := []rule.PatchOp{{Op: "test", Path: at.Field("resources").Pointer(), Value: pr.Resources}}
	if len(keep) == 0 {
		ops = append(ops, rule.Remove(at))
	} else {
		ops = append(ops, rule.Set(at.Field("resources"), keep))
	}
	return &rule.Fix{Patch: ops, Unsafe: true, Note: note}
}
