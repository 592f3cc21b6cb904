package admission

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	admissionv1 "k8s.io/api/admission/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
)

func TestEnforceDeniesWithReadableMessage(t *testing.T) {
	h := newTestHandler(t, "", nil)
	resp := admit(t, h.Validating(), reviewOf(t, admissionv1.Create, fixture(t, "privileged-deployment.yaml"), nil, alice))
	if resp.Allowed {
		t.Fatal("privileged Deployment allowed")
	}
	if resp.Result == nil || resp.Result.Code != http.StatusForbidden {
		t.Fatalf("result = %+v, want code 403", resp.Result)
	}
	msg := resp.Result.Message
	for _, want := range []string{
		"palisade denied Deployment apps/web",
		"denies high and above",
		`[privileged-container] critical container "app" spec.template.spec.containers[0].securityContext.privileged`,
		"Fix: Remove securityContext.privileged",
		"[pss-privileged]",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("denial message lacks %q:\n%s", want, msg)
		}
	}
	// Medium findings do not deny; they come back as warnings.
	if strings.Contains(msg, "read-only-root-filesystem") {
		t.Errorf("medium finding listed as a denial:\n%s", msg)
	}
	if !slices.ContainsFunc(resp.Warnings, func(w string) bool { return strings.Contains(w, "[read-only-root-filesystem]") }) {
		t.Errorf("warnings lack read-only-root-filesystem: %q", resp.Warnings)
	}
	if resp.AuditAnnotations["mode"] != "enforce" || !strings.Contains(resp.AuditAnnotations["findings"], "privileged-container:critical:") {
		t.Errorf("audit annotations = %v", resp.AuditAnnotations)
	}
}

func TestCompliantPodAllowedSilently(t *testing.T) {
	h := newTestHandler(t, "", nil)
	resp := admit(t, h.Validating(), reviewOf(t, admissionv1.Create, fixture(t, "good-pod.yaml"), nil, alice))
	if !resp.Allowed || len(resp.Warnings) > 0 || resp.Result != nil {
		t.Fatalf("compliant pod: allowed=%v warnings=%q result=%+v", resp.Allowed, resp.Warnings, resp.Result)
	}
}

func TestModes(t *testing.T) {
	for _, tc := range []struct {
		mode         string
		allowed      bool
		wantWarnings bool
	}{
		{"enforce", false, true},
		{"warn", true, true},
		{"audit", true, false},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			h := newTestHandler(t, "apiVersion: palisade.dev/v1alpha1\nkind: AdmissionPolicy\ndefaults: {mode: "+tc.mode+"}\n", nil)
			resp := admit(t, h.Validating(), reviewOf(t, admissionv1.Create, fixture(t, "privileged-deployment.yaml"), nil, alice))
			if resp.Allowed != tc.allowed {
				t.Errorf("allowed = %v, want %v", resp.Allowed, tc.allowed)
			}
			if (len(resp.Warnings) > 0) != tc.wantWarnings {
				t.Errorf("warnings = %q", resp.Warnings)
			}
			if !strings.Contains(resp.AuditAnnotations["findings"], "privileged-container") {
				t.Errorf("audit annotations = %v", resp.AuditAnnotations)
			}
			if len(resp.Warnings) > maxWarnings {
				t.Errorf("%d warnings, want at most %d", len(resp.Warnings), maxWarnings)
			}
		})
	}
}

func TestNamespaceSelectsProfile(t *testing.T) {
	policy := `apiVersion: palisade.dev/v1alpha1
kind: AdmissionPolicy
defaults: {mode: enforce, denyAt: high}
profiles:
  lenient: {mode: warn}
  strict: {denyAt: medium}
namespaces:
  - names: ["sandbox-*"]
    profile: lenient
  - selector: {matchLabels: {tier: critical}}
    profile: strict
`
	labels := map[string]map[string]string{
		"apps":      {"tier": "critical"},
		"labelled":  {ProfileLabel: "lenient"},
		"bad-label": {ProfileLabel: "nonesuch"},
		"audited":   {ModeLabel: "audit"},
	}
	h := newTestHandler(t, policy, labels)
	plain := fixture(t, "plain-pod.yaml") // medium findings only
	for _, tc := range []struct {
		ns      string
		allowed bool
		profile string
	}{
		{"apps", false, "strict"},   // medium denies under strict
		{"other", true, "defaults"}, // medium only warns under the defaults
		{"sandbox-1", true, "lenient"},
		{"labelled", true, "lenient"},
		{"audited", true, "defaults"},
		{"bad-label", false, ""},
	} {
		t.Run(tc.ns, func(t *testing.T) {
			obj := bytes.Replace(plain, []byte(`"namespace":"apps"`), []byte(`"namespace":"`+tc.ns+`"`), 1)
			resp := admit(t, h.Validating(), reviewOf(t, admissionv1.Create, obj, nil, alice))
			if resp.Allowed != tc.allowed {
				t.Fatalf("allowed = %v, want %v (%+v)", resp.Allowed, tc.allowed, resp.Result)
			}
			if tc.profile != "" && resp.AuditAnnotations["profile"] != tc.profile {
				t.Errorf("profile = %q, want %q", resp.AuditAnnotations["profile"], tc.profile)
			}
			if tc.ns == "audited" && (resp.AuditAnnotations["mode"] != "audit" || len(resp.Warnings) > 0) {
				t.Errorf("mode label ignored: %v %q", resp.AuditAnnotations, resp.Warnings)
			}
			if tc.ns == "bad-label" && !strings.Contains(resp.Result.Message, `unknown profile "nonesuch"`) {
				t.Errorf("message = %q", resp.Result.Message)
			}
		})
	}
}

func TestExemptions(t *testing.T) {
	policy := `apiVersion: palisade.dev/v1alpha1
kind: AdmissionPolicy
defaults: {mode: enforce, denyAt: critical}
exemptions:
  - namespaces: [monitoring]
    reason: node exporter needs the host
  - users: [break-glass]
    reason: incident response
  - serviceAccounts: ["ci-*/deployer"]
    rules: [privileged-container, pss-privileged]
    reason: CI builds images
  - images: ["registry.example.com/**"]
    rules: [privileged-container, pss-privileged]
    reason: vetted images
    expires: "2026-01-31"
`
	h := newTestHandler(t, policy, nil)
	dep := fixture(t, "privileged-deployment.yaml")
	inNS := func(ns string) []byte {
		return bytes.Replace(dep, []byte(`"namespace":"apps"`), []byte(`"namespace":"`+ns+`"`), 1)
	}
	for _, tc := range []struct {
		name    string
		obj     []byte
		user    authenticationv1.UserInfo
		allowed bool
	}{
		{"namespace", inNS("monitoring"), alice, true},
		{"user", dep, authenticationv1.UserInfo{Username: "break-glass"}, true},
		{"service account", inNS("ci-7"), authenticationv1.UserInfo{Username: "system:serviceaccount:ci-7:deployer"}, true},
		{"service account of another namespace", inNS("ci-7"), authenticationv1.UserInfo{Username: "system:serviceaccount:prod:deployer"}, false},
		{"expired image exemption", dep, alice, false},
		{"nobody", dep, alice, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := admit(t, h.Validating(), reviewOf(t, admissionv1.Create, tc.obj, nil, tc.user))
			if resp.Allowed != tc.allowed {
				t.Fatalf("allowed = %v, want %v (%+v)", resp.Allowed, tc.allowed, resp.Result)
			}
			if tc.allowed && resp.AuditAnnotations["exempted"] == "" {
				t.Errorf("exemption not recorded: %v", resp.AuditAnnotations)
			}
		})
	}
}

func TestImageExemptionPerContainer(t *testing.T) {
	policy := `apiVersion: palisade.dev/v1alpha1
kind: AdmissionPolicy
defaults: {mode: enforce, denyAt: critical}
exemptions:
  - images: ["registry.example.com/web:*"]
    rules: [privileged-container, pss-privileged]
    reason: the web image is vetted
`
	h := newTestHandler(t, policy, nil)
	dep := fixture(t, "privileged-deployment.yaml")
	if resp := admit(t, h.Validating(), reviewOf(t, admissionv1.Create, dep, nil, alice)); !resp.Allowed {
		t.Fatalf("privileged container of an exempt image denied: %s", resp.Result.Message)
	}
	// The same privilege on a container of another image is denied.
	other := bytes.Replace(dep, []byte(`registry.example.com/web:1.4.2`), []byte(`docker.io/library/web:1.4.2`), 1)
	if resp := admit(t, h.Validating(), reviewOf(t, admissionv1.Create, other, nil, alice)); resp.Allowed {
		t.Fatal("privileged container of a non-exempt image allowed")
	}
}

func TestSuppressionAnnotationUnlessStrict(t *testing.T) {
	dep := fixture(t, "privileged-deployment.yaml")
	annotated := bytes.Replace(dep, []byte(`"metadata":{"name":"web"`),
		[]byte(`"metadata":{"annotations":{"ignore.palisade.dev/privileged-container":"reason=vendor agent","ignore.palisade.dev/pss-privileged":"reason=vendor agent"},"name":"web"`), 1)
	if bytes.Equal(annotated, dep) {
		t.Fatal("fixture did not change")
	}
	base := "apiVersion: palisade.dev/v1alpha1\nkind: AdmissionPolicy\ndefaults: {denyAt: critical"
	if resp := admit(t, newTestHandler(t, base+"}\n", nil).Validating(), reviewOf(t, admissionv1.Create, annotated, nil, alice)); !resp.Allowed {
		t.Fatalf("suppressed findings denied: %s", resp.Result.Message)
	} else if resp.AuditAnnotations["suppressed"] != "2" {
		t.Errorf("suppressions not audited: %v", resp.AuditAnnotations)
	}
	if resp := admit(t, newTestHandler(t, base+", strict: true}\n", nil).Validating(), reviewOf(t, admissionv1.Create, annotated, nil, alice)); resp.Allowed {
		t.Fatal("strict profile honoured a suppression annotation")
	}
}

func TestUpdateDeniesOnlyNewFindings(t *testing.T) {
	h := newTestHandler(t, "", nil)
	dep := fixture(t, "privileged-deployment.yaml")
	// Scaling a Deployment that predates the policy is allowed, with the
	// findings as warnings.
	scaled := bytes.Replace(dep, []byte(`"replicas":2`), []byte(`"replicas":5`), 1)
	resp := admit(t, h.Validating(), reviewOf(t, admissionv1.Update, scaled, dep, alice))
	if !resp.Allowed || !slices.ContainsFunc(resp.Warnings, func(w string) bool { return strings.Contains(w, "[privileged-container]") }) {
		t.Fatalf("scaling: allowed=%v warnings=%q", resp.Allowed, resp.Warnings)
	}
	// Making a container privileged is denied.
	good := bytes.Replace(dep, []byte(`"privileged":true`), []byte(`"privileged":false`), 1)
	resp = admit(t, h.Validating(), reviewOf(t, admissionv1.Update, dep, good, alice))
	if resp.Allowed {
		t.Fatal("update that makes a container privileged allowed")
	}
}

func TestIgnoredOperationsAndSubresources(t *testing.T) {
	h := newTestHandler(t, "", nil)
	dep := fixture(t, "privileged-deployment.yaml")
	del := reviewOf(t, admissionv1.Delete, dep, nil, alice)
	if resp := admit(t, h.Validating(), del); !resp.Allowed {
		t.Error("DELETE denied")
	}
	scale := reviewOf(t, admissionv1.Update, dep, dep, alice)
	scale.Request.SubResource = "scale"
	if resp := admit(t, h.Validating(), scale); !resp.Allowed {
		t.Error("scale subresource denied")
	}
	// kubectl debug adds ephemeral containers through a subresource.
	pod := fixture(t, "good-pod.yaml")
	debug := bytes.Replace(pod, []byte(`"containers":[`), []byte(`"ephemeralContainers":[{"name":"dbg","image":"busybox:1.36","securityContext":{"privileged":true}}],"containers":[`), 1)
	eph := reviewOf(t, admissionv1.Update, debug, pod, alice)
	eph.Request.SubResource = "ephemeralcontainers"
	if resp := admit(t, h.Validating(), eph); resp.Allowed || !strings.Contains(resp.Result.Message, `container "dbg"`) {
		t.Errorf("privileged ephemeral container: allowed=%v result=%+v", resp.Allowed, resp.Result)
	}
}

func TestBadRequests(t *testing.T) {
	h := newTestHandler(t, "", nil).Validating()
	good, _ := json.Marshal(reviewOf(t, admissionv1.Create, fixture(t, "good-pod.yaml"), nil, alice))
	for _, tc := range []struct {
		name        string
		method      string
		contentType string
		body        []byte
		code        int
		msg         string
	}{
		{"GET", http.MethodGet, "application/json", nil, http.StatusMethodNotAllowed, "POST"},
		{"content type", http.MethodPost, "text/plain", good, http.StatusUnsupportedMediaType, "not application/json"},
		{"malformed JSON", http.MethodPost, "application/json", []byte(`{"apiVersion":`), http.StatusBadRequest, "not an AdmissionReview"},
		{"wrong version", http.MethodPost, "application/json", bytes.Replace(good, []byte("admission.k8s.io/v1"), []byte("admission.k8s.io/v1beta1"), 1), http.StatusBadRequest, "want an AdmissionReview of admission.k8s.io/v1"},
		{"wrong kind", http.MethodPost, "application/json", bytes.Replace(good, []byte(`"kind":"AdmissionReview"`), []byte(`"kind":"Pod"`), 1), http.StatusBadRequest, `got kind "Pod"`},
		{"no request", http.MethodPost, "application/json", []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}`), http.StatusBadRequest, "no request"},
		{"oversized", http.MethodPost, "application/json", append(append([]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","x":"`), bytes.Repeat([]byte("a"), MaxRequestBytes)...), `"}`...), http.StatusRequestEntityTooLarge, "over"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, "/validate", bytes.NewReader(tc.body))
			req.Header.Set("Content-Type", tc.contentType)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.code || !strings.Contains(rec.Body.String(), tc.msg) {
				t.Errorf("got %d %q, want %d containing %q", rec.Code, rec.Body, tc.code, tc.msg)
			}
		})
	}
}

func TestInvalidObjectAndUnknownKind(t *testing.T) {
	broken := []byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"apps"},"spec":{"containers":[{"name":"c","image":"x","ports":[{"containerPort":"eighty"}]}]}}`)
	crd := []byte(`{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w","namespace":"apps"},"spec":{}}`)
	for _, tc := range []struct {
		name, policy string
		obj          []byte
		allowed      bool
		text         string
	}{
		{"invalid denied by default", "", broken, false, "cannot be evaluated"},
		{"invalid allowed when configured", "invalidObjects: allow\n", broken, true, "cannot be evaluated"},
		{"unknown kind allowed by default", "", crd, true, "no rules for kind Widget"},
		{"unknown kind denied when configured", "unknownKinds: deny\n", crd, false, "no rules for kind Widget"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newTestHandler(t, "apiVersion: palisade.dev/v1alpha1\nkind: AdmissionPolicy\n"+tc.policy, nil)
			resp := admit(t, h.Validating(), reviewOf(t, admissionv1.Create, tc.obj, nil, alice))
			if resp.Allowed != tc.allowed {
				t.Fatalf("allowed = %v, want %v", resp.Allowed, tc.allowed)
			}
			text := strings.Join(resp.Warnings, "\n")
			if !tc.allowed {
				text = resp.Result.Message
				if resp.Result.Code != http.StatusBadRequest {
					t.Errorf("code = %d, want 400", resp.Result.Code)
				}
			}
			if !strings.Contains(text, tc.text) {
				t.Errorf("response %q lacks %q", text, tc.text)
			}
		})
	}
}

// TestReadBody reads bodies whose declared length is right, unknown, too
// short or too long, of lengths that shrink and grow, so that pooled
// buffers are reused with old bytes in them; and a reader that fails.
func TestReadBody(t *testing.T) {
	for _, n := range []int{7000, 3, 0, 511, 512, 513, 400000, 1} {
		body := strings.Repeat("review ", n/7+1)[:n]
		for _, declared := range []int64{int64(len(body)), 0, -1, 10, int64(len(body)) + 100, MaxRequestBytes + 1} {
			got, err := readBody(iotest.OneByteReader(strings.NewReader(body)), declared)
			if err != nil || string(*got) != body {
				t.Errorf("declared %d: got %d bytes, %v; want the %d bytes of the body", declared, len(*got), err, len(body))
			}
			releaseBody(got)
			got, err = readBody(strings.NewReader(body), declared)
			if err != nil || string(*got) != body {
				t.Errorf("declared %d: got %d bytes, %v; want the %d bytes of the body", declared, len(*got), err, len(body))
			}
			releaseBody(got)
		}
	}
	buf, err := readBody(iotest.ErrReader(errors.New("connection reset")), 100)
	if err == nil {
		t.Error("a failing reader gave no error")
	}
	releaseBody(buf)
}
