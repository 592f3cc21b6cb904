package admission

import (
	"encoding/json"
	"strings"
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
)

const mutatingPolicy = `apiVersion: palisade.dev/v1alpha1
kind: AdmissionPolicy
defaults: {mode: enforce, mutate: true}
`

// applyPatch applies a response's JSON Patch with the library the API
// server uses, as the API server would.
func applyPatch(t *testing.T, obj []byte, resp *admissionv1.AdmissionResponse) []byte {
	t.Helper()
	if resp.PatchType == nil || *resp.PatchType != admissionv1.PatchTypeJSONPatch {
		t.Fatalf("patch type = %v, want JSONPatch", resp.PatchType)
	}
	p, err := jsonpatch.DecodePatch(resp.Patch)
	if err != nil {
		t.Fatalf("patch does not decode: %v\n%s", err, resp.Patch)
	}
	out, err := p.Apply(obj)
	if err != nil {
		t.Fatalf("patch does not apply: %v\n%s", err, resp.Patch)
	}
	return out
}

func TestMutateAppliesSafeFixesOnly(t *testing.T) {
	h := newTestHandler(t, mutatingPolicy, nil)
	obj := fixture(t, "plain-pod.yaml")
	resp := admit(t, h.Mutating(), reviewOf(t, admissionv1.Create, obj, nil, alice))
	if !resp.Allowed {
		t.Fatalf("mutating endpoint denied: %+v", resp.Result)
	}
	fixed := applyPatch(t, obj, resp)
	var pod corev1.Pod
	if err := json.Unmarshal(fixed, &pod); err != nil {
		t.Fatal(err)
	}
	sc := pod.Spec.Containers[0].SecurityContext
	if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Errorf("allowPrivilegeEscalation not set to false: %+v", sc)
	}
	if psc := pod.Spec.SecurityContext; psc == nil || psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("seccomp profile not set: %+v", psc)
	}
	// Unsafe fixes can stop a workload from starting: never applied.
	if sc != nil && (sc.ReadOnlyRootFilesystem != nil || sc.Capabilities != nil || sc.RunAsNonRoot != nil) {
		t.Errorf("unsafe fix applied: %+v", sc)
	}
	if pod.Spec.AutomountServiceAccountToken != nil {
		t.Error("unsafe automount fix applied")
	}
	if !strings.Contains(resp.AuditAnnotations["fixed"], "allow-privilege-escalation") {
		t.Errorf("audit annotation fixed = %q", resp.AuditAnnotations["fixed"])
	}
	// The validating endpoint sees the fixed object without the findings
	// the patch addressed.
	v := admit(t, h.Validating(), reviewOf(t, admissionv1.Create, fixed, nil, alice))
	for _, w := range v.Warnings {
		for _, id := range []string{"[allow-privilege-escalation]", "[seccomp-profile-missing]", "[pss-seccomp-profile-restricted]"} {
			if strings.Contains(w, id) {
				t.Errorf("finding remains after mutation: %s", w)
			}
		}
	}
	// Mutating the fixed object again changes nothing.
	again := admit(t, h.Mutating(), reviewOf(t, admissionv1.Create, fixed, nil, alice))
	if len(again.Patch) > 0 {
		t.Errorf("second mutation patched again: %s", again.Patch)
	}
}

func TestMutateOptIn(t *testing.T) {
	h := newTestHandler(t, "", nil) // the default policy does not mutate
	resp := admit(t, h.Mutating(), reviewOf(t, admissionv1.Create, fixture(t, "plain-pod.yaml"), nil, alice))
	if !resp.Allowed || len(resp.Patch) > 0 {
		t.Fatalf("default policy mutated: allowed=%v patch=%s", resp.Allowed, resp.Patch)
	}
}

func TestMutateSkipsExemptFindings(t *testing.T) {
	h := newTestHandler(t, mutatingPolicy+`exemptions:
  - namespaces: [apps]
    rules: [allow-privilege-escalation, pss-allow-privilege-escalation]
    reason: legacy setuid binary
`, nil)
	obj := fixture(t, "plain-pod.yaml")
	resp := admit(t, h.Mutating(), reviewOf(t, admissionv1.Create, obj, nil, alice))
	var pod corev1.Pod
	if err := json.Unmarshal(applyPatch(t, obj, resp), &pod); err != nil {
		t.Fatal(err)
	}
	if sc := pod.Spec.Containers[0].SecurityContext; sc != nil && sc.AllowPrivilegeEscalation != nil {
		t.Errorf("exempt finding fixed: %+v", sc)
	}
	if pod.Spec.SecurityContext == nil || pod.Spec.SecurityContext.SeccompProfile == nil {
		t.Error("non-exempt fix not applied")
	}
}

func TestDiffJSON(t *testing.T) {
	for _, tc := range []struct{ a, b string }{
		{`{"a":1}`, `{"a":1}`},
		{`{"a":1}`, `{"a":2}`},
		{`{"a":1,"b":{"c":[1,2]}}`, `{"b":{"c":[1,3],"d":null},"e":"x"}`},
		{`{"l":[1,2,3]}`, `{"l":[1,2]}`},
		{`{"a/b":{"~k":1}}`, `{"a/b":{"~k":2,"n":{"x":true}}}`},
		{`{"a":{"x":1}}`, `{"a":[1]}`},
		{`{"n":1.0}`, `{"n":1}`},
	} {
		a, err := decodeJSON([]byte(tc.a))
		if err != nil {
			t.Fatal(err)
		}
		b, err := decodeJSON([]byte(tc.b))
		if err != nil {
			t.Fatal(err)
		}
		ops := diffJSON("", a, b, nil)
		raw, err := json.Marshal(ops)
		if err != nil {
			t.Fatal(err)
		}
		p, err := jsonpatch.DecodePatch(raw)
		if err != nil {
			t.Fatal(err)
		}
		got, err := p.Apply([]byte(tc.a))
		if err != nil {
			t.Fatalf("%s -> %s: patch %s does not apply: %v", tc.a, tc.b, raw, err)
		}
		if !jsonpatch.Equal(got, []byte(tc.b)) && tc.a != `{"n":1.0}` {
			t.Errorf("%s -> %s: patch %s gives %s", tc.a, tc.b, raw, got)
		}
		if tc.a == tc.b && len(ops) > 0 {
			t.Errorf("equal documents gave %s", raw)
		}
	}
	if ops := diffJSON("", mustJSON(t, `{"n":1.0}`), mustJSON(t, `{"n":1}`), nil); len(ops) != 0 {
		t.Errorf("numerically equal numbers patched: %v", ops)
	}
}

func mustJSON(t *testing.T, s string) any {
	t.Helper()
	v, err := decodeJSON([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return v
}
