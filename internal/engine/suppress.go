package engine

import (
	"fmt"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/palisade-dev/palisade/internal/config"
	"github.com/palisade-dev/palisade/internal/object"
)

// AnnotationPrefix starts the key of a suppression annotation:
//
//	ignore.palisade.dev/<rule-id>: "reason=needs host networking for the CNI; expires=2027-01-31; containers=agent"
//
// The value is a reason, optionally with `expires=` and `containers=`
// settings separated by semicolons (so a reason given with `reason=` cannot
// contain one); a value in which no part starts with `reason=`, `expires=`
// or `containers=` is all reason. The rule may be named by its ID or a
// former ID (alias). The annotation may sit on the object or on a
// workload's pod template; `containers=` limits it to findings about those
// containers.
const AnnotationPrefix = "ignore.palisade.dev/"

type annotationSuppression struct {
	Suppression
	containers []string
	expiresAt  time.Time
	line       int
}

// suppressor matches findings against annotations and ignores. It parses
// each object's annotations once.
type suppressor struct {
	now      time.Time
	strict   bool
	cfg      *config.Config
	byObject map[*object.Object]map[string][]annotationSuppression
	// canonical maps the former IDs (aliases) of the rules that ran to
	// their IDs, so that suppressions written with an old ID still apply.
	canonical map[string]string

	mu        sync.Mutex
	notes     []Notice
	seenNotes map[string]bool
}

func newSuppressor(opts Options, now time.Time) *suppressor {
	s := &suppressor{now: now, strict: opts.Strict, cfg: opts.Config, byObject: map[*object.Object]map[string][]annotationSuppression{}, seenNotes: map[string]bool{}, canonical: map[string]string{}}
	for _, c := range opts.Rules {
		for _, a := range c.Rule.Aliases {
			s.canonical[a] = c.Rule.ID
		}
	}
	if s.cfg != nil {
		for _, ig := range s.cfg.Ignore {
			if !ig.ExpiresAt.IsZero() && now.After(ig.ExpiresAt) {
				s.note(s.cfg.File, ig.Line, fmt.Sprintf("ignore of %s expired on %s and no longer suppresses anything: %s", strings.Join(ig.Rules, ", "), ig.Expires, ig.Reason))
			}
		}
	}
	return s
}

func (s *suppressor) note(file string, line int, msg string) {
	key := fmt.Sprintf("%s:%d:%s", file, line, msg)
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.seenNotes[key] {
		s.seenNotes[key] = true
		s.notes = append(s.notes, Notice{File: file, Line: line, Message: msg})
	}
}

func (s *suppressor) notices() []Notice {
	slices.SortFunc(s.notes, func(a, b Notice) int { return strings.Compare(a.String(), b.String()) })
	return s.notes
}

// match returns the suppression that applies to f, or nil.
func (s *suppressor) match(f *Finding) *Suppression {
	if !s.strict {
		for _, a := range s.annotations(f.Object)[f.RuleID] {
			if len(a.containers) > 0 && !slices.Contains(a.containers, f.Container) {
				continue
			}
			if !a.expiresAt.IsZero() && s.now.After(a.expiresAt) {
				s.note(f.Object.Source.File, a.line, fmt.Sprintf("suppression %s on %s expired on %s and no longer applies", AnnotationPrefix+f.RuleID, f.Object.Ref(), a.Expires))
				continue
			}
			sup := a.Suppression
			return &sup
		}
	}
	if s.cfg == nil {
		return nil
	}
	for i := range s.cfg.Ignore {
		ig := &s.cfg.Ignore[i]
		if !ig.ExpiresAt.IsZero() && s.now.After(ig.ExpiresAt) {
			continue
		}
		if s.ignoreMatches(ig, f) {
			return &Suppression{Kind: "config", Reason: ig.Reason, Expires: ig.Expires, Source: fmt.Sprintf("%s:%d", s.cfg.File, ig.Line)}
		}
	}
	return nil
}

// id returns the rule ID that id (an ID or an alias) stands for.
func (s *suppressor) id(id string) string {
	if c, ok := s.canonical[id]; ok {
		return c
	}
	return id
}

func (s *suppressor) ignoreMatches(ig *config.Ignore, f *Finding) bool {
	if !slices.ContainsFunc(ig.Rules, func(id string) bool { return id == "*" || s.id(id) == f.RuleID }) {
		return false
	}
	o := f.Object
	if !globAny(ig.Namespaces, namespaceOf(o)) || !globAny(ig.Kinds, o.Kind) || !globAny(ig.Names, o.Name) {
		return false
	}
	if len(ig.Paths) > 0 {
		rel := o.Source.File
		if abs, err := filepath.Abs(o.Source.File); err == nil {
			if baseAbs, err := filepath.Abs(s.cfg.Dir()); err == nil {
				if r, err := filepath.Rel(baseAbs, abs); err == nil {
					rel = r
				}
			}
		}
		rel = filepath.ToSlash(rel)
		if !slices.ContainsFunc(ig.Paths, func(g string) bool { return MatchPath(g, rel) }) {
			return false
		}
	}
	return true
}

// namespaceOf is the namespace an ignore's namespaces select o by: a
// Namespace object is in its own namespace, so that findings about a
// namespace (a missing default-deny policy, a missing Pod Security label)
// can be ignored by naming it.
func namespaceOf(o *object.Object) string {
	if o.Kind == "Namespace" && o.Group() == "" {
		return o.Name
	}
	return o.Namespace()
}

func globAny(globs []string, s string) bool {
	if len(globs) == 0 {
		return true
	}
	for _, g := range globs {
		if ok, _ := path.Match(g, s); ok {
			return true
		}
	}
	return false
}

// MatchPath matches a slash-separated path against a glob in which "**"
// stands for any number of directories (including none) and other elements
// use path.Match syntax.
func MatchPath(glob, name string) bool {
	return matchElems(strings.Split(glob, "/"), strings.Split(name, "/"))
}

func matchElems(g, n []string) bool {
	for len(g) > 0 {
		if g[0] == "**" {
			for i := 0; i <= len(n); i++ {
				if matchElems(g[1:], n[i:]) {
					return true
				}
			}
			return false
		}
		if len(n) == 0 {
			return false
		}
		if ok, _ := path.Match(g[0], n[0]); !ok {
			return false
		}
		g, n = g[1:], n[1:]
	}
	return len(n) == 0
}

// annotations returns the parsed suppression annotations of o by rule ID.
// Runs after the parallel phase, so no locking is needed for byObject.
func (s *suppressor) annotations(o *object.Object) map[string][]annotationSuppression {
	if m, ok := s.byObject[o]; ok {
		return m
	}
	m := map[string][]annotationSuppression{}
	collect := func(annos map[string]string, base object.Path) {
		for k, v := range annos {
			id, ok := strings.CutPrefix(k, AnnotationPrefix)
			if !ok {
				continue
			}
			// Locate maps generated objects (Helm, Kustomize) back to the
			// file a person edits; notes name the object's file.
			file, pos := o.Locate(base.Field(k))
			if file != o.Source.File {
				pos = object.Position{Line: o.Line}
			}
			a, err := parseAnnotation(v)
			if err != nil {
				s.note(o.Source.File, pos.Line, fmt.Sprintf("ignored suppression %s on %s: %v", k, o.Ref(), err))
				continue
			}
			a.Source = k
			a.line = pos.Line
			id = s.id(id)
			m[id] = append(m[id], a)
		}
	}
	collect(o.Annotations(), "metadata.annotations")
	if pod, ok := o.PodTemplate(); ok && pod.Meta != o.Meta() {
		collect(pod.Meta.Annotations, pod.MetaPath.Field("annotations"))
	}
	s.byObject[o] = m
	return m
}

// settingRE matches a part of an annotation value that starts a setting.
var settingRE = regexp.MustCompile(`^\s*(?:reason|expires|containers)\s*=`)

func parseAnnotation(v string) (annotationSuppression, error) {
	a := annotationSuppression{Suppression: Suppression{Kind: "annotation"}}
	// A value is settings when one of its parts starts with a setting;
	// otherwise all of it is the reason, "=" and ";" included, so that a
	// plain reason such as "needs hostNetwork=true for the CNI" works.
	if !slices.ContainsFunc(strings.Split(v, ";"), settingRE.MatchString) {
		a.Reason = strings.TrimSpace(v)
	} else {
		for _, part := range strings.Split(v, ";") {
			k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
			if !ok {
				if strings.TrimSpace(part) != "" {
					return a, fmt.Errorf("%q is not key=value", strings.TrimSpace(part))
				}
				continue
			}
			val = strings.TrimSpace(val)
			switch strings.TrimSpace(k) {
			case "reason":
				a.Reason = val
			case "expires":
				t, err := config.ParseDate(val)
				if err != nil {
					return a, err
				}
				a.Expires, a.expiresAt = val, t
			case "containers":
				for _, c := range strings.Split(val, ",") {
					if c = strings.TrimSpace(c); c != "" {
						a.containers = append(a.containers, c)
					}
				}
			default:
				return a, fmt.Errorf("unknown setting %q (want reason, expires or containers)", k)
			}
		}
	}
	if a.Reason == "" {
		return a, fmt.Errorf("a reason is required")
	}
	return a, nil
}
