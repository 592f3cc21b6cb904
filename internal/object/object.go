package object

import (
	"fmt"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Source says where an object came from.
type Source struct {
	// File is the path as given on the command line (or "-" for stdin, or a
	// synthetic name such as a cluster URL for other sources).
	File string
	// Doc is the 0-based index of the YAML document within File.
	Doc int
}

// Object is one Kubernetes object with its origin. Objects are read-only once
// loaded; rules running in parallel share them.
type Object struct {
	Source Source
	// Line is where the object starts in Source.File (1-based).
	Line int

	// Mapper is set on generated objects (rendered from a Helm chart or
	// built by Kustomize): Position then reports places in the generated
	// text, and Mapper maps them back to the files a person edits (see
	// Origin and Locate). It is nil for objects read from manifests.
	Mapper OriginMapper

	APIVersion string
	Kind       string
	Name       string
	// Namespace is as written; use Namespace() for the effective namespace.
	RawNamespace string

	// Typed is the decoded k8s.io/api struct (a pointer) for kinds Palisade
	// compiles in; nil otherwise.
	Typed runtime.Object
	// Generic holds the decoded document for kinds without a compiled-in type
	// (custom resources, component configuration files); nil when Typed is set.
	Generic map[string]any

	pos positions

	podOnce sync.Once
	pod     PodTemplate
	hasPod  bool
}

// GVK returns the object's group, version and kind.
func (o *Object) GVK() schema.GroupVersionKind {
	return schema.FromAPIVersionAndKind(o.APIVersion, o.Kind)
}

// Group returns the object's API group ("" for the core group).
func (o *Object) Group() string { return o.GVK().Group }

// DefaultNamespace is where namespaced objects without a namespace land.
const DefaultNamespace = "default"

// Namespace returns the effective namespace of a namespaced object: the one
// written, or "default".
func (o *Object) Namespace() string {
	if o.RawNamespace == "" {
		return DefaultNamespace
	}
	return o.RawNamespace
}

// Meta returns the object's metadata for typed objects, or nil.
func (o *Object) Meta() *metav1.ObjectMeta {
	if acc, ok := o.Typed.(metav1.ObjectMetaAccessor); ok {
		if m, ok := acc.GetObjectMeta().(*metav1.ObjectMeta); ok {
			return m
		}
	}
	return nil
}

// Labels returns the object's labels, for typed and generic objects alike.
func (o *Object) Labels() map[string]string {
	if m := o.Meta(); m != nil {
		return m.Labels
	}
	return stringMap(o.GenericField("metadata", "labels"))
}

// Annotations returns the object's annotations, for typed and generic objects.
func (o *Object) Annotations() map[string]string {
	if m := o.Meta(); m != nil {
		return m.Annotations
	}
	return stringMap(o.GenericField("metadata", "annotations"))
}

// GenericField walks the generic document by keys and returns what it finds,
// or nil. It returns nil for typed objects.
func (o *Object) GenericField(keys ...string) any {
	var cur any = o.Generic
	for _, k := range keys {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[k]
	}
	return cur
}

// Position returns where the field at p was written, or where its nearest
// written ancestor was, and whether p itself was found.
func (o *Object) Position(p Path) (Position, bool) {
	pos, ok := o.pos.find(p)
	if pos.Line == 0 {
		pos = Position{Line: o.Line, Column: 1}
	}
	return pos, ok
}

// Ref returns a short human reference such as `Deployment default/web`.
func (o *Object) Ref() string {
	if o.RawNamespace == "" {
		return fmt.Sprintf("%s %s", o.Kind, o.Name)
	}
	return fmt.Sprintf("%s %s/%s", o.Kind, o.RawNamespace, o.Name)
}

func stringMap(v any) map[string]string {
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out
}
