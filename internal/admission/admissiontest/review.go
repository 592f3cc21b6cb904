// Package admissiontest builds the AdmissionReviews the API server sends,
// from manifests, for the webhook's tests, benchmarks and load generator.
package admissiontest

import (
	"encoding/json"
	"fmt"
	"strings"

	admissionv1 "k8s.io/api/admission/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"
)

// Review returns the AdmissionReview for a CREATE of the object in
// manifest (YAML or JSON, one document) by user, with the given UID.
func Review(manifest []byte, uid string, user authenticationv1.UserInfo) (*admissionv1.AdmissionReview, error) {
	obj, err := yaml.YAMLToJSON(manifest)
	if err != nil {
		return nil, err
	}
	return ReviewOf(admissionv1.Create, obj, nil, uid, user)
}

// ReviewOf returns the AdmissionReview of operation op on object (JSON),
// with old as the old object of an update (nil otherwise).
func ReviewOf(op admissionv1.Operation, obj, old []byte, uid string, user authenticationv1.UserInfo) (*admissionv1.AdmissionReview, error) {
	var meta struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name      string `json:"name"`
			Namespace string `json:"namespace"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(obj, &meta); err != nil {
		return nil, err
	}
	if meta.Kind == "" {
		return nil, fmt.Errorf("the manifest has no kind")
	}
	gv, err := schema.ParseGroupVersion(meta.APIVersion)
	if err != nil {
		return nil, err
	}
	req := &admissionv1.AdmissionRequest{
		UID:       types.UID(uid),
		Kind:      metav1.GroupVersionKind{Group: gv.Group, Version: gv.Version, Kind: meta.Kind},
		Resource:  metav1.GroupVersionResource{Group: gv.Group, Version: gv.Version, Resource: Resource(meta.Kind)},
		Name:      meta.Metadata.Name,
		Namespace: meta.Metadata.Namespace,
		Operation: op,
		UserInfo:  user,
		Object:    runtime.RawExtension{Raw: obj},
		Options:   runtime.RawExtension{Raw: []byte(`{"apiVersion":"meta.k8s.io/v1","kind":"` + optionsKind(op) + `"}`)},
	}
	if old != nil {
		req.OldObject = runtime.RawExtension{Raw: old}
	}
	return &admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request:  req,
	}, nil
}

func optionsKind(op admissionv1.Operation) string {
	switch op {
	case admissionv1.Update:
		return "UpdateOptions"
	case admissionv1.Delete:
		return "DeleteOptions"
	}
	return "CreateOptions"
}

// Resource returns the resource name of a built-in kind: lower case,
// plural.
func Resource(kind string) string {
	r := strings.ToLower(kind)
	switch {
	case strings.HasSuffix(r, "y"):
		return r[:len(r)-1] + "ies"
	case strings.HasSuffix(r, "s"):
		return r + "es"
	}
	return r + "s"
}
