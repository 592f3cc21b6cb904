package admission

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/palisade-dev/palisade/internal/engine"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
)

// TestAuditFindingsValue checks the findings annotation: every item
// "rule:severity:path[:container]" that fits in maxAuditValue, then
// ",+N more" for the N that do not, whatever the item lengths, including
// items that end exactly at the limit or one byte either side of it.
func TestAuditFindingsValue(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	check := func(fs []engine.Finding) {
		t.Helper()
		want, length := "", 0
		for i := range fs {
			f := &fs[i]
			item := fmt.Sprintf("%s:%s:%s", f.RuleID, f.Severity, f.Path)
			if f.Container != "" {
				item += ":" + f.Container
			}
			if length+len(item)+1 > maxAuditValue {
				want += fmt.Sprintf(",+%d more", len(fs)-i)
				break
			}
			if i > 0 {
				want += ","
				length++
			}
			want += item
			length += len(item)
		}
		v := &Verdict{Profile: &Profile{Name: "p", Mode: Enforce}, Audited: fs}
		var annotations map[string]string
		if err := json.Unmarshal(appendAuditAnnotations(nil, v), &annotations); err != nil {
			t.Fatal(err)
		}
		if got := annotations["findings"]; got != want {
			t.Fatalf("findings annotation for %d items:\n got %q\nwant %q", len(fs), got, want)
		}
	}
	finding := func(id string, i int, pathLen int, container bool) engine.Finding {
		f := engine.Finding{Finding: rule.Finding{
			RuleID:   id,
			Severity: rule.Severity(r.IntN(5)),
			Path:     object.Path(fmt.Sprintf("spec.containers[%d]", i) + strings.Repeat(".f", pathLen)),
		}}
		if container {
			f.Container = "c" + fmt.Sprint(i)
		}
		return f
	}
	for range 200 {
		var fs []engine.Finding
		for i := range 1 + r.IntN(150) {
			fs = append(fs, finding("rule-"+strings.Repeat("x", r.IntN(40)), i, r.IntN(20), r.IntN(2) == 0))
		}
		check(fs)
	}
	// A first (or second) item whose end falls around the limit.
	for pad := maxAuditValue - 40; pad < maxAuditValue-20; pad++ {
		first := finding("r"+strings.Repeat("x", pad), 0, 0, false)
		check([]engine.Finding{first, finding("next", 1, 0, true)})
		check([]engine.Finding{finding("a", 9, 0, false), first, finding("next", 1, 0, true)})
	}
}

// TestWarningsValue checks the warnings against their plain definition:
// "palisade [rule] severity: message" cut to maxWarningLen at a character
// boundary with "...", at most maxWarnings of them, the last counting the
// findings left out.
func TestWarningsValue(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	words := []string{"container", "é", "日本", "securityContext.privileged", " ", "x"}
	for range 300 {
		var fs []*engine.Finding
		for i := range 1 + r.IntN(30) {
			var msg strings.Builder
			for msg.Len() < r.IntN(400) {
				msg.WriteString(words[r.IntN(len(words))])
			}
			fs = append(fs, &engine.Finding{Finding: rule.Finding{
				RuleID:   fmt.Sprintf("rule-%d%s", i, strings.Repeat("x", r.IntN(30))),
				Severity: rule.Severity(r.IntN(5)),
				Message:  msg.String(),
			}})
		}
		var want []string
		for i, f := range fs {
			if i == maxWarnings-1 && len(fs) > maxWarnings {
				want = append(want, fmt.Sprintf("palisade: and %d more findings", len(fs)-i))
				break
			}
			w := fmt.Sprintf("palisade [%s] %s: %s", f.RuleID, f.Severity, f.Message)
			if len(w) > maxWarningLen {
				cut := maxWarningLen - 3
				for !utf8.RuneStart(w[cut]) {
					cut--
				}
				w = w[:cut] + "..."
			}
			want = append(want, w)
		}
		var got []string
		if err := json.Unmarshal(appendWarnings(nil, fs), &got); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("warnings for %d findings:\n got %q\nwant %q", len(fs), got, want)
		}
	}
}

// TestSummaryText checks the denial message against its plain definition
// in fmt terms, on random denials and on rule errors.
func TestSummaryText(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	catalog := map[string]*rule.Rule{"with-fix": {Meta: rule.Meta{ID: "with-fix", Remediation: "Set it to false"}}, "no-fix": {Meta: rule.Meta{ID: "no-fix"}}}
	for range 200 {
		o := &object.Object{Kind: "Deployment", Name: []string{"", "web"}[r.IntN(2)], RawNamespace: []string{"", "shop"}[r.IntN(2)]}
		v := &Verdict{Profile: &Profile{Name: "p", DenyAt: rule.Severity(r.IntN(5))}, Object: o}
		for i := range r.IntN(4) {
			f := &engine.Finding{Finding: rule.Finding{
				RuleID:    []string{"with-fix", "no-fix", "unknown"}[r.IntN(3)],
				Severity:  rule.Severity(r.IntN(5)),
				Container: []string{"", "app", `we"ird`}[r.IntN(3)],
				Path:      object.Path([]string{"", fmt.Sprintf("spec.containers[%d].image", i)}[r.IntN(2)]),
				Message:   "message " + fmt.Sprint(i),
			}}
			v.Denials = append(v.Denials, f)
		}
		if len(v.Denials) == 0 {
			v.RuleErrors = []engine.RuleError{{RuleID: "broken", Err: fmt.Errorf("panic: %d", r.IntN(9))}}
		}
		var want strings.Builder
		fmt.Fprintf(&want, "palisade denied %s", o.Kind)
		if o.RawNamespace != "" {
			fmt.Fprintf(&want, " %s/%s", o.RawNamespace, o.Name)
		} else if o.Name != "" {
			fmt.Fprintf(&want, " %s", o.Name)
		}
		if len(v.Denials) == 0 {
			want.WriteString(": rules could not evaluate it:")
			for _, re := range v.RuleErrors {
				fmt.Fprintf(&want, "\n- %s: %v", re.RuleID, re.Err)
			}
		} else {
			fmt.Fprintf(&want, " (profile %s, denies %s and above):", v.Profile.Name, v.Profile.DenyAt)
		}
		for _, f := range v.Denials {
			fmt.Fprintf(&want, "\n- [%s] %s", f.RuleID, f.Severity)
			if f.Container != "" {
				fmt.Fprintf(&want, " container %q", f.Container)
			}
			if f.Path != "" {
				fmt.Fprintf(&want, " %s", f.Path)
			}
			fmt.Fprintf(&want, ": %s", f.Message)
			if rl := catalog[f.RuleID]; rl != nil && rl.Remediation != "" {
				fmt.Fprintf(&want, ". Fix: %s", rl.Remediation)
			}
		}
		if got := summary(t, v, catalog); got != want.String() {
			t.Fatalf("summary:\n got %q\nwant %q", got, want.String())
		}
	}
}

// TestVerdictReviewMatchesEncoder checks appendVerdictReview against the
// AdmissionReview it stands for, encoded by reviewJSON: the same JSON
// value for verdicts that allow, warn, deny, audit, exempt and suppress.
func TestVerdictReviewMatchesEncoder(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	catalog := map[string]*rule.Rule{"with-fix": {Meta: rule.Meta{ID: "with-fix", Remediation: "Set <it> to \"false\""}}}
	tm := metav1.TypeMeta{Kind: "AdmissionReview", APIVersion: webhookVersion}
	for range 300 {
		o := &object.Object{Kind: "Pod", Name: "web", RawNamespace: []string{"", "shop"}[r.IntN(2)]}
		v := &Verdict{Profile: &Profile{Name: "p<1>", Mode: []Mode{Enforce, Warn, Audit}[r.IntN(3)]}, Object: o, Exempted: r.IntN(2), Suppressed: r.IntN(3) / 2}
		for i := range r.IntN(5) {
			v.Audited = append(v.Audited, engine.Finding{Finding: rule.Finding{
				RuleID:    []string{"with-fix", "other"}[r.IntN(2)],
				Severity:  rule.Severity(r.IntN(5)),
				Container: []string{"", "app", "we\"ird\u2028"}[r.IntN(3)],
				Path:      object.Path(fmt.Sprintf("spec.containers[%d].image", i)),
				Message:   fmt.Sprintf("message %d & <more>\n", i),
			}})
		}
		for i := range v.Audited {
			if r.IntN(2) == 0 {
				v.Denials = append(v.Denials, &v.Audited[i])
			} else {
				v.Warnings = append(v.Warnings, &v.Audited[i])
			}
		}
		if r.IntN(10) == 0 {
			v.RuleErrors = []engine.RuleError{{RuleID: "broken", Err: fmt.Errorf("panic: <%d>", r.IntN(9))}}
		}

		resp := &admissionv1.AdmissionResponse{UID: "uid-\"1\"", Allowed: !v.Denied()}
		if v.Denied() {
			resp.Result = &metav1.Status{Status: metav1.StatusFailure, Code: http.StatusForbidden, Reason: metav1.StatusReasonForbidden, Message: summary(t, v, catalog)}
		}
		if len(v.Audited) > 0 || v.Exempted > 0 || v.Suppressed > 0 {
			resp.AuditAnnotations = map[string]string{"profile": v.Profile.Name, "mode": string(v.Profile.Mode)}
			if len(v.Audited) > 0 {
				var items []string
				for _, f := range v.Audited {
					item := fmt.Sprintf("%s:%s:%s", f.RuleID, f.Severity, f.Path)
					if f.Container != "" {
						item += ":" + f.Container
					}
					items = append(items, item)
				}
				resp.AuditAnnotations["findings"] = strings.Join(items, ",")
			}
			if v.Exempted > 0 {
				resp.AuditAnnotations["exempted"] = fmt.Sprint(v.Exempted)
			}
			if v.Suppressed > 0 {
				resp.AuditAnnotations["suppressed"] = fmt.Sprint(v.Suppressed)
			}
		}
		for _, f := range v.Warnings {
			resp.Warnings = append(resp.Warnings, fmt.Sprintf("palisade [%s] %s: %s", f.RuleID, f.Severity, f.Message))
		}
		want, err := reviewJSON.Marshal(admissionv1.AdmissionReview{TypeMeta: tm, Response: resp})
		if err != nil {
			t.Fatal(err)
		}
		got := appendVerdictReview(nil, tm, resp.UID, v, catalog)
		var gotV, wantV any
		if err := json.Unmarshal(got, &gotV); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, got)
		}
		if err := json.Unmarshal(want, &wantV); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(gotV, wantV) {
			t.Fatalf("review:\n got %s\nwant %s", got, want)
		}
	}
}

// summary is the denial message that appendSummary writes into a JSON
// string, read back.
func summary(t *testing.T, v *Verdict, catalog map[string]*rule.Rule) string {
	t.Helper()
	var text string
	if err := json.Unmarshal(append(v.appendSummary([]byte{'"'}, catalog), '"'), &text); err != nil {
		t.Fatal(err)
	}
	return text
}
