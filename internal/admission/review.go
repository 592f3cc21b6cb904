package admission

import (
	"encoding/json"
	"errors"
	"io"

	jsoniter "github.com/json-iterator/go"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/palisade-dev/palisade/internal/object"
)

// reviewJSON decodes reviews: json-iterator, configured as the API server
// configured it for years (case-sensitive), is about twice as fast as
// encoding/json here, and decoding is a large share of a request's cost.
// reviewDecoders makes it faster still for the types it decodes most.
var reviewJSON = func() jsoniter.API {
	api := jsoniter.Config{EscapeHTML: true, CaseSensitive: true}.Froze()
	api.RegisterExtension(&reviewDecoders{})
	return api
}()

// incoming is a decoded AdmissionReview.
type incoming struct {
	review admissionv1.AdmissionReview
	// object is the request's object, decoded straight from the body into
	// its typed struct when the request names a compiled-in kind before
	// the object (the API server writes kind first); nil otherwise, and
	// then review.Request.Object.Raw holds the object's JSON.
	object *object.Object
}

// parseReview decodes an AdmissionReview in one pass. The request's object
// is decoded where it stands instead of being copied out and decoded
// again, which halves the work for the largest part of the body; keepRaw
// keeps its JSON as well, for the mutating endpoint, which patches text.
// Any error is reported from a second, standard decode, whose messages
// people can read.
func parseReview(body []byte, keepRaw bool) (*incoming, error) {
	in := &incoming{}
	it := reviewJSON.BorrowIterator(body)
	defer reviewJSON.ReturnIterator(it)
	rv := &in.review
	it.ReadObjectCB(func(it *jsoniter.Iterator, field string) bool {
		switch field {
		case "apiVersion":
			rv.APIVersion = it.ReadString()
		case "kind":
			rv.Kind = it.ReadString()
		case "request":
			if it.WhatIsNext() == jsoniter.NilValue {
				it.Skip()
				return true
			}
			rv.Request = &admissionv1.AdmissionRequest{}
			in.readRequest(it, keepRaw)
		case "response":
			rv.Response = &admissionv1.AdmissionResponse{}
			it.ReadVal(rv.Response)
		default:
			it.Skip()
		}
		return it.Error == nil
	})
	if it.Error == nil {
		// Only white space may follow the review. WhatIsNext says
		// InvalidValue both at the end of the body, with io.EOF, and at a
		// stray '}' or ',', without.
		next := it.WhatIsNext()
		switch {
		case next == jsoniter.InvalidValue && errors.Is(it.Error, io.EOF):
			it.Error = nil // the end of the body, as it should be
		case it.Error == nil:
			it.ReportError("parseReview", "data after the review")
		}
	}
	if it.Error != nil {
		var std admissionv1.AdmissionReview
		if err := json.Unmarshal(body, &std); err != nil {
			return nil, err
		}
		if std.Request != nil && len(std.Request.Object.Raw) > 0 {
			// The review is sound; its object is not. Leave it to
			// decode's readable error.
			return &incoming{review: std}, nil
		}
		return nil, it.Error
	}
	return in, nil
}

func (in *incoming) readRequest(it *jsoniter.Iterator, keepRaw bool) {
	req := in.review.Request
	it.ReadObjectCB(func(it *jsoniter.Iterator, field string) bool {
		switch field {
		case "object":
			in.readObject(it, keepRaw)
		case "oldObject":
			if it.WhatIsNext() == jsoniter.NilValue {
				it.Skip()
			} else {
				req.OldObject.Raw = it.SkipAndReturnBytes()
			}
		case "options":
			it.Skip() // nothing Palisade decides depends on the options
		case "uid":
			it.ReadVal(&req.UID)
		case "kind":
			it.ReadVal(&req.Kind)
		case "resource":
			it.ReadVal(&req.Resource)
		case "subResource":
			req.SubResource = it.ReadString()
		case "requestKind":
			req.RequestKind = &metav1.GroupVersionKind{}
			it.ReadVal(req.RequestKind)
		case "requestResource":
			req.RequestResource = &metav1.GroupVersionResource{}
			it.ReadVal(req.RequestResource)
		case "requestSubResource":
			req.RequestSubResource = it.ReadString()
		case "name":
			req.Name = it.ReadString()
		case "namespace":
			req.Namespace = it.ReadString()
		case "operation":
			it.ReadVal(&req.Operation)
		case "userInfo":
			it.ReadVal(&req.UserInfo)
		case "dryRun":
			req.DryRun = new(bool)
			it.ReadVal(req.DryRun)
		default:
			it.Skip()
		}
		return it.Error == nil
	})
}

// readObject decodes the request's object into its typed struct when the
// kind is known and compiled in, else keeps its JSON.
func (in *incoming) readObject(it *jsoniter.Iterator, keepRaw bool) {
	req := in.review.Request
	if it.WhatIsNext() == jsoniter.NilValue {
		it.Skip()
		return
	}
	gvk := schema.GroupVersionKind(req.Kind)
	typed := object.NewTyped(gvk)
	if typed == nil || keepRaw || req.Kind.Kind == "" {
		req.Object.Raw = it.SkipAndReturnBytes()
		return
	}
	it.ReadVal(typed)
	if it.Error != nil {
		return
	}
	typed.GetObjectKind().SetGroupVersionKind(gvk)
	o, err := object.FromTyped(typed, object.Source{File: "admission"})
	if err != nil {
		it.ReportError("readObject", err.Error())
		return
	}
	in.object = o
}
