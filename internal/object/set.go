package object

import "slices"

// Set is every object of one scan, indexed for the rules that look across
// objects (a Service and the workloads it selects, the NetworkPolicies of a
// namespace, the bindings of a role). It is read-only after NewSet.
type Set struct {
	all    []*Object
	byKind map[string][]*Object
}

// NewSet indexes objs. The order of objs is kept.
func NewSet(objs []*Object) *Set {
	s := &Set{all: objs, byKind: make(map[string][]*Object)}
	for _, o := range objs {
		s.byKind[o.Kind] = append(s.byKind[o.Kind], o)
	}
	return s
}

// All returns every object in load order. Callers must not modify it.
func (s *Set) All() []*Object { return s.all }

// Kind returns the objects of one kind (any group or version).
func (s *Set) Kind(kind string) []*Object { return s.byKind[kind] }

// Workloads returns every object that has a pod template.
func (s *Set) Workloads() []*Object {
	var out []*Object
	for _, o := range s.all {
		if _, ok := o.PodTemplate(); ok {
			out = append(out, o)
		}
	}
	return out
}

// Namespaces returns the sorted effective namespaces that objects were found
// in, including those only declared by a Namespace object.
func (s *Set) Namespaces() []string {
	seen := map[string]bool{}
	for _, o := range s.all {
		if o.Kind == "Namespace" {
			seen[o.Name] = true
		} else if o.RawNamespace != "" {
			seen[o.RawNamespace] = true
		}
	}
	out := make([]string, 0, len(seen))
	for ns := range seen {
		out = append(out, ns)
	}
	slices.Sort(out)
	return out
}
