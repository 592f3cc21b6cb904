package admission

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/palisade-dev/palisade/internal/config"
	"github.com/palisade-dev/palisade/internal/engine"
	"github.com/palisade-dev/palisade/internal/rule"
)

// PolicyAPIVersion and PolicyKind identify a policy file.
const (
	PolicyAPIVersion = "palisade.dev/v1alpha1"
	PolicyKind       = "AdmissionPolicy"
)

// Namespace labels that select a policy the way Pod Security Admission's
// pod-security.kubernetes.io/* labels do. Whoever may label a namespace may
// relax its policy, so restrict that permission, or turn the labels off
// with namespaceLabels: false.
const (
	// ProfileLabel names the profile of the policy file that applies to
	// the namespace.
	ProfileLabel = "palisade.dev/profile"
	// ModeLabel overrides the profile's mode: enforce, warn or audit.
	ModeLabel = "palisade.dev/mode"
)

// Mode is what a profile does with findings.
type Mode string

// The modes. Enforce denies requests with findings at or above the
// profile's denyAt severity and warns about the rest; Warn returns every
// finding as a warning, which kubectl prints; Audit records findings only in
// audit annotations.
const (
	Enforce Mode = "enforce"
	Warn    Mode = "warn"
	Audit   Mode = "audit"
)

func parseMode(s string) (Mode, bool) {
	switch m := Mode(s); m {
	case Enforce, Warn, Audit:
		return m, true
	}
	return "", false
}

// Policy is a parsed, validated policy file: profiles, how namespaces pick
// one, and exemptions. A Policy is immutable and safe for concurrent use;
// a reload builds a new one.
type Policy struct {
	// File is where the policy was read from; empty for the default.
	File string
	// Defaults is the profile of namespaces nothing else selects.
	Defaults *Profile
	// Profiles are the named profiles, by name.
	Profiles map[string]*Profile
	// NamespaceLabels says whether namespace labels (ProfileLabel,
	// ModeLabel) may select a profile.
	NamespaceLabels bool
	// InvalidObjects says what to do with an object that does not decode
	// (a string where a number belongs): deny it (the default), or allow
	// it with a warning.
	InvalidObjects Action
	// UnknownKinds says what to do with an object of a kind Palisade has
	// no rules for: allow it (the default; the webhook configuration
	// should not send such kinds), or deny it.
	UnknownKinds Action

	namespaces []namespaceRule
	exemptions []*Exemption
}

// Action is how the webhook answers a request it cannot evaluate normally.
type Action string

// The actions.
const (
	Allow Action = "allow"
	Deny  Action = "deny"
)

// Profile is one set of settings: which rules run, at which Pod Security
// Standard, and what happens to their findings.
type Profile struct {
	Name   string
	Mode   Mode
	DenyAt rule.Severity
	// Mutate applies the safe fixes of findings before validation; the
	// mutating endpoint does nothing for profiles without it.
	Mutate bool
	// Strict ignores the suppression annotations of objects.
	Strict bool

	rules    []*engine.Configured
	ruleOpts rule.Options
}

// WithMode returns a copy of p in mode m.
func (p *Profile) WithMode(m Mode) *Profile {
	q := *p
	q.Mode = m
	return &q
}

// Exemption lets requests through without some or all rules. Every
// non-empty selector must match.
type Exemption struct {
	// Namespaces, Kinds and Names are glob patterns (path.Match syntax).
	Namespaces []string `yaml:"namespaces"`
	Kinds      []string `yaml:"kinds"`
	Names      []string `yaml:"names"`
	// Users and Groups match the requesting user exactly.
	Users  []string `yaml:"users"`
	Groups []string `yaml:"groups"`
	// ServiceAccounts are "namespace/name" of requesting service
	// accounts; the namespace may be a glob.
	ServiceAccounts []string `yaml:"serviceAccounts"`
	// Images are glob patterns matched against the image of the
	// container a finding names; "**" matches across "/". A finding that
	// names no container matches when every image of the pod does.
	Images []string `yaml:"images"`
	// Rules are the rule IDs exempted; empty or "*" means all.
	Rules []string `yaml:"rules"`
	// Reason is required: an exemption nobody can explain is a hole.
	Reason string `yaml:"reason"`
	// Expires is an optional date (YYYY-MM-DD) after which the exemption
	// lapses.
	Expires string `yaml:"expires"`

	Line      int       `yaml:"-"`
	ExpiresAt time.Time `yaml:"-"`

	images []*regexp.Regexp // Images compiled
}

// imagePattern compiles an image glob: "*" and "?" stay within one path
// segment, "**" crosses segments, everything else is literal.
func imagePattern(glob string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(glob); i++ {
		switch {
		case strings.HasPrefix(glob[i:], "**"):
			b.WriteString(".*")
			i++
		case glob[i] == '*':
			b.WriteString("[^/]*")
		case glob[i] == '?':
			b.WriteString("[^/]")
		default:
			b.WriteString(regexp.QuoteMeta(glob[i : i+1]))
		}
	}
	b.WriteString("$")
	return regexp.Compile(b.String())
}

// namespaceRule picks a profile for the namespaces it matches.
type namespaceRule struct {
	names    []string
	selector labels.Selector
	profile  *Profile
}

// policySpec is the file as written.
type policySpec struct {
	APIVersion      string                 `yaml:"apiVersion"`
	Kind            string                 `yaml:"kind"`
	Defaults        profileSpec            `yaml:"defaults"`
	Profiles        map[string]profileSpec `yaml:"profiles"`
	Namespaces      []namespaceSpec        `yaml:"namespaces"`
	Exemptions      []Exemption            `yaml:"exemptions"`
	NamespaceLabels *bool                  `yaml:"namespaceLabels"`
	InvalidObjects  string                 `yaml:"invalidObjects"`
	UnknownKinds    string                 `yaml:"unknownKinds"`
}

// profileSpec is a profile as written; a named profile inherits every
// field it leaves out from defaults.
type profileSpec struct {
	Mode        string                       `yaml:"mode"`
	DenyAt      string                       `yaml:"denyAt"`
	Mutate      *bool                        `yaml:"mutate"`
	Strict      *bool                        `yaml:"strict"`
	PSS         config.PSS                   `yaml:"pss"`
	KubeVersion string                       `yaml:"kubeVersion"`
	Rules       map[string]config.RuleConfig `yaml:"rules"`
}

type namespaceSpec struct {
	Names    []string      `yaml:"names"`
	Selector *selectorSpec `yaml:"selector"`
	Profile  string        `yaml:"profile"`
}

type selectorSpec struct {
	MatchLabels      map[string]string `yaml:"matchLabels"`
	MatchExpressions []struct {
		Key      string   `yaml:"key"`
		Operator string   `yaml:"operator"`
		Values   []string `yaml:"values"`
	} `yaml:"matchExpressions"`
}

// DefaultPolicy enforces the restricted Pod Security Standard and every
// default rule, denying findings of high severity and above, everywhere
// but kube-system.
const DefaultPolicy = `apiVersion: palisade.dev/v1alpha1
kind: AdmissionPolicy
defaults:
  mode: enforce
  pss: {level: restricted, version: latest}
  denyAt: high
exemptions:
  - namespaces: [kube-system]
    reason: system components are managed by the platform
`

// LoadPolicy reads and validates the policy in file.
func LoadPolicy(file string, catalog []*rule.Rule) (*Policy, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return ParsePolicy(file, data, catalog)
}

// ParsePolicy parses and validates a policy file. catalog is the rule
// catalog the profiles select from. Errors start with file:line.
func ParsePolicy(file string, data []byte, catalog []*rule.Rule) (*Policy, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	var spec policySpec
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true) // a misspelled exemption must not silently do nothing
	if err := dec.Decode(&spec); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %s", file, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	w := where{file: file, root: &root}
	if spec.APIVersion != PolicyAPIVersion || spec.Kind != PolicyKind {
		return nil, fmt.Errorf("%s: not a policy file: want apiVersion %s and kind %s", w.at("kind"), PolicyAPIVersion, PolicyKind)
	}
	p := &Policy{File: file, Profiles: map[string]*Profile{}, NamespaceLabels: true, InvalidObjects: Deny, UnknownKinds: Allow}
	if spec.NamespaceLabels != nil {
		p.NamespaceLabels = *spec.NamespaceLabels
	}
	var err error
	if p.InvalidObjects, err = parseAction(spec.InvalidObjects, Deny); err != nil {
		return nil, fmt.Errorf("%s: invalidObjects: %w", w.at("invalidObjects"), err)
	}
	if p.UnknownKinds, err = parseAction(spec.UnknownKinds, Allow); err != nil {
		return nil, fmt.Errorf("%s: unknownKinds: %w", w.at("unknownKinds"), err)
	}
	if p.Defaults, err = compileProfile("defaults", spec.Defaults, profileSpec{}, catalog, w.sub("defaults")); err != nil {
		return nil, err
	}
	for _, name := range slices.Sorted(maps.Keys(spec.Profiles)) {
		if name == "" || name == "defaults" {
			return nil, fmt.Errorf("%s: profile name %q is reserved", w.at("profiles", name), name)
		}
		prof, err := compileProfile(name, spec.Profiles[name], spec.Defaults, catalog, w.sub("profiles", name))
		if err != nil {
			return nil, err
		}
		p.Profiles[name] = prof
	}
	nsNode := w.node("namespaces")
	for i, ns := range spec.Namespaces {
		line := itemLine(nsNode, i)
		prof, ok := p.Profiles[ns.Profile]
		if ns.Profile == "defaults" {
			prof, ok = p.Defaults, true
		}
		if !ok {
			return nil, fmt.Errorf("%s:%d: namespaces entry names unknown profile %q", file, line, ns.Profile)
		}
		if len(ns.Names) == 0 && ns.Selector == nil {
			return nil, fmt.Errorf("%s:%d: namespaces entry needs names or a selector", file, line)
		}
		if err := checkGlobs(ns.Names); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", file, line, err)
		}
		nr := namespaceRule{names: ns.Names, profile: prof}
		if ns.Selector != nil {
			ls := &metav1.LabelSelector{MatchLabels: ns.Selector.MatchLabels}
			for _, e := range ns.Selector.MatchExpressions {
				ls.MatchExpressions = append(ls.MatchExpressions, metav1.LabelSelectorRequirement{
					Key: e.Key, Operator: metav1.LabelSelectorOperator(e.Operator), Values: e.Values,
				})
			}
			if nr.selector, err = metav1.LabelSelectorAsSelector(ls); err != nil {
				return nil, fmt.Errorf("%s:%d: selector: %w", file, line, err)
			}
		}
		p.namespaces = append(p.namespaces, nr)
	}
	known := map[string]string{"*": "*"}
	for _, r := range catalog {
		known[r.ID] = r.ID
		for _, a := range r.Aliases {
			known[a] = r.ID
		}
	}
	exNode := w.node("exemptions")
	for i := range spec.Exemptions {
		ex := spec.Exemptions[i]
		ex.Line = itemLine(exNode, i)
		at := fmt.Sprintf("%s:%d: exemption", file, ex.Line)
		if strings.TrimSpace(ex.Reason) == "" {
			return nil, fmt.Errorf("%s: reason is required", at)
		}
		if len(ex.Namespaces)+len(ex.Kinds)+len(ex.Names)+len(ex.Users)+len(ex.Groups)+len(ex.ServiceAccounts)+len(ex.Images) == 0 {
			return nil, fmt.Errorf("%s: exempts everything; name namespaces, kinds, names, users, groups, serviceAccounts or images", at)
		}
		for j, id := range ex.Rules {
			canonical, ok := known[id]
			if !ok {
				return nil, fmt.Errorf("%s: unknown rule %q", at, id)
			}
			ex.Rules[j] = canonical // findings carry the rule's ID, not an alias
		}
		for _, g := range ex.Images {
			re, err := imagePattern(g)
			if err != nil {
				return nil, fmt.Errorf("%s: bad image pattern %q", at, g)
			}
			ex.images = append(ex.images, re)
		}
		for _, sa := range ex.ServiceAccounts {
			if ns, name, ok := strings.Cut(sa, "/"); !ok || ns == "" || name == "" {
				return nil, fmt.Errorf("%s: service account %q is not namespace/name", at, sa)
			}
		}
		if err := checkGlobs(slices.Concat(ex.Namespaces, ex.Kinds, ex.Names)); err != nil {
			return nil, fmt.Errorf("%s: %w", at, err)
		}
		if ex.Expires != "" {
			t, err := config.ParseDate(ex.Expires)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", at, err)
			}
			ex.ExpiresAt = t
		}
		p.exemptions = append(p.exemptions, &ex)
	}
	return p, nil
}

func parseAction(s string, def Action) (Action, error) {
	switch a := Action(s); a {
	case "":
		return def, nil
	case Allow, Deny:
		return a, nil
	}
	return "", fmt.Errorf("want allow or deny, not %q", s)
}

// compileProfile validates a profile and selects its rules, filling what
// it leaves out from base.
func compileProfile(name string, s, base profileSpec, catalog []*rule.Rule, w where) (*Profile, error) {
	prof := &Profile{Name: name, Mode: Enforce, DenyAt: rule.High}
	mode := cmpOr(s.Mode, base.Mode)
	if mode != "" {
		m, ok := parseMode(mode)
		if !ok {
			return nil, fmt.Errorf("%s: mode must be enforce, warn or audit, not %q", w.at("mode"), mode)
		}
		prof.Mode = m
	}
	if d := cmpOr(s.DenyAt, base.DenyAt); d != "" {
		sev, err := rule.ParseSeverity(d)
		if err != nil {
			return nil, fmt.Errorf("%s: denyAt: %w", w.at("denyAt"), err)
		}
		prof.DenyAt = sev
	}
	prof.Mutate = boolOr(s.Mutate, base.Mutate)
	prof.Strict = boolOr(s.Strict, base.Strict)
	rules := maps.Clone(base.Rules)
	if rules == nil {
		rules = map[string]config.RuleConfig{}
	}
	maps.Copy(rules, s.Rules)
	// The project configuration's validation and rule selection apply as
	// they are: a profile's rules and pss keys mean what they mean in
	// .palisade.yaml.
	cfg := &config.Config{
		// Messages name the profile's place in the policy file.
		File:        w.at(),
		PSS:         config.PSS{Level: cmpOr(s.PSS.Level, base.PSS.Level), Version: cmpOr(s.PSS.Version, base.PSS.Version)},
		KubeVersion: cmpOr(s.KubeVersion, base.KubeVersion),
		Rules:       rules,
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var err error
	if prof.rules, err = engine.Select(catalog, cfg); err != nil {
		return nil, err
	}
	// A request holds one object: rules that judge an object by what
	// else exists would report every pod, so they stay with the scanner.
	prof.rules = slices.DeleteFunc(prof.rules, func(c *engine.Configured) bool { return c.Rule.NeedsContext })
	prof.ruleOpts = rule.Options{PSSLevel: cmpOr(cfg.PSS.Level, "restricted"), PSSVersion: cmpOr(cfg.PSS.Version, "latest")}
	if cfg.KubeVersion != "" {
		prof.ruleOpts.KubeVersion, _ = config.NormalizeKubeVersion(cfg.KubeVersion)
	}
	return prof, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func boolOr(a, b *bool) bool {
	if a != nil {
		return *a
	}
	return b != nil && *b
}

func checkGlobs(globs []string) error {
	for _, g := range globs {
		if _, err := path.Match(strings.ReplaceAll(g, "**", "*"), ""); err != nil {
			return fmt.Errorf("bad pattern %q", g)
		}
	}
	return nil
}

// ProfileFor returns the profile for a namespace with the given labels
// (nil when unknown). Cluster-scoped objects (namespace "") get the
// defaults. The namespace's ProfileLabel comes first, then the first
// namespaces entry that matches, then the defaults; ModeLabel then
// overrides the mode. It returns an error for a label naming an unknown
// profile or mode, which the webhook reports rather than guess.
func (p *Policy) ProfileFor(namespace string, nsLabels map[string]string) (*Profile, error) {
	prof := p.Defaults
	chosen := false
	if p.NamespaceLabels {
		if name, ok := nsLabels[ProfileLabel]; ok {
			q, ok := p.Profiles[name]
			if name == "defaults" {
				q, ok = p.Defaults, true
			}
			if !ok {
				return nil, fmt.Errorf("namespace %s: label %s names unknown profile %q", namespace, ProfileLabel, name)
			}
			prof, chosen = q, true
		}
	}
	if !chosen && namespace != "" {
		for _, nr := range p.namespaces {
			if (len(nr.names) == 0 || globAny(nr.names, namespace)) && (nr.selector == nil || nr.selector.Matches(labels.Set(nsLabels))) {
				prof = nr.profile
				break
			}
		}
	}
	if p.NamespaceLabels {
		if m, ok := nsLabels[ModeLabel]; ok {
			mode, ok := parseMode(m)
			if !ok {
				return nil, fmt.Errorf("namespace %s: label %s must be enforce, warn or audit, not %q", namespace, ModeLabel, m)
			}
			if mode != prof.Mode {
				prof = prof.WithMode(mode)
			}
		}
	}
	return prof, nil
}

// UsesNamespaceLabels reports whether deciding a profile may need a
// namespace's labels, so that the webhook knows whether to watch
// namespaces.
func (p *Policy) UsesNamespaceLabels() bool {
	if p.NamespaceLabels {
		return true
	}
	for _, nr := range p.namespaces {
		if nr.selector != nil {
			return true
		}
	}
	return false
}

func globAny(globs []string, s string) bool {
	for _, g := range globs {
		if ok, _ := path.Match(g, s); ok {
			return true
		}
	}
	return false
}

// where locates keys of the policy file for messages.
type where struct {
	file   string
	root   *yaml.Node
	prefix []string
}

func (w where) sub(keys ...string) where {
	return where{file: w.file, root: w.root, prefix: slices.Concat(w.prefix, keys)}
}

func (w where) node(keys ...string) *yaml.Node {
	n := w.root
	if n == nil {
		return nil
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for _, k := range slices.Concat(w.prefix, keys) {
		next := (*yaml.Node)(nil)
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == k {
					next = n.Content[i+1]
					break
				}
			}
		}
		if next == nil {
			return n
		}
		n = next
	}
	return n
}

// at returns "file:line" of the value at keys, or of its nearest written
// ancestor.
func (w where) at(keys ...string) string {
	if n := w.node(keys...); n != nil && n.Line > 0 {
		return fmt.Sprintf("%s:%d", w.file, n.Line)
	}
	return w.file
}

func itemLine(seq *yaml.Node, i int) int {
	if seq != nil && seq.Kind == yaml.SequenceNode && i < len(seq.Content) {
		return seq.Content[i].Line
	}
	return 0
}
