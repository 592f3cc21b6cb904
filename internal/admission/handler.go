package admission

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/palisade-dev/palisade/internal/engine"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
)

// MaxRequestBytes bounds an AdmissionReview body. The API server limits
// objects to about 1.5 MiB; a review carries the object twice on update.
const MaxRequestBytes = 3 << 20

// Warning limits: kubectl prints every warning, and the API server may
// truncate long or many warnings.
const (
	maxWarnings    = 20
	maxWarningLen  = 256
	maxAuditValue  = 4096
	webhookVersion = "admission.k8s.io/v1"
)

// NamespaceLabels returns the labels of a namespace, and false when the
// namespace is not known (yet).
type NamespaceLabels func(namespace string) (map[string]string, bool)

// Options configure a Handler.
type Options struct {
	// Catalog is the rule catalog the policy selects from. Required.
	Catalog []*rule.Rule
	// Namespaces looks up namespace labels for policies that select
	// profiles by label; optional.
	Namespaces NamespaceLabels
	// Metrics receives the request metrics; optional.
	Metrics *Metrics
	// Log receives one structured record per denied or failed request
	// (and, at debug level, per request); optional.
	Log *slog.Logger
	// Now is the clock for expiring suppressions and exemptions; nil
	// means time.Now.
	Now func() time.Time
}

// Handler answers AdmissionReview requests. Its policy can be swapped at
// any time (SetPolicy); a request in flight finishes under the policy it
// started with.
type Handler struct {
	opts    Options
	policy  atomic.Pointer[Policy]
	catalog map[string]*rule.Rule
}

// NewHandler returns a handler enforcing p.
func NewHandler(p *Policy, opts Options) *Handler {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	h := &Handler{opts: opts, catalog: map[string]*rule.Rule{}}
	for _, r := range opts.Catalog {
		h.catalog[r.ID] = r
	}
	h.policy.Store(p)
	return h
}

// SetPolicy makes p the policy for requests that start from now on.
func (h *Handler) SetPolicy(p *Policy) { h.policy.Store(p) }

// Policy returns the policy in force.
func (h *Handler) Policy() *Policy { return h.policy.Load() }

// Validating returns the validating endpoint.
func (h *Handler) Validating() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.serve(w, r, false) })
}

// Mutating returns the mutating endpoint.
func (h *Handler) Mutating() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.serve(w, r, true) })
}

// httpError is a request the handler cannot answer with an
// AdmissionReview; the API server then applies the webhook's failurePolicy.
type httpError struct {
	code   int
	reason string // for the metric
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func (h *Handler) serve(w http.ResponseWriter, r *http.Request, mutating bool) {
	start := time.Now()
	endpoint := "validate"
	if mutating {
		endpoint = "mutate"
	}
	body, in, herr := readReview(w, r, mutating)
	defer releaseBody(body)
	if herr != nil {
		if m := h.opts.Metrics; m != nil {
			m.badRequests.WithLabelValues(herr.reason).Inc()
			m.requests.WithLabelValues(endpoint, "", "", "error").Inc()
			m.latency.WithLabelValues(endpoint).Observe(time.Since(start).Seconds())
		}
		h.opts.Log.Warn("bad admission request", "endpoint", endpoint, "remote", r.RemoteAddr, "status", herr.code, "error", herr.msg)
		http.Error(w, herr.msg, herr.code)
		return
	}
	req := in.review.Request
	ans := h.respond(req, in.object, mutating)
	// The response is encoded into a pooled stream's buffer and written
	// from there, not copied out as Marshal would.
	stream := reviewJSON.BorrowStream(nil)
	defer reviewJSON.ReturnStream(stream)
	if ans.verdict != nil {
		stream.SetBuffer(appendVerdictReview(stream.Buffer()[:0], in.review.TypeMeta, req.UID, ans.verdict, h.catalog))
		ans.verdict.release() // the response holds all it needs
	} else {
		ans.resp.UID = req.UID
		stream.WriteVal(&admissionv1.AdmissionReview{TypeMeta: in.review.TypeMeta, Response: ans.resp})
		if stream.Error != nil {
			http.Error(w, "encoding the response: "+stream.Error.Error(), http.StatusInternalServerError)
			return
		}
	}
	// With its length known, net/http sends the response in one piece
	// (one TLS record and one system call for most reviews) rather than
	// chunked, which costs a second record to end the body.
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(stream.Buffer())))
	_, _ = w.Write(stream.Buffer())
	if m := h.opts.Metrics; m != nil {
		m.requests.WithLabelValues(endpoint, string(req.Operation), req.Kind.Kind, ans.result).Inc()
		m.latency.WithLabelValues(endpoint).Observe(time.Since(start).Seconds())
	}
}

// readReview reads and checks one AdmissionReview. body is the request
// body, from bodyPool: the caller passes it to releaseBody once done
// (parseReview keeps no reference to it).
func readReview(w http.ResponseWriter, r *http.Request, keepRaw bool) (body *[]byte, _ *incoming, _ *httpError) {
	if r.Method != http.MethodPost {
		return nil, nil, &httpError{http.StatusMethodNotAllowed, "method", "admission reviews are POSTed"}
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			return nil, nil, &httpError{http.StatusUnsupportedMediaType, "content-type", fmt.Sprintf("content type %q is not application/json", ct)}
		}
	}
	body, err := readBody(http.MaxBytesReader(w, r.Body, MaxRequestBytes), r.ContentLength)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return body, nil, &httpError{http.StatusRequestEntityTooLarge, "too-large", fmt.Sprintf("request body over %d bytes", MaxRequestBytes)}
		}
		return body, nil, &httpError{http.StatusBadRequest, "read", "reading the request: " + err.Error()}
	}
	in, err := parseReview(*body, keepRaw)
	if err != nil {
		return body, nil, &httpError{http.StatusBadRequest, "malformed", "the request is not an AdmissionReview: " + err.Error()}
	}
	review := &in.review
	if review.APIVersion != webhookVersion || review.Kind != "AdmissionReview" {
		return body, nil, &httpError{http.StatusBadRequest, "version", fmt.Sprintf("want an AdmissionReview of %s, got kind %q of %q", webhookVersion, review.Kind, review.APIVersion)}
	}
	if review.Request == nil || review.Request.UID == "" {
		return body, nil, &httpError{http.StatusBadRequest, "no-request", "the AdmissionReview has no request or no request uid"}
	}
	return body, in, nil
}

// answer is the handler's answer to one request: a verdict on the object,
// or, for the requests that get none (other operations, undecodable
// objects, the mutating endpoint), a response. result is the metric label:
// allowed, denied, warned, mutated or error.
type answer struct {
	verdict *Verdict
	resp    *admissionv1.AdmissionResponse
	result  string
}

// respond decides one request.
func (h *Handler) respond(req *admissionv1.AdmissionRequest, obj *object.Object, mutating bool) answer {
	allow := answer{resp: &admissionv1.AdmissionResponse{Allowed: true}, result: "allowed"}
	if req.Operation != admissionv1.Create && req.Operation != admissionv1.Update {
		return allow
	}
	// Subresources carry partial objects (scale, status), except the
	// ephemeral containers of a pod, which `kubectl debug` adds and which
	// can be as privileged as any container.
	if req.SubResource != "" && req.SubResource != "ephemeralcontainers" {
		return allow
	}
	pol := h.policy.Load()
	log := requestLog{h.opts.Log, req}
	var nsLabels map[string]string
	if req.Namespace != "" && h.opts.Namespaces != nil && pol.UsesNamespaceLabels() {
		nsLabels, _ = h.opts.Namespaces(req.Namespace)
	}
	prof, err := pol.ProfileFor(req.Namespace, nsLabels)
	if err != nil {
		log.Warn("no profile", "error", err)
		return answer{resp: deny(http.StatusForbidden, "palisade: "+err.Error()), result: "denied"}
	}
	if mutating && !prof.Mutate {
		return allow
	}
	ev := &evaluator{policy: pol, now: h.opts.Now}
	if obj == nil {
		obj, err = decode(req, false)
	} else if obj.RawNamespace == "" && req.Namespace != "" {
		// The API server may not have written the namespace into the
		// object yet.
		if m, ok := obj.Typed.(metav1.Object); ok {
			m.SetNamespace(req.Namespace)
		}
		obj.RawNamespace = req.Namespace
	}
	if err != nil {
		msg := fmt.Sprintf("palisade: %s %s cannot be evaluated: %v", req.Kind.Kind, req.Name, err)
		if pol.InvalidObjects == Allow || mutating {
			// The validating endpoint decides; the mutating one leaves
			// what it cannot read alone.
			return answer{resp: &admissionv1.AdmissionResponse{Allowed: true, Warnings: []string{truncate(msg, maxWarningLen)}}, result: "warned"}
		}
		log.Info("denied undecodable object", "error", err)
		return answer{resp: deny(http.StatusBadRequest, msg), result: "denied"}
	}
	if obj.Typed == nil && !inspectedGroups[req.Kind.Group] {
		if pol.UnknownKinds == Deny && !mutating {
			return answer{resp: deny(http.StatusBadRequest, fmt.Sprintf("palisade: no rules for kind %s in group %q, and the policy denies unknown kinds", req.Kind.Kind, req.Kind.Group)), result: "denied"}
		}
		return answer{resp: &admissionv1.AdmissionResponse{Allowed: true, Warnings: []string{truncate(fmt.Sprintf("palisade: no rules for kind %s in group %q; not checked", req.Kind.Kind, req.Kind.Group), maxWarningLen)}}, result: "warned"}
	}
	if mutating {
		resp, result := h.respondMutate(ev, req, prof, log)
		return answer{resp: resp, result: result}
	}
	v := ev.evaluate(req, obj, prof)
	if m := h.opts.Metrics; m != nil {
		for _, f := range v.Denials {
			m.denials.WithLabelValues(f.RuleID).Inc()
		}
		for _, f := range v.Warnings {
			m.warnings.WithLabelValues(f.RuleID).Inc()
		}
		for _, re := range v.RuleErrors {
			m.ruleErrors.WithLabelValues(re.RuleID).Inc()
		}
	}
	for _, re := range v.RuleErrors {
		log.Error("rule could not evaluate object", "rule", re.RuleID, "error", re.Err)
	}
	// The verdict is written into the response by appendVerdictReview.
	if v.Denied() {
		log.Info("denied", "profile", prof.Name, "rules", ruleIDs(v.Denials))
		return answer{verdict: v, result: "denied"}
	}
	if len(v.Warnings) > 0 {
		if log.enabled(slog.LevelDebug) {
			log.Debug("warned", "profile", prof.Name, "rules", ruleIDs(v.Warnings))
		}
		return answer{verdict: v, result: "warned"}
	}
	log.Debug("allowed", "profile", prof.Name)
	return answer{verdict: v, result: "allowed"}
}

func (h *Handler) respondMutate(ev *evaluator, req *admissionv1.AdmissionRequest, prof *Profile, log requestLog) (*admissionv1.AdmissionResponse, string) {
	mut, err := ev.mutate(req, prof)
	if err != nil {
		// Not mutating is safe: the validating endpoint still decides.
		log.Warn("not mutated", "error", err)
		return &admissionv1.AdmissionResponse{Allowed: true, Warnings: []string{truncate("palisade: not fixed: "+err.Error(), maxWarningLen)}}, "warned"
	}
	resp := &admissionv1.AdmissionResponse{Allowed: true}
	if len(mut.Applied) > 0 {
		resp.AuditAnnotations = map[string]string{"fixed": strings.Join(mut.Applied, ",")}
		if m := h.opts.Metrics; m != nil {
			for _, id := range mut.Applied {
				m.mutations.WithLabelValues(id).Inc()
			}
		}
	}
	if len(mut.Patch) == 0 {
		return resp, "allowed"
	}
	patch, err := json.Marshal(mut.Patch)
	if err != nil {
		log.Error("encoding patch", "error", err)
		return &admissionv1.AdmissionResponse{Allowed: true}, "error"
	}
	pt := admissionv1.PatchTypeJSONPatch
	resp.Patch, resp.PatchType = patch, &pt
	resp.Warnings = []string{truncate("palisade fixed: "+strings.Join(mut.Applied, ", "), maxWarningLen)}
	log.Info("mutated", "profile", prof.Name, "rules", mut.Applied)
	return resp, "mutated"
}

// requestLog logs about one request. It adds the request's attributes only
// to records that are written: at thousands of requests a second, building
// them for every request would cost more than the logging.
type requestLog struct {
	l   *slog.Logger
	req *admissionv1.AdmissionRequest
}

func (r requestLog) enabled(level slog.Level) bool { return r.l.Enabled(context.Background(), level) }

func (r requestLog) log(level slog.Level, msg string, args ...any) {
	if !r.enabled(level) {
		return
	}
	q := r.req
	r.l.Log(context.Background(), level, msg, append([]any{
		"uid", q.UID, "operation", q.Operation, "kind", q.Kind.Kind, "namespace", q.Namespace,
		"name", q.Name, "user", q.UserInfo.Username,
	}, args...)...)
}

func (r requestLog) Debug(msg string, args ...any) { r.log(slog.LevelDebug, msg, args...) }
func (r requestLog) Info(msg string, args ...any)  { r.log(slog.LevelInfo, msg, args...) }
func (r requestLog) Warn(msg string, args ...any)  { r.log(slog.LevelWarn, msg, args...) }
func (r requestLog) Error(msg string, args ...any) { r.log(slog.LevelError, msg, args...) }

// inspectedGroups are API groups of custom resources that rules inspect
// although Palisade compiles no type for them.
var inspectedGroups = map[string]bool{"security.istio.io": true}

func deny(code int32, msg string) *admissionv1.AdmissionResponse {
	reason := metav1.StatusReasonForbidden
	if code == http.StatusBadRequest {
		reason = metav1.StatusReasonBadRequest
	}
	return &admissionv1.AdmissionResponse{Allowed: false, Result: &metav1.Status{Status: metav1.StatusFailure, Code: code, Reason: reason, Message: msg}}
}

// truncate cuts s to at most limit bytes, ending in "..." when cut, at
// the start of a UTF-8 sequence.
func truncate(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	cut := max(0, limit-len("..."))
	for cut > 0 && !isRuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

func ruleIDs(fs []*engine.Finding) []string {
	out := make([]string, 0, len(fs))
	for _, f := range fs {
		out = append(out, f.RuleID)
	}
	return out
}

// bodyPool holds request body buffers. A review is read, decoded and
// dropped within its request, so one buffer serves request after request
// instead of each allocating (and the collector clearing) its own.
var bodyPool = sync.Pool{New: func() any { return new([]byte) }}

// maxPooledBody bounds the buffers kept: a rare huge review should not pin
// megabytes in the pool.
const maxPooledBody = 256 << 10

// readBody reads a request body into a pooled buffer, sized from the
// declared length when there is one. On error the buffer is returned too,
// for releaseBody.
func readBody(r io.Reader, declared int64) (*[]byte, error) {
	buf := bodyPool.Get().(*[]byte)
	b := (*buf)[:0]
	if declared > 0 && declared <= MaxRequestBytes {
		// One byte more than declared, so that the read that finds the
		// end of the body need not grow the buffer.
		b = slices.Grow(b, int(declared)+1)
	}
	for {
		if len(b) == cap(b) {
			b = slices.Grow(b, max(512, len(b)))
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			*buf = b
			return buf, err
		}
	}
	*buf = b
	return buf, nil
}

// releaseBody returns a body buffer to the pool. Nil is allowed.
func releaseBody(buf *[]byte) {
	if buf == nil || cap(*buf) > maxPooledBody {
		return
	}
	bodyPool.Put(buf)
}
