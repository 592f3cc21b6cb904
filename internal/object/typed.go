package object

import (
	"fmt"
	"strings"

	jsoniter "github.com/json-iterator/go"
	kjson "sigs.k8s.io/json"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
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

// fastJSON decodes typed objects for FromJSON about half again as fast as
// encoding/json, case-sensitively as the API server does; the API server
// used this configuration of json-iterator for years.
var fastJSON = jsoniter.Config{EscapeHTML: true, CaseSensitive: true}.Froze()

// FromJSON decodes one object written as JSON, as the API server sends it
// to an admission webhook, into the typed struct for gvk (or a generic map
// for kinds Palisade does not compile in). It records no source positions,
// which is what makes it fast: the webhook needs verdicts, not line
// numbers. Field names are matched case-sensitively, as the API server
// matches them. An empty namespace in the object is taken from namespace,
// the request's namespace, which the API server may not have written into
// the object yet.
func FromJSON(src Source, gvk schema.GroupVersionKind, namespace string, data []byte) (*Object, error) {
	o := &Object{Source: src, APIVersion: gvk.GroupVersion().String(), Kind: gvk.Kind}
	if typed := newTyped(gvk); typed != nil {
		if err := fastJSON.Unmarshal(data, typed); err != nil {
			// The fast decoder's messages are cryptic: decode again with
			// the standard one for the message people read.
			typed = newTyped(gvk)
			if err := kjson.UnmarshalCaseSensitivePreserveInts(data, typed); err != nil {
				return nil, fmt.Errorf("%s: %s", gvk.Kind, strings.TrimPrefix(err.Error(), "json: "))
			}
			return nil, fmt.Errorf("%s: %w", gvk.Kind, err)
		}
		typed.GetObjectKind().SetGroupVersionKind(gvk)
		o.Typed = typed
		if m, ok := typed.(metav1.Object); ok {
			if m.GetNamespace() == "" && namespace != "" {
				m.SetNamespace(namespace)
			}
			o.Name, o.RawNamespace = m.GetName(), m.GetNamespace()
		}
		return o, nil
	}
	var m map[string]any
	if err := kjson.UnmarshalCaseSensitivePreserveInts(data, &m); err != nil {
		return nil, fmt.Errorf("%s: %s", gvk.Kind, strings.TrimPrefix(err.Error(), "json: "))
	}
	if m == nil {
		return nil, fmt.Errorf("%s: the object is not a JSON object", gvk.Kind)
	}
	return FromGeneric(src, gvk, namespace, m), nil
}

// FromGeneric makes an object of a kind Palisade does not compile in from
// its decoded form m, as FromJSON does after decoding, for callers that
// hold the map already (a custom resource from the dynamic client). Numbers
// in m are int64 or float64, as sigs.k8s.io/json and the dynamic client
// give them. The object keeps m, and an empty namespace is taken from
// namespace.
func FromGeneric(src Source, gvk schema.GroupVersionKind, namespace string, m map[string]any) *Object {
	o := &Object{Source: src, APIVersion: gvk.GroupVersion().String(), Kind: gvk.Kind, Generic: m}
	md, _ := m["metadata"].(map[string]any)
	if md == nil {
		md = map[string]any{}
		m["metadata"] = md
	}
	o.Name, _ = md["name"].(string)
	o.RawNamespace, _ = md["namespace"].(string)
	if o.RawNamespace == "" && namespace != "" {
		md["namespace"], o.RawNamespace = namespace, namespace
	}
	return o
}
