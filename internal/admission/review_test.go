package admission

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"unicode/utf8"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"github.com/palisade-dev/palisade/internal/admission/admissiontest"
	"github.com/palisade-dev/palisade/internal/object"
)

// TestParseReviewMatchesStandardDecode checks the one-pass decoder
// against encoding/json and object.FromJSON on the same reviews.
func TestParseReviewMatchesStandardDecode(t *testing.T) {
	for _, name := range []string{"privileged-deployment.yaml", "good-pod.yaml", "plain-pod.yaml"} {
		t.Run(name, func(t *testing.T) {
			obj := fixture(t, name)
			body, err := json.Marshal(reviewOf(t, admissionv1.Update, obj, obj, alice))
			if err != nil {
				t.Fatal(err)
			}
			var std admissionv1.AdmissionReview
			if err := json.Unmarshal(body, &std); err != nil {
				t.Fatal(err)
			}
			in, err := parseReview(body, false)
			if err != nil {
				t.Fatal(err)
			}
			if in.object == nil {
				t.Fatal("object not decoded in place")
			}
			want, err := object.FromJSON(object.Source{File: "admission"}, schema.GroupVersionKind(std.Request.Kind), std.Request.Namespace, std.Request.Object.Raw)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(in.object.Typed, want.Typed) {
				t.Errorf("typed object differs:\n got %+v\nwant %+v", in.object.Typed, want.Typed)
			}
			// Everything but the object, which is decoded instead of kept.
			got := in.review
			got.Request.Object = std.Request.Object
			std.Request.Options = got.Request.Options
			if !reflect.DeepEqual(got, std) {
				t.Errorf("review differs:\n got %+v\nwant %+v", got.Request, std.Request)
			}
			raw, err := parseReview(body, true)
			if err != nil {
				t.Fatal(err)
			}
			if raw.object != nil || !bytes.Equal(raw.review.Request.Object.Raw, std.Request.Object.Raw) {
				t.Error("keepRaw did not keep the object's JSON")
			}
		})
	}
}

func TestParseReviewRejects(t *testing.T) {
	good, _ := json.Marshal(reviewOf(t, admissionv1.Create, fixture(t, "good-pod.yaml"), nil, alice))
	for name, body := range map[string][]byte{
		"trailing data": append(append([]byte{}, good...), `{}`...),
		"stray brace":   append(append([]byte{}, good...), `}`...),
		"stray comma":   append(append([]byte{}, good...), ` ,`...),
		// A raw tab inside a string is not JSON.
		"control character in a quantity": []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u",` +
			`"kind":{"group":"","version":"v1","kind":"Pod"},"operation":"CREATE","object":{"kind":"Pod","spec":{"overhead":{"cpu":"1` + "\t" + `"}}}}}`),
		"truncated":     good[:len(good)/2],
		"not an object": []byte(`[1,2]`),
	} {
		if _, err := parseReview(body, false); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// FuzzHandler feeds arbitrary bodies to the validating endpoint: it must
// answer every one with a 4xx or a well-formed review, and never panic.
func FuzzHandler(f *testing.F) {
	for _, name := range []string{"privileged-deployment.yaml", "good-pod.yaml"} {
		obj, err := readFixture(name)
		if err != nil {
			f.Fatal(err)
		}
		body, _ := json.Marshal(reviewOf(f, admissionv1.Create, obj, nil, alice))
		f.Add(body)
	}
	f.Add([]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"x","kind":{"version":"v1","kind":"Pod"},"object":{"spec":{"containers":[{"name":1}]}}}}`))
	h := newTestHandler(f, "", nil).Validating()
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/validate", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch {
		case rec.Code >= 400 && rec.Code < 500:
		case rec.Code == http.StatusOK:
			var out admissionv1.AdmissionReview
			if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || out.Response == nil {
				t.Fatalf("200 without a review: %v %s", err, rec.Body)
			}
		default:
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	})
}

// TestParseReviewSkipsManagedFields: the API server fills in managedFields
// before admission; no rule reads them, so they are skipped, and what
// follows them still decodes.
func TestParseReviewSkipsManagedFields(t *testing.T) {
	obj := []byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"apps","managedFields":[{"manager":"kubectl","operation":"Update","fieldsType":"FieldsV1","fieldsV1":{"f:spec":{"f:containers":{"k:{\"name\":\"c\"}":{}}}}}],"labels":{"app":"web"}},"spec":{"containers":[{"name":"c","image":"x:1"}]}}`)
	body, err := json.Marshal(reviewOf(t, admissionv1.Create, obj, nil, alice))
	if err != nil {
		t.Fatal(err)
	}
	in, err := parseReview(body, false)
	if err != nil {
		t.Fatal(err)
	}
	m := in.object.Meta()
	if len(m.ManagedFields) != 0 || m.Labels["app"] != "web" || in.object.Name != "p" {
		t.Errorf("managedFields %v, labels %v, name %q", m.ManagedFields, m.Labels, in.object.Name)
	}
}

// TestParseReviewKeepsNoReferenceToBody: the handler reuses request body
// buffers, so nothing parseReview returns may point into the body. Each
// review is decoded from a buffer that is then overwritten, and must equal
// the same review decoded from a buffer left alone.
func TestParseReviewKeepsNoReferenceToBody(t *testing.T) {
	pod := fixture(t, "good-pod.yaml")
	custom := []byte(`{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w","labels":{"a":"b"}},"spec":{"image":"x:1"}}`)
	badObject := []byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":"not a list"}}`)
	bodies := map[string][]byte{}
	for name, obj := range map[string][]byte{
		"deployment":     fixture(t, "privileged-deployment.yaml"),
		"pod":            pod,
		"unknown kind":   custom,
		"unsound object": badObject,
	} {
		for _, op := range []admissionv1.Operation{admissionv1.Create, admissionv1.Update} {
			var old []byte
			if op == admissionv1.Update {
				old = obj
			}
			rv := reviewOf(t, op, obj, old, alice)
			if name == "unknown kind" {
				rv.Request.Kind.Group, rv.Request.Kind.Kind = "example.com", "Widget"
			}
			body, err := json.Marshal(rv)
			if err != nil {
				t.Fatal(err)
			}
			bodies[name+" "+string(op)] = body
		}
	}
	for name, body := range bodies {
		for _, keepRaw := range []bool{false, true} {
			want, wantErr := parseReview(bytes.Clone(body), keepRaw)
			scratch := bytes.Clone(body)
			got, gotErr := parseReview(scratch, keepRaw)
			for i := range scratch {
				scratch[i] = 'x'
			}
			if (gotErr == nil) != (wantErr == nil) {
				t.Fatalf("%s: errors differ: %v, %v", name, gotErr, wantErr)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s (keepRaw %v): the decoded review changed with the body it came from", name, keepRaw)
			}
		}
	}
}

// BenchmarkParseReview measures decoding alone, on the load generator's
// reviews (bench/testdata/webhook): the largest part of a request's CPU.
func BenchmarkParseReview(b *testing.B) {
	for _, name := range []string{"pod.yaml", "deployment.yaml"} {
		b.Run(name, func(b *testing.B) {
			manifest, err := os.ReadFile(filepath.Join("..", "..", "bench", "testdata", "webhook", name))
			if err != nil {
				b.Fatal(err)
			}
			review, err := admissiontest.Review(manifest, "uid-1", alice)
			if err != nil {
				b.Fatal(err)
			}
			body, err := json.Marshal(review)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if _, err := parseReview(body, false); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// FuzzParseReviewMatchesStandardDecode checks the one-pass decoder, with
// reviewDecoders, against sigs.k8s.io/json (the API server's own,
// case-sensitive encoding/json) on arbitrary objects: both accept the
// same objects and decode them to the same value, managedFields aside,
// which the webhook skips unread, whatever they hold. Objects that are not valid UTF-8 are left out:
// encoding/json replaces bad bytes and json-iterator keeps them, in every
// string, which is no rule's concern.
func FuzzParseReviewMatchesStandardDecode(f *testing.F) {
	for _, name := range []string{"privileged-deployment.yaml", "good-pod.yaml", "plain-pod.yaml"} {
		f.Add(fixture(f, name))
	}
	for _, name := range []string{"pod.yaml", "deployment.yaml"} {
		manifest, err := os.ReadFile(filepath.Join("..", "..", "bench", "testdata", "webhook", name))
		if err != nil {
			f.Fatal(err)
		}
		obj, err := yaml.YAMLToJSON(manifest)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(obj)
	}
	for _, obj := range []string{
		`{"kind":"Pod","metadata":{"labels":null,"annotations":{}},"spec":{"containers":[{"name":"a","resources":{"limits":{"cpu":" 1 ","memory":1e3},"requests":null}}]}}`,
		`{"kind":"Pod","spec":{"containers":[{"name":"a","resources":{"limits":{"cpu":"1\u0030"}}}]}}`,
		`{"kind":"Pod","spec":{"containers":[{"name":"a","readinessProbe":{"httpGet":{"port":8080}},"livenessProbe":{"tcpSocket":{"port":"http"}},"startupProbe":{"grpc":{"port":1},"httpGet":{"port":null}}}]}}`,
		`{"kind":"Pod","spec":{"containers":[{"name":"a","readinessProbe":{"httpGet":{"port":1.5}}}]}}`,
		`{"kind":"Pod","spec":{"containers":[{"name":"a","readinessProbe":{"httpGet":{"port":4294967296}}}]}}`,
		`{"kind":"Deployment","spec":{"strategy":{"rollingUpdate":{"maxSurge":"25%","maxUnavailable":0}},"selector":{"matchLabels":{"a":"b","a":"c"}}}}`,
		`{"kind":"Pod","spec":{"overhead":{"cpu":"1x"},"nodeSelector":{"k":1}}}`,
	} {
		f.Add([]byte(obj))
	}
	f.Fuzz(func(t *testing.T, obj []byte) {
		if !utf8.Valid(obj) {
			return
		}
		var head struct{ Kind string }
		_ = json.Unmarshal(obj, &head)
		gvk := schema.GroupVersionKind{Version: "v1", Kind: "Pod"}
		if head.Kind == "Deployment" {
			gvk = schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}
		}
		body := []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","kind":{"group":"` + gvk.Group + `","version":"v1","kind":"` + gvk.Kind + `"},"namespace":"ns","operation":"CREATE","object":` + string(obj) + `}}`)
		if !json.Valid(body) {
			// json-iterator does not look at every byte of what it
			// skips or matches (a control character in an unknown
			// field's name passes), so bodies that are not JSON are
			// TestParseReviewRejects' cases, not this test's.
			return
		}
		// The object as the standard decoder finds it in the body.
		var envelope struct {
			Request struct {
				Object json.RawMessage `json:"object"`
			} `json:"request"`
		}
		if err := kjson.UnmarshalCaseSensitivePreserveInts(body, &envelope); err != nil {
			t.Fatal(err)
		}
		obj = envelope.Request.Object
		want := object.NewTyped(gvk)
		wantErr := kjson.UnmarshalCaseSensitivePreserveInts(obj, want)
		if wantErr != nil {
			// managedFields are skipped unread, so what they hold cannot
			// make the object an error: decode the object without them.
			var m map[string]any
			if kjson.UnmarshalCaseSensitivePreserveInts(obj, &m) == nil {
				if md, ok := m["metadata"].(map[string]any); ok {
					if _, ok := md["managedFields"]; ok {
						delete(md, "managedFields")
						stripped, _ := json.Marshal(m)
						want = object.NewTyped(gvk)
						wantErr = kjson.UnmarshalCaseSensitivePreserveInts(stripped, want)
					}
				}
			}
		}
		in, err := parseReview(body, false)
		switch {
		case err != nil:
			if wantErr == nil {
				t.Fatalf("rejected an object the standard decoder accepts: %v", err)
			}
		case in.object == nil:
			// Left for object.FromJSON, which reports the error.
			if wantErr == nil && !bytes.Equal(bytes.TrimSpace(obj), []byte("null")) {
				t.Fatal("an object the standard decoder accepts was not decoded")
			}
		case wantErr != nil:
			t.Fatalf("accepted an object the standard decoder rejects: %v", wantErr)
		default:
			want.GetObjectKind().SetGroupVersionKind(gvk)
			want.(metav1.Object).SetManagedFields(nil)
			if !reflect.DeepEqual(in.object.Typed, want) {
				t.Fatalf("decoded differently:\n got %+v\nwant %+v", in.object.Typed, want)
			}
		}
	})
}
