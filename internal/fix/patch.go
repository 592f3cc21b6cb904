package fix

import (
	"fmt"
	"slices"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/palisade-dev/palisade/internal/rule"
)

// docState is one document of a file being fixed: its text and its value,
// which every applied operation keeps in step.
type docState struct {
	text  []byte
	value any
	st    *style
	// changed says some fix edited the document.
	changed bool
}

// touch records that a fix wrote a field in the current round.
type touch struct {
	fix     int
	created bool // a mapping the fix created, which later fixes may add to
}

// conflict is a fix that disagrees with one applied before it in the same
// round.
type conflict struct {
	with int // the earlier fix
	msg  string
}

func (c *conflict) Error() string { return c.msg }

// applier applies the operations of one fix to one object of a document:
// to a copy of the document's value and, one minimal edit at a time, to its
// text. Nothing is kept unless every operation succeeds.
type applier struct {
	ds     *docState
	prefix []string // the object's root within the document
	kind   string
	fix    int
	// touched are the fields written by the fixes applied in this round,
	// by pointer from the document's root.
	touched map[string]touch

	value   any
	text    []byte
	touches map[string]touch
	ops     []rule.PatchOp // the operations as applied, relative to the object
}

func newApplier(ds *docState, prefix []string, kind string, fix int, touched map[string]touch) *applier {
	return &applier{
		ds: ds, prefix: prefix, kind: kind, fix: fix, touched: touched,
		value: deepCopy(ds.value), text: ds.text, touches: map[string]touch{},
	}
}

// commit makes the applier's changes the document's.
func (a *applier) commit() {
	a.ds.value, a.ds.text = a.value, a.text
	if len(a.ops) > 0 {
		a.ds.changed = true
	}
	for k, t := range a.touches {
		a.touched[k] = t
	}
}

// apply applies the operations of a fix, given relative to the object.
func (a *applier) apply(ops []rule.PatchOp) error {
	for _, op := range ops {
		rel, err := parsePointer(op.Path)
		if err != nil {
			return err
		}
		if err := guard(rel); err != nil {
			return err
		}
		toks := append(slices.Clip(a.prefix), rel...)
		switch op.Op {
		case "test":
			want, err := normalize(op.Value)
			if err != nil {
				return err
			}
			if cur, ok := get(a.value, toks); !ok || !equal(cur, want) {
				if w, ok := a.writer(toks); ok {
					return &conflict{with: w, msg: "an earlier fix changed the field it expects"}
				}
				return fmt.Errorf("test of %s failed", op.Path)
			}
		case "remove":
			if err := a.remove(toks); err != nil {
				return err
			}
		case "add", "replace":
			v, err := normalize(op.Value)
			if err != nil {
				return err
			}
			if err := a.add(toks, v, op.Op == "replace"); err != nil {
				return err
			}
		default:
			return fmt.Errorf("unsupported JSON Patch operation %q", op.Op)
		}
	}
	return nil
}

// guarded are fields no fix may change: they identify the object or
// change what it runs (a replica count), which no security fix needs.
var guarded = [][]string{
	{"kind"}, {"metadata", "name"}, {"metadata", "namespace"}, {"spec", "replicas"}, {"spec", "selector"},
}

func guard(rel []string) error {
	for _, g := range guarded {
		if len(rel) >= len(g) && slices.Equal(rel[:len(g)], g) || len(rel) < len(g) && slices.Equal(g[:len(rel)], rel) {
			return refuse("fixes may not change %s", strings.Join(g, "."))
		}
	}
	return nil
}

// writer returns the other fix that wrote toks, one of its ancestors or
// one of its descendants in this round, ignoring mappings created above
// toks (which later fixes may add to).
func (a *applier) writer(toks []string) (int, bool) {
	p := pointer(toks)
	for k, t := range a.touched {
		if t.fix == a.fix {
			continue
		}
		switch {
		case k == p:
			return t.fix, true
		case strings.HasPrefix(p, k+"/"):
			if !t.created {
				return t.fix, true
			}
		case strings.HasPrefix(k, p+"/"):
			return t.fix, true
		}
	}
	return 0, false
}

func (a *applier) conflictAt(toks []string) error {
	if w, ok := a.writer(toks); ok {
		return &conflict{with: w, msg: fmt.Sprintf("another fix already changed %s", pointer(toks[len(a.prefix):]))}
	}
	return nil
}

// mark records that this fix wrote v at toks; mappings it created are
// open to additions by later fixes.
func (a *applier) mark(toks []string, v any, created bool) {
	p := pointer(toks)
	m, isMap := v.(map[string]any)
	a.touches[p] = touch{fix: a.fix, created: created && isMap}
	if created && isMap {
		for k, x := range m {
			a.mark(append(slices.Clip(toks), k), x, true)
		}
	}
}

func (a *applier) record(op string, toks []string, v any) {
	a.ops = append(a.ops, rule.PatchOp{Op: op, Path: pointer(toks[len(a.prefix):]), Value: v})
}

// edit runs one text edit on a fresh parse of the document.
func (a *applier) edit(fn func(d *ydoc) ([]byte, error)) error {
	d, err := parseDoc(a.text, a.ds.st)
	if err != nil {
		return fmt.Errorf("the document no longer parses: %w", err)
	}
	a.ds.st.kind = a.kind
	out, err := fn(d)
	if err != nil {
		return err
	}
	a.text = out
	return nil
}

// rel returns toks relative to the object's root, for key order.
func (a *applier) rel(toks []string) []string {
	return toks[len(a.prefix):]
}

func (a *applier) remove(toks []string) error {
	if len(toks) == len(a.prefix) {
		return refuse("a fix may not remove the whole object")
	}
	if _, ok := get(a.value, toks); !ok {
		if _, ok := a.writer(toks); ok {
			return nil // an earlier fix removed it already
		}
		return fmt.Errorf("nothing to remove at %s", pointer(a.rel(toks)))
	}
	if err := a.conflictAt(toks); err != nil {
		return err
	}
	if err := a.removeText(toks); err != nil {
		return err
	}
	v, err := put(a.value, toks, nil, false, true)
	if err != nil {
		return err
	}
	a.value = v
	a.mark(toks, nil, false)
	a.record("remove", toks, nil)
	return nil
}

func (a *applier) removeText(toks []string) error {
	return a.edit(func(d *ydoc) ([]byte, error) {
		steps, missing, err := d.lookup(toks)
		if err != nil {
			return nil, err
		}
		if missing > 0 {
			return nil, fmt.Errorf("field %s not found in the text", pointer(a.rel(toks)))
		}
		s := steps[len(steps)-1]
		if s.merged {
			return nil, refuse("field %q comes from a merge key (<<); remove it from the merged mapping by hand", toks[len(toks)-1])
		}
		parent := steps[len(steps)-2]
		if s.parent.Kind == yaml.MappingNode {
			return d.removeKey(parent, s.index)
		}
		return d.removeItem(parent, s.index)
	})
}

// add applies an add (or replace, which requires the target to exist).
func (a *applier) add(toks []string, v any, replace bool) error {
	if len(toks) == len(a.prefix) {
		return refuse("a fix may not replace the whole object")
	}
	parentToks, last := toks[:len(toks)-1], toks[len(toks)-1]
	parent, ok := get(a.value, parentToks)
	if !ok {
		return fmt.Errorf("%w: %s", errNoParent, pointer(a.rel(toks)))
	}
	switch p := parent.(type) {
	case []any:
		i, err := arrayIndex(last, len(p), !replace)
		if err != nil {
			return err
		}
		at := append(slices.Clip(parentToks), itoa(i))
		if replace {
			return a.set(at, v)
		}
		if err := a.conflictAt(parentToks); err != nil {
			return err
		}
		if err := a.edit(func(d *ydoc) ([]byte, error) {
			steps, missing, err := d.lookup(parentToks)
			if err != nil {
				return nil, err
			}
			if missing > 0 {
				return nil, fmt.Errorf("list %s not found in the text", pointer(a.rel(parentToks)))
			}
			s, err := own(steps)
			if err != nil {
				return nil, err
			}
			return d.insertItem(s, i, v, a.rel(parentToks))
		}); err != nil {
			return err
		}
		nv, err := put(a.value, at, v, true, false)
		if err != nil {
			return err
		}
		a.value = nv
		a.mark(at, v, true)
		a.record("add", at, v)
		return nil
	case map[string]any:
		if _, exists := p[last]; exists {
			return a.set(toks, v)
		}
		if replace {
			return fmt.Errorf("nothing to replace at %s", pointer(a.rel(toks)))
		}
		if err := a.conflictAt(toks); err != nil {
			return err
		}
		if err := a.edit(func(d *ydoc) ([]byte, error) {
			steps, missing, err := d.lookup(parentToks)
			if err != nil {
				return nil, err
			}
			if missing > 0 {
				return nil, fmt.Errorf("mapping %s not found in the text", pointer(a.rel(parentToks)))
			}
			s, err := own(steps)
			if err != nil {
				return nil, err
			}
			return d.insertKey(s, last, v, a.rel(parentToks))
		}); err != nil {
			return err
		}
		p[last] = v
		a.mark(toks, v, true)
		a.record("add", toks, v)
		return nil
	}
	return fmt.Errorf("%w: %s is not an object or a list", errNoParent, pointer(a.rel(parentToks)))
}

// set gives the existing field at toks the value v. A mapping that an
// earlier fix of this round created is merged into rather than replaced,
// so that two fixes that each create securityContext both take effect.
func (a *applier) set(toks []string, v any) error {
	cur, _ := get(a.value, toks)
	if equal(cur, v) {
		return nil // already so, perhaps thanks to an earlier fix
	}
	if t, ok := a.touched[pointer(toks)]; ok && t.created && t.fix != a.fix {
		if cm, ok := cur.(map[string]any); ok {
			if vm, ok := v.(map[string]any); ok {
				for _, k := range sortKeys("", keysOfMap(vm)) {
					sub := append(slices.Clip(toks), k)
					if _, exists := cm[k]; exists {
						if err := a.set(sub, vm[k]); err != nil {
							return err
						}
						continue
					}
					if err := a.add(sub, vm[k], false); err != nil {
						return err
					}
				}
				return nil
			}
		}
	}
	if err := a.conflictAt(toks); err != nil {
		return err
	}
	if err := a.diff(toks, cur, v); err != nil {
		return err
	}
	nv, err := put(a.value, toks, v, false, false)
	if err != nil {
		return err
	}
	a.value = nv
	a.mark(toks, v, false)
	a.record("replace", toks, v)
	return nil
}

func keysOfMap(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// diff edits the text at toks from old to new with the fewest changes:
// fields and items that stay keep their text, comments and style.
func (a *applier) diff(toks []string, old, new any) error {
	if equal(old, new) {
		return nil
	}
	merged := false
	if err := a.edit(func(d *ydoc) ([]byte, error) {
		steps, missing, err := d.lookup(toks)
		if err != nil {
			return nil, err
		}
		if missing > 0 {
			return nil, fmt.Errorf("field %s not found in the text", pointer(a.rel(toks)))
		}
		s := steps[len(steps)-1]
		if s.merged {
			// Give the mapping its own key, which overrides the merged one.
			merged = true
			return d.insertKey(steps[len(steps)-2], toks[len(toks)-1], new, a.rel(toks[:len(toks)-1]))
		}
		if s.node.Kind == yaml.AliasNode {
			// An alias is replaced whole; what it refers to stays.
			merged = true
			return d.replace(s, new, a.rel(toks))
		}
		return d.src, nil
	}); err != nil || merged {
		return err
	}
	om, ok1 := old.(map[string]any)
	nm, ok2 := new.(map[string]any)
	if ok1 && ok2 && len(om) > 0 && len(nm) > 0 {
		for _, k := range keysOfMap(om) {
			if _, keep := nm[k]; !keep {
				if err := a.removeText(append(slices.Clip(toks), k)); err != nil {
					return err
				}
			}
		}
		for _, k := range keysOfMap(nm) {
			if ov, ok := om[k]; ok {
				if err := a.diff(append(slices.Clip(toks), k), ov, nm[k]); err != nil {
					return err
				}
			}
		}
		for _, k := range sortKeys(mappingContext(a.rel(toks), a.kind, keysOfMap(nm)), keysOfMap(nm)) {
			if _, ok := om[k]; ok {
				continue
			}
			if err := a.edit(func(d *ydoc) ([]byte, error) {
				steps, _, err := d.lookup(toks)
				if err != nil {
					return nil, err
				}
				s, err := own(steps)
				if err != nil {
					return nil, err
				}
				return d.insertKey(s, k, nm[k], a.rel(toks))
			}); err != nil {
				return err
			}
		}
		return nil
	}
	oa, ok1 := old.([]any)
	na, ok2 := new.([]any)
	if ok1 && ok2 && len(oa) > 0 && len(na) > 0 {
		switch {
		case len(oa) == len(na):
			for i := range oa {
				if err := a.diff(append(slices.Clip(toks), itoa(i)), oa[i], na[i]); err != nil {
					return err
				}
			}
			return nil
		case subsequence(na, oa) != nil:
			keep := subsequence(na, oa)
			for i := len(oa) - 1; i >= 0; i-- {
				if !keep[i] {
					if err := a.removeText(append(slices.Clip(toks), itoa(i))); err != nil {
						return err
					}
				}
			}
			return nil
		case subsequence(oa, na) != nil:
			keep := subsequence(oa, na)
			for i := range na {
				if keep[i] {
					continue
				}
				if err := a.edit(func(d *ydoc) ([]byte, error) {
					steps, _, err := d.lookup(toks)
					if err != nil {
						return nil, err
					}
					s, err := own(steps)
					if err != nil {
						return nil, err
					}
					return d.insertItem(s, i, na[i], a.rel(toks))
				}); err != nil {
					return err
				}
			}
			return nil
		}
	}
	return a.edit(func(d *ydoc) ([]byte, error) {
		steps, _, err := d.lookup(toks)
		if err != nil {
			return nil, err
		}
		s, err := own(steps)
		if err != nil {
			return nil, err
		}
		return d.replace(s, new, a.rel(toks))
	})
}

// subsequence reports which elements of long make up short, in order
// (greedily), or nil if short is not a subsequence of long.
func subsequence(short, long []any) []bool {
	keep := make([]bool, len(long))
	j := 0
	for i := range long {
		if j < len(short) && equal(long[i], short[j]) {
			keep[i] = true
			j++
		}
	}
	if j < len(short) {
		return nil
	}
	return keep
}

// own returns the last step of a lookup, refusing a field that comes from
// a merge key: editing it would edit the merged mapping.
func own(steps []step) (step, error) {
	s := steps[len(steps)-1]
	if s.merged {
		return s, refuse("the field comes from a merge key (<<); edit the merged mapping by hand")
	}
	return s, nil
}
