package admission

import (
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	jsoniter "github.com/json-iterator/go"
	"github.com/modern-go/reflect2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// reviewDecoders replaces json-iterator's generic decoders for the types
// that cost the most per review and need no reflection: the string maps
// of labels, annotations and selectors, resource lists, quantities and
// int-or-strings, and managedFields, which are skipped unread; and it
// sizes every other slice exactly (exactSliceDecoder). All of them
// accept and reject what encoding/json does and produce the same values
// (FuzzParseReviewMatchesStandardDecode checks both), so only the cost
// changes: the generic map decoder allocates a key and a value per entry
// on top of the map's own, and the two unmarshalers re-parse text that
// json-iterator has already scanned, IntOrString through encoding/json.
type reviewDecoders struct{ jsoniter.DummyExtension }

var (
	managedFieldsType = reflect2.TypeOf([]metav1.ManagedFieldsEntry(nil))
	stringMapType     = reflect2.TypeOf(map[string]string(nil))
	resourceListType  = reflect2.TypeOf(corev1.ResourceList(nil))
	quantityType      = reflect2.TypeOf(resource.Quantity{})
	intOrStringType   = reflect2.TypeOf(intstr.IntOrString{})
	bytesType         = reflect2.TypeOf([]byte(nil))
)

func (*reviewDecoders) CreateDecoder(typ reflect2.Type) jsoniter.ValDecoder {
	switch typ {
	case managedFieldsType:
		return skipDecoder{}
	case stringMapType:
		return stringMapDecoder{}
	case resourceListType:
		return resourceListDecoder{}
	case quantityType:
		return quantityDecoder{}
	case intOrStringType:
		return intOrStringDecoder{}
	}
	return nil
}

// DecorateDecoder gives every slice an exactSliceDecoder around the
// decoder it has, except []byte (base64 text) and managedFields, which
// are skipped.
func (*reviewDecoders) DecorateDecoder(typ reflect2.Type, dec jsoniter.ValDecoder) jsoniter.ValDecoder {
	if st, ok := typ.(*reflect2.UnsafeSliceType); ok && typ.Kind() == reflect.Slice && typ != bytesType && typ != managedFieldsType {
		return newExactSliceDecoder(st, dec)
	}
	return dec
}

// exactSliceDecoder decodes a JSON array into a slice of exactly its
// length. json-iterator grows a slice by doubling as it reads, which for
// the three containers of a Deployment allocates room for seven (1, 2 and
// 4), and as much again for their ports, variables and mounts: slice
// growth was an eighth of the bytes a review allocated. This decoder lets
// json-iterator's own decoder fill a pooled scratch slice, whose room
// stays from one review to the next, and copies the elements into one
// allocation of the right size. The scratch elements are zeroed before the
// scratch goes back to the pool, so nothing of one review reaches the
// next, and nothing stays reachable.
type exactSliceDecoder struct {
	typ     *reflect2.UnsafeSliceType
	zero    unsafe.Pointer // a zero element
	decoder jsoniter.ValDecoder
	scratch sync.Pool // unsafe.Pointer to a slice of typ
}

// maxScratch bounds the scratch slices kept: a rare review with thousands
// of elements in one array should not pin them in the pool.
const maxScratch = 256

func newExactSliceDecoder(typ *reflect2.UnsafeSliceType, dec jsoniter.ValDecoder) *exactSliceDecoder {
	d := &exactSliceDecoder{typ: typ, zero: typ.Elem().UnsafeNew(), decoder: dec}
	d.scratch.New = func() any { return typ.UnsafeNew() }
	return d
}

func (d *exactSliceDecoder) Decode(ptr unsafe.Pointer, it *jsoniter.Iterator) {
	if it.WhatIsNext() != jsoniter.ArrayValue {
		d.decoder.Decode(ptr, it) // null, and the errors, as json-iterator has them
		return
	}
	scratch := d.scratch.Get().(unsafe.Pointer) //nolint:forcetypeassert,errcheck // only this decoder fills the pool
	d.decoder.Decode(scratch, it)
	n := d.typ.UnsafeLengthOf(scratch)
	out := d.typ.UnsafeMakeSlice(n, n)
	for i := range n {
		d.typ.UnsafeSetIndex(out, i, d.typ.UnsafeGetIndex(scratch, i))
		d.typ.UnsafeSetIndex(scratch, i, d.zero)
	}
	d.typ.UnsafeSet(ptr, out)
	if c := d.typ.UnsafeCap(scratch); c > 0 && c <= maxScratch {
		d.scratch.Put(scratch)
	}
}

// skipDecoder decodes a value as its zero value, skipping its JSON: no
// rule reads managedFields, which the API server fills in before
// admission and which are often the largest part of an object.
type skipDecoder struct{}

func (skipDecoder) Decode(_ unsafe.Pointer, it *jsoniter.Iterator) { //nolint:gosec // the pointer is not used
	if !fastSkip(it) {
		it.Skip()
	}
}

// stringMapDecoder decodes a map[string]string.
type stringMapDecoder struct{}

func (stringMapDecoder) Decode(ptr unsafe.Pointer, it *jsoniter.Iterator) {
	readMap((*map[string]string)(ptr), it, (*jsoniter.Iterator).ReadString)
}

// resourceListDecoder decodes a corev1.ResourceList, with quantityDecoder's
// values.
type resourceListDecoder struct{}

func (resourceListDecoder) Decode(ptr unsafe.Pointer, it *jsoniter.Iterator) {
	readMap((*corev1.ResourceList)(ptr), it, func(it *jsoniter.Iterator) (q resource.Quantity) {
		readQuantity(&q, it)
		return q
	})
}

// readMap decodes a JSON object into *mp, each value with read, as
// encoding/json decodes a map: null makes it nil, and an object, even an
// empty one, makes it if it is nil and adds to it.
func readMap[M ~map[K]V, K ~string, V any](mp *M, it *jsoniter.Iterator, read func(*jsoniter.Iterator) V) {
	if it.WhatIsNext() == jsoniter.NilValue {
		it.Skip()
		*mp = nil
		return
	}
	if *mp == nil {
		*mp = make(M)
	}
	m := *mp
	it.ReadMapCB(func(it *jsoniter.Iterator, key string) bool {
		m[K(key)] = read(it)
		return it.Error == nil
	})
}

// quantityDecoder decodes a resource.Quantity as its UnmarshalJSON does.
type quantityDecoder struct{}

func (quantityDecoder) Decode(ptr unsafe.Pointer, it *jsoniter.Iterator) {
	readQuantity((*resource.Quantity)(ptr), it)
}

// readQuantity parses a quoted quantity from the body's bytes, as
// Quantity.UnmarshalJSON does: without unescaping, so that a backslash is
// the error it is there. Anything else (null, a bare number, an error)
// goes to UnmarshalJSON itself.
func readQuantity(q *resource.Quantity, it *jsoniter.Iterator) {
	if it.WhatIsNext() != jsoniter.StringValue {
		if err := q.UnmarshalJSON(it.SkipAndReturnBytes()); err != nil {
			it.ReportError("Quantity", err.Error())
		}
		return
	}
	// The bytes up to the next quote, which ends the string unless a
	// backslash escaped it; either way a backslash makes the text no
	// quantity.
	raw := it.ReadStringAsSlice()
	for _, c := range raw {
		if c < ' ' {
			// Not JSON: encoding/json and ReadString refuse it.
			it.ReportError("Quantity", "control character in string")
			return
		}
	}
	parsed, err := resource.ParseQuantity(strings.TrimSpace(string(raw)))
	if err != nil {
		it.ReportError("Quantity", err.Error())
		return
	}
	*q = parsed
}

// intOrStringDecoder decodes an intstr.IntOrString as its UnmarshalJSON
// does, without going through encoding/json: a string is a String; null
// and an integer in int32's range are an Int; anything else is an error.
type intOrStringDecoder struct{}

func (intOrStringDecoder) Decode(ptr unsafe.Pointer, it *jsoniter.Iterator) {
	v := (*intstr.IntOrString)(ptr)
	switch it.WhatIsNext() {
	case jsoniter.StringValue:
		v.Type, v.StrVal = intstr.String, it.ReadString()
	case jsoniter.NilValue:
		it.Skip()
		v.Type = intstr.Int
	case jsoniter.NumberValue:
		// Skip validates the number's JSON; ParseInt then refuses
		// fractions, exponents and what int32 cannot hold, as
		// encoding/json does for an int32.
		n, err := strconv.ParseInt(string(it.SkipAndReturnBytes()), 10, 32)
		if err != nil {
			it.ReportError("IntOrString", err.Error())
			return
		}
		v.Type, v.IntVal = intstr.Int, int32(n)
	default:
		it.ReportError("IntOrString", "expects a string or an integer")
	}
}
