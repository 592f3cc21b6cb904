package controlplane

import (
	"fmt"

	"github.com/palisade-dev/palisade/internal/object"
)

// isComponentConfig reports whether o is a component configuration file of
// the given API group and kind, in any version. Such files have no
// compiled-in type and are decoded into o.Generic.
func isComponentConfig(o *object.Object, group, kind string) bool {
	return o.Generic != nil && o.Group() == group && o.Kind == kind
}

// genericField returns the value at p, a path of field names, in a generic
// object, and whether it is set (present and not null).
func genericField(o *object.Object, p object.Path) (any, bool, error) {
	elems, err := p.Elems()
	if err != nil {
		return nil, false, err
	}
	keys := make([]string, len(elems))
	for i, e := range elems {
		if e.IsIndex {
			return nil, false, fmt.Errorf("%s: not a path of field names", p)
		}
		keys[i] = e.Key
	}
	v := o.GenericField(keys...)
	return v, v != nil, nil
}

// genericBool returns the boolean at p and whether it is set. A value of
// another type is an error: the component rejects such a file.
func genericBool(o *object.Object, p object.Path) (value, set bool, err error) {
	v, set, err := genericField(o, p)
	if !set || err != nil {
		return false, false, err
	}
	b, ok := v.(bool)
	if !ok {
		return false, false, fmt.Errorf("%s: %v is not a boolean", p, v)
	}
	return b, true, nil
}

// genericString returns the string at p and whether it is set.
func genericString(o *object.Object, p object.Path) (value string, set bool, err error) {
	v, set, err := genericField(o, p)
	if !set || err != nil {
		return "", false, err
	}
	s, ok := v.(string)
	if !ok {
		return "", false, fmt.Errorf("%s: %v is not a string", p, v)
	}
	return s, true, nil
}

// genericInt returns the integer at p and whether it is set.
func genericInt(o *object.Object, p object.Path) (value int64, set bool, err error) {
	v, set, err := genericField(o, p)
	if !set || err != nil {
		return 0, false, err
	}
	switch n := v.(type) {
	case int64:
		return n, true, nil
	case float64:
		if n == float64(int64(n)) {
			return int64(n), true, nil
		}
	}
	return 0, false, fmt.Errorf("%s: %v is not an integer", p, v)
}
