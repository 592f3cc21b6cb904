package admission

import (
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/palisade-dev/palisade/internal/engine"
	"github.com/palisade-dev/palisade/internal/object"
)

// Verdict is the outcome of evaluating one request under its profile.
type Verdict struct {
	Profile *Profile
	// Object is the decoded object; nil when it did not decode.
	Object *object.Object
	// Denials are the findings that deny the request (enforce mode, at or
	// above the profile's denyAt, new in this request). They point into
	// Audited.
	Denials []*engine.Finding
	// Warnings are the findings returned as warnings: every finding in
	// warn mode; in enforce mode the ones below denyAt and those an
	// update did not introduce. They point into Audited.
	Warnings []*engine.Finding
	// Audited are every finding that is neither suppressed nor exempt.
	Audited []engine.Finding
	// Exempted counts the findings an exemption let through; Suppressed
	// those an annotation suppressed.
	Exempted, Suppressed int
	// RuleErrors are rules that could not evaluate the object. A rule
	// error in enforce mode denies: a check that could not run is not a
	// pass.
	RuleErrors []engine.RuleError
	// buf holds the array of the engine's result, into which Audited,
	// Denials and Warnings point; release hands it back to findingBufs.
	buf *[]engine.Finding
}

// findingBufs holds the arrays that verdicts' findings are written into,
// so that a request does not allocate one (a few kilobytes for a
// Deployment).
var findingBufs = sync.Pool{New: func() any { return new([]engine.Finding) }}

// maxKeptFindings bounds the arrays kept: an object with more findings
// than this leaves its array to the collector.
const maxKeptFindings = 256

// release hands the verdict's findings array back for another request.
// Neither the verdict nor any of its findings may be used after: the
// handler calls it once the response is written.
func (v *Verdict) release() {
	if v == nil || v.buf == nil {
		return
	}
	buf := v.buf
	*v = Verdict{}
	if cap(*buf) > maxKeptFindings {
		return
	}
	clear(*buf) // drop what the findings point to
	*buf = (*buf)[:0]
	findingBufs.Put(buf)
}

// Denied reports whether the verdict denies the request.
func (v *Verdict) Denied() bool {
	return len(v.Denials) > 0 || (v.Profile.Mode == Enforce && len(v.RuleErrors) > 0)
}

// evaluator evaluates requests under one policy.
type evaluator struct {
	policy *Policy
	now    func() time.Time
}

// decode decodes the request's object (or, for old, its old object).
func decode(req *admissionv1.AdmissionRequest, old bool) (*object.Object, error) {
	raw := req.Object.Raw
	if old {
		raw = req.OldObject.Raw
	}
	gvk := schema.GroupVersionKind(req.Kind)
	return object.FromJSON(object.Source{File: "admission"}, gvk, req.Namespace, raw)
}

// evaluate runs the profile's rules over the request's object. It never
// panics on a rule's behalf: the engine turns rule panics into RuleErrors.
func (e *evaluator) evaluate(req *admissionv1.AdmissionRequest, obj *object.Object, prof *Profile) *Verdict {
	v := &Verdict{Profile: prof, Object: obj}
	v.buf = findingBufs.Get().(*[]engine.Finding)
	res := e.run(obj, prof, *v.buf)
	if res.Findings != nil {
		*v.buf = res.Findings // the buffer's array, or a larger new one
	}
	v.RuleErrors = res.RuleErrors
	var existing map[findingKey]bool
	if req.Operation == admissionv1.Update && len(req.OldObject.Raw) > 0 {
		// An update that leaves a finding as it was is not what the
		// finding is about: scaling a Deployment that predates the policy
		// must not be denied. Such findings warn instead.
		if old, err := decode(req, true); err == nil {
			existing = map[findingKey]bool{}
			for _, f := range e.run(old, prof, nil).Findings {
				if f.Suppressed == nil {
					existing[keyOf(&f)] = true
				}
			}
		}
	}
	// Audited is the engine's own slice with the suppressed and exempt
	// findings taken out, and the other lists point into it: findings are
	// large, and a request has dozens of them, so none is copied.
	now := e.now()
	kept := res.Findings[:0]
	var nDenied, nWarned int
	for i := range res.Findings {
		f := &res.Findings[i]
		switch {
		case f.Suppressed != nil:
			v.Suppressed++
			continue
		case e.exempt(req, obj, f, now):
			v.Exempted++
			continue
		}
		kept = append(kept, *f)
		if denies(prof, f, existing) {
			nDenied++
		} else if prof.Mode != Audit {
			nWarned++
		}
	}
	clear(res.Findings[len(kept):]) // drop what the taken-out findings point to
	if len(kept) > 0 {
		v.Audited = kept
	}
	if nDenied > 0 {
		v.Denials = make([]*engine.Finding, 0, nDenied)
	}
	if nWarned > 0 {
		v.Warnings = make([]*engine.Finding, 0, nWarned)
	}
	for i := range v.Audited {
		f := &v.Audited[i]
		if denies(prof, f, existing) {
			v.Denials = append(v.Denials, f)
		} else if prof.Mode != Audit {
			v.Warnings = append(v.Warnings, f)
		}
	}
	return v
}

// denies reports whether finding f, neither suppressed nor exempt, denies
// the request: in enforce mode, at or above the profile's denyAt, and not
// already in the object before this update.
func denies(prof *Profile, f *engine.Finding, existing map[findingKey]bool) bool {
	return prof.Mode == Enforce && f.Severity >= prof.DenyAt && !existing[keyOf(f)]
}

// run evaluates one object alone, writing its findings into into when it
// has room (see engine.Options.Into).
func (e *evaluator) run(obj *object.Object, prof *Profile, into []engine.Finding) *engine.Result {
	return e.runAll([]*object.Object{obj}, prof, into)
}

// findingKey identifies a finding in an object and its update.
type findingKey struct {
	rule, path, container, message string
}

func keyOf(f *engine.Finding) findingKey {
	return findingKey{f.RuleID, string(f.Path), f.Container, f.Message}
}

// exempt reports whether an exemption of the policy covers finding f.
func (e *evaluator) exempt(req *admissionv1.AdmissionRequest, obj *object.Object, f *engine.Finding, now time.Time) bool {
	for _, ex := range e.policy.exemptions {
		if !ex.ExpiresAt.IsZero() && now.After(ex.ExpiresAt) {
			continue
		}
		if ex.covers(req, obj, f) {
			return true
		}
	}
	return false
}

func (ex *Exemption) covers(req *admissionv1.AdmissionRequest, obj *object.Object, f *engine.Finding) bool {
	if len(ex.Rules) > 0 && !slices.Contains(ex.Rules, "*") && !slices.Contains(ex.Rules, f.RuleID) {
		return false
	}
	if len(ex.Namespaces) > 0 && !globAny(ex.Namespaces, req.Namespace) {
		return false
	}
	if len(ex.Kinds) > 0 && !globAny(ex.Kinds, obj.Kind) {
		return false
	}
	if len(ex.Names) > 0 && !globAny(ex.Names, obj.Name) {
		return false
	}
	if len(ex.Users) > 0 && !slices.Contains(ex.Users, req.UserInfo.Username) {
		return false
	}
	if len(ex.Groups) > 0 && !slices.ContainsFunc(ex.Groups, func(g string) bool { return slices.Contains(req.UserInfo.Groups, g) }) {
		return false
	}
	if len(ex.ServiceAccounts) > 0 && !serviceAccountIn(ex.ServiceAccounts, req.UserInfo) {
		return false
	}
	if len(ex.images) > 0 && !ex.imagesMatch(obj, f) {
		return false
	}
	return true
}

const serviceAccountPrefix = "system:serviceaccount:"

func serviceAccountIn(sas []string, u authenticationv1.UserInfo) bool {
	rest, ok := strings.CutPrefix(u.Username, serviceAccountPrefix)
	if !ok {
		return false
	}
	ns, name, ok := strings.Cut(rest, ":")
	if !ok {
		return false
	}
	for _, sa := range sas {
		gns, gname, _ := strings.Cut(sa, "/")
		if okNS, _ := path.Match(gns, ns); okNS && gname == name {
			return true
		}
	}
	return false
}

// imagesMatch matches the image of the finding's container, or every
// image of the pod for findings about no container.
func (ex *Exemption) imagesMatch(obj *object.Object, f *engine.Finding) bool {
	pt, ok := obj.PodTemplate()
	if !ok {
		return false
	}
	seen := false
	for _, c := range pt.Containers() {
		if f.Container != "" && c.Name != f.Container {
			continue
		}
		seen = true
		if !slices.ContainsFunc(ex.images, func(re *regexp.Regexp) bool { return re.MatchString(c.Image) }) {
			return false
		}
	}
	return seen
}
