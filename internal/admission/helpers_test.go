package admission

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	"sigs.k8s.io/yaml"

	"github.com/palisade-dev/palisade/internal/admission/admissiontest"
	"github.com/palisade-dev/palisade/internal/rules"
)

// fixedNow is the clock of every test: exemptions and suppressions that
// expire are judged against it.
var fixedNow = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// fixture reads testdata/name (YAML) as JSON.
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	j, err := readFixture(name)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func readFixture(name string) ([]byte, error) {
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		return nil, err
	}
	return yaml.YAMLToJSON(data)
}

// reviewOf builds the AdmissionReview the API server would send for
// object (JSON) under op, with old as the old object on updates.
func reviewOf(t testing.TB, op admissionv1.Operation, object, old []byte, user authenticationv1.UserInfo) *admissionv1.AdmissionReview {
	t.Helper()
	var meta struct {
		Metadata struct{ Name string } `json:"metadata"`
	}
	if err := json.Unmarshal(object, &meta); err != nil {
		t.Fatal(err)
	}
	rv, err := admissiontest.ReviewOf(op, object, old, "uid-"+meta.Metadata.Name, user)
	if err != nil {
		t.Fatal(err)
	}
	return rv
}

var alice = authenticationv1.UserInfo{Username: "alice", Groups: []string{"developers", "system:authenticated"}}

// newTestHandler returns a handler under the policy text (DefaultPolicy
// when empty), with namespace labels from nsLabels.
func newTestHandler(t testing.TB, policy string, nsLabels map[string]map[string]string) *Handler {
	t.Helper()
	if policy == "" {
		policy = DefaultPolicy
	}
	p, err := ParsePolicy("policy.yaml", []byte(policy), rules.All())
	if err != nil {
		t.Fatal(err)
	}
	return NewHandler(p, Options{
		Catalog: rules.All(),
		Metrics: NewMetrics(),
		Now:     func() time.Time { return fixedNow },
		Namespaces: func(ns string) (map[string]string, bool) {
			l, ok := nsLabels[ns]
			return l, ok
		},
	})
}

// post sends body to the handler's endpoint and returns the HTTP response.
func post(t *testing.T, h http.Handler, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/validate", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// admit sends a review and decodes the response review.
func admit(t *testing.T, h http.Handler, review *admissionv1.AdmissionReview) *admissionv1.AdmissionResponse {
	t.Helper()
	body, err := json.Marshal(review)
	if err != nil {
		t.Fatal(err)
	}
	rec := post(t, h, body)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	var out admissionv1.AdmissionReview
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	if out.APIVersion != "admission.k8s.io/v1" || out.Kind != "AdmissionReview" {
		t.Fatalf("response review is %s %s", out.APIVersion, out.Kind)
	}
	if out.Response == nil || out.Response.UID != review.Request.UID {
		t.Fatalf("response does not answer request %s: %+v", review.Request.UID, out.Response)
	}
	return out.Response
}
