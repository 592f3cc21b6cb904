package object

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// FromTyped wraps a typed object that did not come from a file (one read
// from the API server, for example) so that rules can check it like a
// decoded manifest. obj must be a pointer to a k8s.io/api struct of a kind
// Palisade compiles in (see scheme.go); its TypeMeta may be empty, as it is
// for the items of a list, and is filled in. The object has no source
// positions: Line is 0 and Position returns line 0 for every path.
//
// FromTyped takes ownership of obj: the caller must not modify it
// afterwards.
func FromTyped(obj runtime.Object, src Source) (*Object, error) {
	gvks, _, err := scheme.ObjectKinds(obj)
	if err != nil {
		return nil, fmt.Errorf("object: FromTyped: %w", err)
	}
	gvk := obj.GetObjectKind().GroupVersionKind()
	if gvk.Empty() {
		gvk = gvks[0]
		obj.GetObjectKind().SetGroupVersionKind(gvk)
	}
	o := &Object{Source: src, APIVersion: gvk.GroupVersion().String(), Kind: gvk.Kind, Typed: obj}
	if m, ok := obj.(metav1.Object); ok {
		o.Name, o.RawNamespace = m.GetName(), m.GetNamespace()
	}
	return o, nil
}
