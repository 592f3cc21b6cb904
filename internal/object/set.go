package object

import (
	"fmt"
	"slices"
	"sync"
)

// Set is every object of one scan, indexed for the rules that look across
// objects (a Service and the workloads it selects, the NetworkPolicies of a
// namespace, the bindings of a role). Indexes are built once in NewSet, so a
// rule that runs once per object can consult them without making the scan
// quadratic. A Set is read-only after NewSet and safe for concurrent use.
type Set struct {
	all       []*Object
	byKind    map[string][]*Object
	byKindNS  map[kindNS][]*Object
	byName    map[kindNSName]*Object // the first object of each name
	workloads map[string][]*Object   // by effective namespace

	memoMu sync.Mutex // guards memo
	memo   map[any]*memoEntry
}

type kindNS struct{ kind, ns string }

type kindNSName struct{ kind, ns, name string }

type memoEntry struct {
	once sync.Once
	val  any
	// failed is set while build runs and cleared when it returns, so it
	// stays set when build panicked.
	failed bool
}

// NewSet indexes objs. The order of objs is kept in every index. A set of
// one object, which is what an admission request evaluates, is not
// indexed: its queries compare against the object, and the maps would
// cost more than the whole lookup.
func NewSet(objs []*Object) *Set {
	s := &Set{all: objs}
	if len(objs) == 1 {
		return s
	}
	s.byKind = make(map[string][]*Object)
	s.byKindNS = make(map[kindNS][]*Object)
	s.byName = make(map[kindNSName]*Object, len(objs))
	s.workloads = make(map[string][]*Object)
	for _, o := range objs {
		s.byKind[o.Kind] = append(s.byKind[o.Kind], o)
		k := kindNS{o.Kind, o.Namespace()}
		s.byKindNS[k] = append(s.byKindNS[k], o)
		if kn := (kindNSName{o.Kind, k.ns, o.Name}); s.byName[kn] == nil {
			s.byName[kn] = o
		}
		if _, ok := o.PodTemplate(); ok {
			s.workloads[o.Namespace()] = append(s.workloads[o.Namespace()], o)
		}
	}
	return s
}

// only returns the set's one object when the set has one and it matches,
// for the queries of an unindexed set.
func (s *Set) only(match func(o *Object) bool) []*Object {
	if match(s.all[0]) {
		return s.all
	}
	return nil
}

// All returns every object in load order. Callers must not modify it.
func (s *Set) All() []*Object { return s.all }

// Kind returns the objects of one kind (any group or version).
func (s *Set) Kind(kind string) []*Object {
	if len(s.all) == 1 {
		return s.only(func(o *Object) bool { return o.Kind == kind })
	}
	return s.byKind[kind]
}

// InNamespace returns the objects of one kind in one effective namespace.
func (s *Set) InNamespace(kind, namespace string) []*Object {
	if len(s.all) == 1 {
		return s.only(func(o *Object) bool { return o.Kind == kind && o.Namespace() == namespace })
	}
	return s.byKindNS[kindNS{kind, namespace}]
}

// Lookup returns the object of the given kind, effective namespace and
// name (the first loaded when there are several), or nil. For
// cluster-scoped kinds pass DefaultNamespace or the namespace the manifest
// (wrongly) gave.
func (s *Set) Lookup(kind, namespace, name string) *Object {
	if len(s.all) == 1 {
		if m := s.only(func(o *Object) bool { return o.Kind == kind && o.Namespace() == namespace && o.Name == name }); m != nil {
			return m[0]
		}
		return nil
	}
	return s.byName[kindNSName{kind, namespace, name}]
}

// Workloads returns every object with a pod template, in load order.
func (s *Set) Workloads() []*Object {
	var out []*Object
	for _, o := range s.all {
		if _, ok := o.PodTemplate(); ok {
			out = append(out, o)
		}
	}
	return out
}

// WorkloadsIn returns the objects with a pod template in one effective
// namespace. Callers must not modify the slice.
func (s *Set) WorkloadsIn(namespace string) []*Object {
	if len(s.all) == 1 {
		return s.only(func(o *Object) bool {
			_, ok := o.PodTemplate()
			return ok && o.Namespace() == namespace
		})
	}
	return s.workloads[namespace]
}

// Memo returns the value build computes for key, computing it at most once
// per Set. Rules use it for summaries that many objects consult (the
// NetworkPolicies of each namespace, the Services selecting each workload);
// key should be a value of an unexported type of the rule's package so
// packages cannot collide. build must not call Memo with the same key. When
// build panics, the panic reaches the caller that ran it and every later
// call for key panics too, rather than returning a zero value.
func (s *Set) Memo(key any, build func() any) any {
	s.memoMu.Lock()
	e, ok := s.memo[key]
	if !ok {
		if s.memo == nil {
			s.memo = make(map[any]*memoEntry)
		}
		e = &memoEntry{}
		s.memo[key] = e
	}
	s.memoMu.Unlock()
	e.once.Do(func() {
		e.failed = true
		e.val = build()
		e.failed = false
	})
	if e.failed {
		panic(fmt.Sprintf("object: Memo: the build function for key %#v panicked", key))
	}
	return e.val
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
