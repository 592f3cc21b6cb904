package admission

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	admissionv1 "k8s.io/api/admission/v1"

	"github.com/palisade-dev/palisade/internal/engine"
	"github.com/palisade-dev/palisade/internal/fix"
	"github.com/palisade-dev/palisade/internal/object"
)

// Mutation is what the mutating endpoint does to one object.
type Mutation struct {
	// Patch is the RFC 6902 JSON Patch the API server applies; empty when
	// nothing changes.
	Patch []PatchOp
	// Applied are the rule IDs whose fixes the patch applies, in order.
	Applied []string
	// Skipped are fixes that were not applied, with the reason (unsafe,
	// conflicting, or failing a check).
	Skipped []string
}

// PatchOp is one JSON Patch operation as the API server reads it.
type PatchOp struct {
	Op    string
	Path  string
	Value any
}

// MarshalJSON writes the value of add and replace even when it is null,
// which a plain omitempty field would drop.
func (p PatchOp) MarshalJSON() ([]byte, error) {
	if p.Op == "remove" {
		return json.Marshal(struct {
			Op   string `json:"op"`
			Path string `json:"path"`
		}{p.Op, p.Path})
	}
	return json.Marshal(struct {
		Op    string `json:"op"`
		Path  string `json:"path"`
		Value any    `json:"value"`
	}{p.Op, p.Path, p.Value})
}

// mutate applies the safe fixes of the findings of the request's object,
// using the fixer that `palisade fix` uses (same rounds, conflict and
// safety checks, never an unsafe fix), and returns the JSON Patch that
// turns the object as sent into the fixed one. Exempt findings are not
// fixed: an exemption means "leave this alone".
func (e *evaluator) mutate(req *admissionv1.AdmissionRequest, prof *Profile) (*Mutation, error) {
	raw := req.Object.Raw
	// The fixer works on files; a JSON object is a one-document JSON file.
	name := "admission.json"
	var current *object.Object
	res := fix.File(name, raw, fix.Options{
		Scan: func(objs []*object.Object) *engine.Result {
			if len(objs) > 0 {
				current = objs[0]
				if current.RawNamespace == "" && req.Namespace != "" {
					// The API server may not have written the namespace
					// into the object yet; rules and exemptions need it.
					current.RawNamespace = req.Namespace
				}
			}
			return e.runAll(objs, prof, nil)
		},
		Want: func(f *engine.Finding) bool {
			return !e.exempt(req, current, f, e.now())
		},
	})
	if res.Err != nil {
		return nil, res.Err
	}
	m := &Mutation{}
	for _, c := range res.Applied {
		if len(c.Ops) > 0 {
			m.Applied = append(m.Applied, c.Finding.RuleID)
		}
	}
	for _, c := range res.Skipped {
		m.Skipped = append(m.Skipped, fmt.Sprintf("%s: %s", c.Finding.RuleID, c.Reason))
	}
	if !res.Changed() {
		return m, nil
	}
	before, err := decodeJSON(res.Before)
	if err != nil {
		return nil, err
	}
	after, err := decodeJSON(res.After)
	if err != nil {
		return nil, fmt.Errorf("the fixed object is not JSON: %w", err)
	}
	m.Patch = diffJSON("", before, after, nil)
	return m, nil
}

// runAll evaluates objs, a request's object (or the fixer's view of it),
// alone. Workers is one: the engine's fan-out would cost more than it
// saves on one object.
func (e *evaluator) runAll(objs []*object.Object, prof *Profile, into []engine.Finding) *engine.Result {
	return engine.Run(object.NewSet(objs), engine.Options{
		Rules:       prof.rules,
		RuleOptions: prof.ruleOpts,
		Strict:      prof.Strict,
		Now:         e.now,
		Workers:     1,
		Into:        into,
	})
}

func decodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // keep numbers exactly as written
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("more than one JSON value")
	}
	return v, nil
}

// diffJSON appends to ops the operations that turn a into b at pointer p:
// members added, removed or replaced, recursing into objects and into
// arrays of the same length; an array whose length changed is replaced
// whole, which is exact and keeps the patch simple to review.
func diffJSON(p string, a, b any, ops []PatchOp) []PatchOp {
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok {
			break
		}
		for _, k := range slices.Sorted(maps.Keys(av)) {
			if _, ok := bv[k]; !ok {
				ops = append(ops, PatchOp{Op: "remove", Path: p + "/" + escapePointer(k)})
			}
		}
		for _, k := range slices.Sorted(maps.Keys(bv)) {
			old, ok := av[k]
			if !ok {
				ops = append(ops, PatchOp{Op: "add", Path: p + "/" + escapePointer(k), Value: bv[k]})
				continue
			}
			ops = diffJSON(p+"/"+escapePointer(k), old, bv[k], ops)
		}
		return ops
	case []any:
		bv, ok := b.([]any)
		if !ok || len(bv) != len(av) {
			break
		}
		for i := range av {
			ops = diffJSON(p+"/"+strconv.Itoa(i), av[i], bv[i], ops)
		}
		return ops
	default:
		if jsonEqual(a, b) {
			return ops
		}
	}
	return append(ops, PatchOp{Op: "replace", Path: p, Value: b})
}

func jsonEqual(a, b any) bool {
	if an, ok := a.(json.Number); ok {
		bn, ok := b.(json.Number)
		if !ok {
			return false
		}
		if an == bn {
			return true
		}
		af, err1 := an.Float64()
		bf, err2 := bn.Float64()
		return err1 == nil && err2 == nil && af == bf
	}
	switch a.(type) {
	case map[string]any, []any:
		return false // handled by the caller
	}
	return a == b
}

func escapePointer(k string) string {
	return strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1")
}
