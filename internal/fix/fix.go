package fix

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/palisade-dev/palisade/internal/engine"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
)

// Options configure the fixer.
type Options struct {
	// Scan runs the selected rules over objs, the objects of the file being
	// fixed as they currently stand, with the rest of the scan as context,
	// and returns the findings about them with suppressions applied.
	// Required.
	Scan func(objs []*object.Object) *engine.Result
	// Want says whether to apply the fix of a finding (its rule is
	// selected, its severity high enough). Nil means every finding.
	// Suppressed findings are never fixed.
	Want func(f *engine.Finding) bool
	// Unsafe allows the fixes marked Unsafe.
	Unsafe bool
	// Editable says whether the fix of a finding may rewrite the text its
	// object was decoded from, and if not, what to change instead: objects
	// rendered from a Helm chart or built by Kustomize come from templates,
	// values and patches, never from the text they were decoded from (see
	// Generated). Nil means every finding's object is editable.
	Editable func(f *engine.Finding) error
	// Claim is asked before a file gets a new object (see
	// rule.Fix.NewObject), so that two files do not both create it; it
	// returns why not. Asking again for the same file and key must
	// succeed. Nil allows every new object.
	Claim func(file string, key ObjectKey) error
}

// ObjectKey identifies an object to create.
type ObjectKey struct {
	Kind, Namespace, Name string
}

func (k ObjectKey) String() string {
	if k.Namespace == "" {
		return k.Kind + " " + k.Name
	}
	return k.Kind + " " + k.Namespace + "/" + k.Name
}

// Change is one finding the fixer dealt with.
type Change struct {
	// Finding is the finding as found.
	Finding engine.Finding
	// Index is the position of the finding's object among the objects of
	// the file (object.Decode's order).
	Index int
	// Ops are the operations applied, relative to the object's root, with
	// array indexes resolved. Empty when earlier fixes had already made
	// the change.
	Ops []rule.PatchOp
	// Created is the object a fix added as a new document, if any.
	Created any
	// Reason says why the fix was not applied.
	Reason string
}

// Result is the outcome of fixing one file.
type Result struct {
	File string
	// Before is the file as read; After is the fixed file, which is Before
	// itself when nothing changed or the file is left as it was.
	Before, After []byte
	// Applied are the fixes applied.
	Applied []Change
	// Skipped are the fixes not applied whose findings remain, with the
	// reason.
	Skipped []Change
	// Remaining are the unsuppressed findings left after fixing (all of
	// them when Err is set).
	Remaining []engine.Finding
	// RuleErrors are the rules that could not evaluate the fixed objects.
	RuleErrors []engine.RuleError
	// Err says why the file is left as it was: it does not parse, or
	// fixing it failed a check. Every other field still describes the file
	// as it was.
	Err error
}

// Changed reports whether the file would be rewritten.
func (r *Result) Changed() bool { return r.Err == nil && !bytes.Equal(r.Before, r.After) }

// maxRounds bounds the rounds of scanning and fixing one file. A fix can
// make another finding fixable (a container stops being privileged, and
// can then drop privilege escalation), so the fixer scans again until no
// fix applies; real files settle in two or three rounds.
const maxRounds = 8

// maxAttempts bounds the restarts after a fix failed verification.
const maxAttempts = 6

// File fixes the file name whose content is data. It never writes: the
// caller writes Result.After.
//
// A file is fixed in rounds. Each round scans the file's objects, orders
// the fixes it may apply (higher severity first, then rule ID, then the
// object's place in the file, then the field path from last to first, so
// that removals from one list do not shift each other) and applies them
// one by one. A fix is applied whole or not at all; it is dropped when it
// conflicts with a fix applied before it in the round (both change the same
// field to different values), when an edit would change something aliases
// share, or when it would leave an object the API server rejects or whose
// containers cannot start. The next round scans the result: a finding whose
// fix was applied must be gone, or the whole file starts over without that
// fix. Rounds end when no fix applies, so running the fixer again changes
// nothing.
//
// Finally every edited document must parse, decode to the value the
// patches produce (a check that the text edits are right) and the file must
// decode to the same objects as before. A file that does not parse, or
// fails a check, is left as it was and Result.Err says why.
func File(name string, data []byte, opts Options) *Result {
	res := &Result{File: name, Before: data, After: data}
	if err := precheck(data); err != nil {
		res.Err = err
		return res
	}
	dec := object.Decode(name, data)
	if len(dec.Errors) > 0 {
		msg := dec.Errors[0].Error()
		if len(dec.Errors) > 1 {
			msg += fmt.Sprintf(" (and %d more errors)", len(dec.Errors)-1)
		}
		res.Err = errors.New(msg)
		return res
	}
	excluded := map[findingKey]string{}
	for attempt := 1; ; attempt++ {
		r := &run{name: name, data: data, opts: opts, excluded: excluded}
		err := r.fix(dec.Objects)
		var rt *retry
		if errors.As(err, &rt) && attempt < maxAttempts {
			excluded[rt.key] = rt.reason
			continue
		}
		if err != nil {
			res.Err = err
			if r.first != nil {
				res.Remaining = unsuppressed(r.first.Findings)
				res.RuleErrors = r.first.RuleErrors
			}
			return res
		}
		r.result(res)
		return res
	}
}

// precheck refuses text the editor cannot edit safely.
func precheck(data []byte) error {
	switch {
	case bytes.HasPrefix(data, []byte{0xff, 0xfe}), bytes.HasPrefix(data, []byte{0xfe, 0xff}),
		bytes.HasPrefix(data, []byte{0, 0, 0xfe, 0xff}):
		return errors.New("not fixed: the file is UTF-16 or UTF-32; convert it to UTF-8 first")
	case unusualBreaks(data):
		return errors.New("not fixed: the file has line breaks other than LF and CRLF")
	}
	return nil
}

// findingKey identifies a finding across rounds: objects keep their place
// in the file, and a finding its rule, field and message.
type findingKey struct {
	rule      string
	index     int
	path      object.Path
	container string
	message   string
}

// retry asks for the file to be fixed again without one fix.
type retry struct {
	key    findingKey
	reason string
}

func (r *retry) Error() string { return r.reason }

// objLoc places an object in the file: its document and, for the items of
// a List, its path within the document.
type objLoc struct {
	doc    int // -1 when not found
	prefix []string
}

// run is one attempt at fixing a file.
type run struct {
	name     string
	data     []byte
	opts     Options
	excluded map[findingKey]string

	bom      []byte
	docs     []*docState
	fileSt   *style
	jsonSt   *style // the style of the file's JSON documents
	yamlDocs int    // documents written as YAML rather than JSON
	json     bool
	objs     []*object.Object
	index    map[*object.Object]int
	locs     []objLoc
	first    *engine.Result
	last     *engine.Result
	applied  map[findingKey]*Change
	order    []findingKey // applied, in order
	skipped  map[findingKey]*Change
	created  map[ObjectKey]any
	newDocs  int
	seen     map[string]bool
	original []*object.Object
}

func (r *run) fix(objs []*object.Object) error {
	if err := r.load(objs); err != nil {
		return err
	}
	for round := 0; ; round++ {
		scan := r.opts.Scan(r.objs)
		if r.first == nil {
			r.first = scan
		}
		r.last = scan
		for _, f := range scan.Findings {
			if f.Suppressed != nil {
				continue
			}
			if c, ok := r.applied[r.key(&f)]; ok && (len(c.Ops) > 0 || c.Created != nil) {
				return &retry{key: r.key(&f), reason: "the fix did not remove the finding, so it is left for review"}
			}
		}
		if round == maxRounds {
			return fmt.Errorf("not fixed: the fixes did not settle after %d rounds", maxRounds)
		}
		if !r.round(scan) {
			break
		}
		if err := r.redecode(); err != nil {
			return err
		}
	}
	return r.verify()
}

// load parses the documents of the file, learns its style and places its
// objects, which object.Decode returned.
func (r *run) load(objs []*object.Object) error {
	body := r.data
	if bytes.HasPrefix(body, []byte("\xef\xbb\xbf")) {
		r.bom, body = body[:3], body[3:]
	}
	r.json = strings.EqualFold(fileExt(r.name), ".json")
	eol := lineEnding(body)
	fileObs, jsonObs := newStyleObs(), newStyleObs()
	chunks := splitChunks(body)
	type parsed struct {
		d   *ydoc
		obs *styleObs
	}
	ps := make([]parsed, len(chunks))
	for i, c := range chunks {
		r.docs = append(r.docs, &docState{text: c.text})
		d, err := parseDoc(c.text, nil)
		if errors.Is(err, errEmptyDoc) {
			continue
		}
		if err != nil {
			return fmt.Errorf("not fixed: %w", err)
		}
		obs := newStyleObs()
		obs.observe(d)
		if isJSONDoc(d) {
			jsonObs.observe(d)
		} else {
			fileObs.observe(d)
			r.yamlDocs++
		}
		ps[i] = parsed{d, obs}
		v, err := nodeValue(d.root)
		if err != nil {
			return fmt.Errorf("not fixed: %w", err)
		}
		r.docs[i].value = v
	}
	def := &style{indent: 2, itemGap: 2, eol: eol, jsonIndent: "  ", jsonSpace: true}
	r.fileSt = fileObs.style(def, r.json)
	r.jsonSt = jsonObs.style(def, true)
	for i, p := range ps {
		if p.d == nil {
			continue
		}
		r.docs[i].st = p.obs.style(r.fileSt, r.json || isJSONDoc(p.d))
	}
	r.applied = map[findingKey]*Change{}
	r.skipped = map[findingKey]*Change{}
	r.created = map[ObjectKey]any{}
	r.seen = map[string]bool{}
	r.original = objs
	r.setObjects(objs, chunks)
	return nil
}

func fileExt(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 && !strings.ContainsAny(name[i:], `/\`) {
		return name[i:]
	}
	return ""
}

// isJSONDoc reports whether a document is written as JSON: a flow mapping
// whose keys are all double-quoted.
func isJSONDoc(d *ydoc) bool {
	if d.root.Kind != yaml.MappingNode || d.root.Style&yaml.FlowStyle == 0 {
		return false
	}
	ok := true
	walkNodes(d.root, func(n *yaml.Node) {
		if n.Kind == yaml.MappingNode {
			for i := 0; i < len(n.Content); i += 2 {
				ok = ok && n.Content[i].Style&yaml.DoubleQuotedStyle != 0
			}
		}
	})
	return ok
}

// setObjects records the current objects and where each lies.
func (r *run) setObjects(objs []*object.Object, chunks []chunk) {
	r.objs = objs
	r.index = make(map[*object.Object]int, len(objs))
	r.locs = make([]objLoc, len(objs))
	for i, o := range objs {
		r.index[o] = i
		r.locs[i] = r.locate(o, chunks)
	}
}

// locate finds the document and path of object o.
func (r *run) locate(o *object.Object, chunks []chunk) objLoc {
	pos, _ := o.Position("")
	for i, c := range chunks {
		lines := bytes.Count(c.text, []byte{'\n'}) + 1
		if o.Line < c.line || o.Line >= c.line+lines || r.docs[i].st == nil {
			continue
		}
		d, err := parseDoc(c.text, r.docs[i].st)
		if err != nil {
			return objLoc{doc: -1}
		}
		at := func(n *yaml.Node) bool {
			n = resolve(n)
			return c.line+n.Line-1 == pos.Line && n.Column == pos.Column
		}
		if at(d.root) {
			return objLoc{doc: i}
		}
		if d.root.Kind == yaml.MappingNode {
			if k := ownKey(d.root, "items"); k >= 0 {
				for j, item := range d.root.Content[2*k+1].Content {
					if at(item) {
						return objLoc{doc: i, prefix: []string{"items", itoa(j)}}
					}
				}
			}
		}
	}
	return objLoc{doc: -1}
}

func (r *run) key(f *engine.Finding) findingKey {
	return findingKey{rule: f.RuleID, index: r.index[f.Object], path: f.Path, container: f.Container, message: f.Message}
}

func (r *run) skip(f *engine.Finding, reason string) {
	c := r.change(f)
	c.Reason = reason
	r.skipped[r.key(f)] = c
}

// change starts the record of what happened to finding f. Its position is
// given in the file as it was, where the user looks for it, even when a
// later round found it in the partly fixed text.
func (r *run) change(f *engine.Finding) *Change {
	c := &Change{Finding: *f, Index: r.index[f.Object]}
	if c.Index < len(r.original) {
		c.Finding.Pos, _ = r.original[c.Index].Position(f.Path)
	}
	return c
}

// candidate is a finding whose fix a round may apply, with the fix its
// builder returned.
type candidate struct {
	*engine.Finding
	fix *rule.Fix
}

// candidates returns the findings whose fixes the round may apply, in the
// order it applies them. It builds each wanted finding's fix once.
func (r *run) candidates(scan *engine.Result) []candidate {
	var out []candidate
	for i := range scan.Findings {
		f := &scan.Findings[i]
		if f.Suppressed != nil || f.Fix == nil {
			continue
		}
		if r.opts.Want != nil && !r.opts.Want(f) {
			continue
		}
		fix := f.Fix()
		if fix == nil || (len(fix.Patch) == 0 && fix.NewObject == nil) {
			continue
		}
		out = append(out, candidate{f, fix})
	}
	slices.SortStableFunc(out, func(a, b candidate) int {
		return cmp.Or(
			cmp.Compare(b.Severity, a.Severity),
			cmp.Compare(a.RuleID, b.RuleID),
			cmp.Compare(r.index[a.Object], r.index[b.Object]),
			comparePaths(b.Path, a.Path),
			cmp.Compare(a.Message, b.Message),
		)
	})
	return out
}

// comparePaths orders paths step by step, indexes by number.
func comparePaths(a, b object.Path) int {
	ea, _ := a.Elems()
	eb, _ := b.Elems()
	for i := 0; i < len(ea) && i < len(eb); i++ {
		x, y := ea[i], eb[i]
		if x.IsIndex && y.IsIndex {
			if c := cmp.Compare(x.Index, y.Index); c != 0 {
				return c
			}
			continue
		}
		if c := cmp.Compare(x.Key, y.Key); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(ea), len(eb))
}

// round applies the fixes of one scan and reports whether any applied.
func (r *run) round(scan *engine.Result) bool {
	progress := false
	touched := map[*docState]map[string]touch{}
	owners := map[int]*engine.Finding{}
	for id, c := range r.candidates(scan) {
		f, fix := c.Finding, c.fix
		k := r.key(f)
		idx := r.index[f.Object]
		if reason, ok := r.excluded[k]; ok {
			r.skip(f, reason)
			continue
		}
		if r.opts.Editable != nil {
			if err := r.opts.Editable(f); err != nil {
				r.skip(f, err.Error())
				continue
			}
		}
		if fix.Unsafe && !r.opts.Unsafe {
			reason := "unsafe fix, applied only with --unsafe"
			if fix.Note != "" {
				reason += ": " + fix.Note
			}
			r.skip(f, reason)
			continue
		}
		loc := r.locs[idx]
		if loc.doc < 0 {
			r.skip(f, "cannot find the object in the file")
			continue
		}
		ds := r.docs[loc.doc]
		if touched[ds] == nil {
			touched[ds] = map[string]touch{}
		}
		owners[id] = f
		change := r.change(f)
		if len(fix.Patch) > 0 {
			ap := newApplier(ds, loc.prefix, f.Object.Kind, id, touched[ds])
			err := ap.apply(fix.Patch)
			if err == nil {
				err = r.safe(f.Object, ap.value, loc.prefix)
			}
			if err != nil {
				var c *conflict
				if errors.As(err, &c) && owners[c.with] != nil {
					err = fmt.Errorf("conflicts with the fix of %s applied before it: %s", owners[c.with].RuleID, c.msg)
				}
				r.skip(f, err.Error())
				continue
			}
			ap.commit()
			change.Ops = ap.ops
		}
		if fix.NewObject != nil {
			created, err := r.create(fix.NewObject)
			if err != nil {
				r.skip(f, err.Error())
				continue
			}
			change.Created = created
		}
		r.applied[k] = change
		r.order = append(r.order, k)
		delete(r.skipped, k)
		progress = progress || len(change.Ops) > 0 || change.Created != nil
	}
	return progress
}

// safe checks that an object patched to value (at prefix in its document)
// still decodes and has no new hazard.
func (r *run) safe(before *object.Object, docValue any, prefix []string) error {
	v, ok := get(docValue, prefix)
	if !ok {
		return errors.New("the fix removes the object")
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	res := object.Decode(r.name, b)
	if len(res.Errors) > 0 || len(res.Objects) != 1 {
		msg := "the object would no longer decode"
		if len(res.Errors) > 0 {
			msg += ": " + res.Errors[0].Msg
		}
		return errors.New(msg)
	}
	if h := newHazards(before, res.Objects[0]); len(h) > 0 {
		return fmt.Errorf("the fix would leave an object the API server rejects or cannot start: %s", strings.Join(h, "; "))
	}
	return nil
}

// create adds newObject, a fix's new object, as a document at the end of
// the file, once.
func (r *run) create(newObject any) (any, error) {
	if r.json {
		return nil, refuse("a JSON file holds one document: add %s by hand", describeNew(newObject))
	}
	v, err := normalize(newObject)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("the new object is not a mapping")
	}
	key := objectKey(m)
	if key.Kind == "" || key.Name == "" {
		return nil, errors.New("the new object has no kind or name")
	}
	if prev, ok := r.created[key]; ok {
		if equal(prev, v) {
			return v, nil
		}
		return nil, fmt.Errorf("another fix creates a different %s", key)
	}
	for _, o := range r.objs {
		if o.Kind == key.Kind && o.Name == key.Name && o.RawNamespace == key.Namespace {
			return nil, fmt.Errorf("%s already exists", key)
		}
	}
	if r.opts.Claim != nil {
		if err := r.opts.Claim(r.name, key); err != nil {
			return nil, err
		}
	}
	// The new document is YAML, or JSON in a stream of JSON documents.
	st := *r.fileSt
	st.json, st.kind = false, key.Kind
	e := emitter{&st}
	lines := e.mapLines(m, 0, nil)
	if r.yamlDocs == 0 {
		st = *r.jsonSt
		st.kind = key.Kind
		lines = e.jsonLines(m, "", nil)
	}
	text := "---" + st.eol + strings.Join(lines, st.eol) + st.eol
	if last := r.lastText(); len(last) > 0 && last[len(last)-1] != '\n' {
		// The file ends without a line break: so does the fixed file.
		text = st.eol + strings.TrimSuffix(text, st.eol)
	}
	r.docs = append(r.docs, &docState{text: []byte(text), value: v, st: &st, changed: true})
	r.created[key] = v
	r.newDocs++
	return v, nil
}

func describeNew(v any) string {
	if m, ok := v.(map[string]any); ok {
		return objectKey(m).String()
	}
	nv, err := normalize(v)
	if m, ok := nv.(map[string]any); ok && err == nil {
		return objectKey(m).String()
	}
	return "the new object"
}

func objectKey(m map[string]any) ObjectKey {
	s := func(v any) string { x, _ := v.(string); return x }
	md, _ := m["metadata"].(map[string]any)
	return ObjectKey{Kind: s(m["kind"]), Namespace: s(md["namespace"]), Name: s(md["name"])}
}

// lastText returns the text of the file's last non-empty document.
func (r *run) lastText() []byte {
	for i := len(r.docs) - 1; i >= 0; i-- {
		if len(r.docs[i].text) > 0 {
			return r.docs[i].text
		}
	}
	return nil
}

// text assembles the file.
func (r *run) text() []byte {
	var b bytes.Buffer
	b.Write(r.bom)
	for _, d := range r.docs {
		b.Write(d.text)
	}
	return b.Bytes()
}

// redecode decodes the fixed text for the next round and checks that it
// holds the same objects, plus the new ones.
func (r *run) redecode() error {
	data := r.text()
	if r.seen[string(data)] {
		return errors.New("not fixed: the fixes undo each other")
	}
	r.seen[string(data)] = true
	res := object.Decode(r.name, data)
	if len(res.Errors) > 0 {
		return fmt.Errorf("not fixed: the fixed file would not decode (%s); please report this", res.Errors[0].Msg)
	}
	if len(res.Objects) != len(r.original)+r.newDocs {
		return fmt.Errorf("not fixed: the fixed file would hold %d objects instead of %d; please report this", len(res.Objects), len(r.original)+r.newDocs)
	}
	for i, o := range r.original {
		n := res.Objects[i]
		if n.Kind != o.Kind || n.Name != o.Name || n.RawNamespace != o.RawNamespace {
			return fmt.Errorf("not fixed: object %d of the fixed file would be %s instead of %s; please report this", i+1, n.Ref(), o.Ref())
		}
	}
	var chunks []chunk
	line := 1
	for _, d := range r.docs {
		chunks = append(chunks, chunk{text: d.text, line: line})
		line += bytes.Count(d.text, []byte{'\n'})
	}
	r.setObjects(res.Objects, chunks)
	return nil
}

// verify checks every edited document: it parses and decodes to exactly
// the value the patches produce.
func (r *run) verify() error {
	for _, d := range r.docs {
		if !d.changed {
			continue
		}
		yd, err := parseDoc(d.text, d.st)
		if err != nil {
			return fmt.Errorf("not fixed: an edited document would not parse (%w); please report this", err)
		}
		v, err := nodeValue(yd.root)
		if err != nil || !equal(v, d.value) {
			return errors.New("not fixed: an edited document would not hold the patched value; please report this")
		}
	}
	return nil
}

// result fills res from a successful run.
func (r *run) result(res *Result) {
	res.After = r.text()
	if bytes.Equal(res.After, res.Before) {
		res.After = res.Before
	}
	res.RuleErrors = r.last.RuleErrors
	res.Remaining = unsuppressed(r.last.Findings)
	remaining := map[findingKey]bool{}
	for i := range res.Remaining {
		remaining[r.key(&res.Remaining[i])] = true
	}
	for _, k := range r.order {
		c := r.applied[k]
		if remaining[k] {
			// Earlier fixes already made its change, yet the finding
			// remains: the fix does not fix it.
			c.Reason = "the fix changes nothing, and the finding remains"
			r.skipped[k] = c
			continue
		}
		res.Applied = append(res.Applied, *c)
	}
	for k, c := range r.skipped {
		if remaining[k] {
			res.Skipped = append(res.Skipped, *c)
		}
	}
	slices.SortFunc(res.Skipped, func(a, b Change) int {
		return cmp.Or(cmp.Compare(a.Finding.Pos.Line, b.Finding.Pos.Line), cmp.Compare(a.Finding.RuleID, b.Finding.RuleID),
			cmp.Compare(a.Finding.Message, b.Finding.Message))
	})
}

func unsuppressed(fs []engine.Finding) []engine.Finding {
	var out []engine.Finding
	for _, f := range fs {
		if f.Suppressed == nil {
			out = append(out, f)
		}
	}
	return out
}

// Generated refuses the findings about generated objects (rendered from a
// Helm chart or built by Kustomize, which have an origin mapper): their
// text is output, not what a person edits. The error says where the field
// comes from: the chart value to set, or the template or patch line to
// edit. It accepts everything else; it is the Editable of `palisade fix`.
func Generated(f *engine.Finding) error {
	o := f.Object
	if o.Mapper == nil {
		return nil
	}
	org := o.Origin(f.Path)
	switch {
	case org == nil:
		return fmt.Errorf("%s is generated: change its source (%s:%d), not the rendered output", o.Ref(), o.Source.File, o.Line)
	case org.ValuesKey != "" && org.ValuesFile != "":
		where := org.ValuesFile
		if org.ValuesLine > 0 {
			where = fmt.Sprintf("%s:%d", org.ValuesFile, org.ValuesLine)
		}
		return fmt.Errorf("generated by %s: set the value %s (%s) instead", org.Generator, org.ValuesKey, where)
	case org.ValuesKey != "":
		return fmt.Errorf("generated by %s: set the value %s instead", org.Generator, org.ValuesKey)
	case org.Line > 0:
		return fmt.Errorf("generated by %s: edit %s:%d instead", org.Generator, org.File, org.Line)
	}
	return fmt.Errorf("generated by %s: edit %s instead", org.Generator, org.File)
}
