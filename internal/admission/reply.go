package admission

import (
	"strconv"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/palisade-dev/palisade/internal/engine"
	"github.com/palisade-dev/palisade/internal/jsonstr"
	"github.com/palisade-dev/palisade/internal/rule"
)

// appendVerdictReview appends the AdmissionReview that answers a request
// with verdict v: allowed or denied with the summary as its status, the
// audit annotations and the warnings. It is the AdmissionReview that
// encoding an AdmissionResponse would give, written straight into the
// response buffer: building the warnings, the findings annotation and the
// denial as strings first, and a map and a response to hold them, was a
// sixth of the bytes a review allocated, and so of the collector's work.
func appendVerdictReview(b []byte, tm metav1.TypeMeta, uid types.UID, v *Verdict, catalog map[string]*rule.Rule) []byte {
	b = append(b, `{"kind":`...)
	b = jsonstr.Append(b, tm.Kind)
	b = append(b, `,"apiVersion":`...)
	b = jsonstr.Append(b, tm.APIVersion)
	b = append(b, `,"response":{"uid":`...)
	b = jsonstr.Append(b, string(uid))
	b = append(b, `,"allowed":`...)
	b = strconv.AppendBool(b, !v.Denied())
	if v.Denied() {
		b = append(b, `,"status":{"metadata":{},"status":"Failure","message":"`...)
		b = v.appendSummary(b, catalog)
		b = append(b, `","reason":"Forbidden","code":403}`...)
	}
	if len(v.Audited) > 0 || v.Exempted > 0 || v.Suppressed > 0 {
		b = append(b, `,"auditAnnotations":`...)
		b = appendAuditAnnotations(b, v)
	}
	if len(v.Warnings) > 0 {
		b = append(b, `,"warnings":`...)
		b = appendWarnings(b, v.Warnings)
	}
	return append(b, "}}"...)
}

// appendSummary appends the denial message, escaped for a JSON string:
// the object, then per finding the rule, severity, container, field and
// remediation, so that the person who ran kubectl apply can fix it
// without looking anything up. A denial is written per request, so it is
// built with appends, not fmt.
func (v *Verdict) appendSummary(b []byte, catalog map[string]*rule.Rule) []byte {
	w := func(s string) { b = jsonstr.AppendEscaped(b, s) }
	o := v.Object
	w("palisade denied ")
	w(o.Kind)
	if o.RawNamespace != "" {
		w(" ")
		w(o.RawNamespace)
		w("/")
		w(o.Name)
	} else if o.Name != "" {
		w(" ")
		w(o.Name)
	}
	if len(v.Denials) == 0 {
		w(": rules could not evaluate it:")
		for _, re := range v.RuleErrors {
			w("\n- ")
			w(re.RuleID)
			w(": ")
			w(re.Err.Error())
		}
		return b
	}
	w(" (profile ")
	w(v.Profile.Name)
	w(", denies ")
	w(v.Profile.DenyAt.String())
	w(" and above):")
	for _, f := range v.Denials {
		w("\n- [")
		w(f.RuleID)
		w("] ")
		w(f.Severity.String())
		if f.Container != "" {
			w(" container ")
			w(strconv.Quote(f.Container))
		}
		if f.Path != "" {
			w(" ")
			w(string(f.Path))
		}
		w(": ")
		w(f.Message)
		if r := catalog[f.RuleID]; r != nil && r.Remediation != "" {
			w(". Fix: ")
			w(r.Remediation)
		}
	}
	return b
}

// appendAuditAnnotations appends, as a JSON object, the annotations that
// record the verdict in the API server's audit log (as "<webhook
// name>/<key>"): the profile, the mode, and every finding that is neither
// suppressed nor exempt, and how many were exempted and suppressed.
func appendAuditAnnotations(b []byte, v *Verdict) []byte {
	b = append(b, `{"profile":`...)
	b = jsonstr.Append(b, v.Profile.Name)
	b = append(b, `,"mode":`...)
	b = jsonstr.Append(b, string(v.Profile.Mode))
	if len(v.Audited) > 0 {
		b = append(b, `,"findings":"`...)
		b = appendAuditFindings(b, v.Audited)
		b = append(b, '"')
	}
	if v.Exempted > 0 {
		b = append(b, `,"exempted":"`...)
		b = strconv.AppendInt(b, int64(v.Exempted), 10)
		b = append(b, '"')
	}
	if v.Suppressed > 0 {
		b = append(b, `,"suppressed":"`...)
		b = strconv.AppendInt(b, int64(v.Suppressed), 10)
		b = append(b, '"')
	}
	return append(b, '}')
}

// appendAuditFindings appends the findings annotation, escaped for a
// JSON string: "rule:severity:path[:container]" per finding,
// comma-separated, as many as fit in maxAuditValue bytes (unescaped),
// then ",+N more" for the rest.
func appendAuditFindings(b []byte, fs []engine.Finding) []byte {
	size := 0
	for i := range fs {
		f := &fs[i]
		n := auditItemLen(f)
		if size+n+1 > maxAuditValue {
			b = append(b, ",+"...)
			b = strconv.AppendInt(b, int64(len(fs)-i), 10)
			return append(b, " more"...)
		}
		if i > 0 {
			b = append(b, ',')
			size++
		}
		size += n
		b = jsonstr.AppendEscaped(b, f.RuleID)
		b = append(b, ':')
		b = append(b, f.Severity.String()...)
		b = append(b, ':')
		b = jsonstr.AppendEscaped(b, string(f.Path))
		if f.Container != "" {
			b = append(b, ':')
			b = jsonstr.AppendEscaped(b, f.Container)
		}
	}
	return b
}

// auditItemLen is the length of one finding's item in the findings
// annotation.
func auditItemLen(f *engine.Finding) int {
	n := len(f.RuleID) + 1 + len(f.Severity.String()) + 1 + len(f.Path)
	if f.Container != "" {
		n += 1 + len(f.Container)
	}
	return n
}

// appendWarnings appends findings as a JSON array of AdmissionResponse
// warnings: "palisade [rule] severity: message", one per finding, each cut
// to maxWarningLen bytes, at most maxWarnings of them, the last counting
// the findings left out. kubectl prints each one.
func appendWarnings(b []byte, fs []*engine.Finding) []byte {
	n := min(len(fs), maxWarnings)
	if len(fs) > maxWarnings {
		n-- // the last line counts the rest
	}
	b = append(b, '[')
	for i, f := range fs[:n] {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `"palisade [`...)
		b = jsonstr.AppendEscaped(b, f.RuleID)
		b = append(b, "] "...)
		b = append(b, f.Severity.String()...)
		b = append(b, ": "...)
		used := len("palisade [] : ") + len(f.RuleID) + len(f.Severity.String())
		b = jsonstr.AppendEscaped(b, truncate(f.Message, max(0, maxWarningLen-used)))
		b = append(b, '"')
	}
	if n < len(fs) {
		if n > 0 {
			b = append(b, ',')
		}
		b = append(b, `"palisade: and `...)
		b = strconv.AppendInt(b, int64(len(fs)-n), 10)
		b = append(b, ` more findings"`...)
	}
	return append(b, ']')
}
