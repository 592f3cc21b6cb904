// Package rule is Palisade's rule model: what a rule is (a plain value with
// immutable metadata and a Run function), what it reports (a Finding, with a
// field path and an optional JSON Patch), and the invariants every rule in the
// catalog must meet (Validate).
//
// It deliberately knows nothing about where objects come from or where
// findings go: the same rule runs under the manifest scanner, the cluster
// scanner and the admission webhook. Rules never import client-go, HTTP or
// CLI code.
package rule

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"

	"github.com/palisade-dev/palisade/internal/framework"
)

// Category groups rules by the area of risk they address.
type Category string

// The rule categories.
const (
	CategoryPodSecurity  Category = "pod-security"
	CategoryHostAccess   Category = "host-access"
	CategoryRuntime      Category = "container-runtime"
	CategorySupplyChain  Category = "supply-chain"
	CategorySecrets      Category = "secrets"
	CategoryExposure     Category = "exposure"
	CategoryRBAC         Category = "rbac"
	CategoryNetwork      Category = "network"
	CategoryControlPlane Category = "control-plane"
	CategoryLifecycle    Category = "api-lifecycle"
	CategoryServiceMesh  Category = "service-mesh"
	CategoryHygiene      Category = "hygiene"
	// Image categories, used by the image scanner (internal/image).
	CategoryImageConfig   Category = "image-configuration"
	CategoryMalware       Category = "malware"
	CategoryVulnerability Category = "vulnerability"
)

// Categories lists every category in documentation order.
var Categories = []Category{
	CategoryPodSecurity, CategoryHostAccess, CategoryRuntime, CategorySupplyChain,
	CategorySecrets, CategoryExposure, CategoryRBAC, CategoryNetwork,
	CategoryControlPlane, CategoryLifecycle, CategoryServiceMesh, CategoryHygiene,
	CategoryImageConfig, CategoryMalware, CategoryVulnerability,
}

// Meta is everything about a rule except its logic. It is what users see in
// `palisade rules`, the generated docs and SARIF rule metadata.
type Meta struct {
	// ID is the rule's kebab-case identifier. It must never change once
	// released: suppressions, SARIF results and docs key on it. A renamed
	// rule keeps its old ID in Aliases.
	ID string
	// Aliases are former IDs that suppressions may still use. Optional.
	Aliases []string
	// Title is a short noun phrase, for example "Privileged container".
	Title string
	// Severity is the default severity of the rule's findings.
	Severity Severity
	// Category is the area of risk.
	Category Category
	// Doc explains why the finding matters and which fields and values the
	// rule looks at. Full sentences.
	Doc string
	// Remediation is one imperative sentence ending in a period.
	Remediation string
	// References cite framework entries; each must validate.
	References []framework.Ref
	// DefaultOff rules run only when enabled in the configuration (noisy
	// hygiene checks).
	DefaultOff bool
	// NeedsContext rules conclude from the absence of other objects (no
	// NetworkPolicy selects the pod, nothing mounts the Secret), so their
	// verdict on one object alone means nothing. Drivers that see one
	// object at a time, like the admission webhook, skip them.
	NeedsContext bool
	// Params are the rule's configurable parameters. Optional.
	Params []Param
}

// Param documents one parameter a rule reads from configuration.
type Param struct {
	Name string
	// Doc is one sentence saying what the parameter changes.
	Doc string
	// Default is the value used when the configuration does not set it:
	// a string, bool, int or []string.
	Default any
}

// Rule is one check. Rules are plain values listed explicitly in
// internal/rules; they hold no state between runs.
type Rule struct {
	Meta
	// Run inspects pass.Object (with pass.Set available for rules that
	// look across objects) and reports findings through the pass. It
	// returns an error only when it could not evaluate the object; an error
	// is never treated as a pass.
	Run func(pass *Pass) error
	// Fixable says that the rule's findings carry a Fix when the remedy is
	// a field change. Used for documentation and `palisade rules`.
	Fixable bool
}

var idRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// Validate checks the invariants every rule must meet.
func Validate(r *Rule) error {
	if r == nil {
		return fmt.Errorf("nil rule")
	}
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if !idRE.MatchString(r.ID) {
		add("ID %q is not kebab-case", r.ID)
	}
	for _, a := range r.Aliases {
		if !idRE.MatchString(a) {
			add("alias %q is not kebab-case", a)
		}
	}
	if r.Title == "" || strings.HasSuffix(r.Title, ".") {
		add("title must be a noun phrase without a trailing period")
	}
	if !r.Severity.Valid() {
		add("invalid severity %d", r.Severity)
	}
	validCat := false
	for _, c := range Categories {
		validCat = validCat || c == r.Category
	}
	if !validCat {
		add("unknown category %q", r.Category)
	}
	if len(strings.Fields(r.Doc)) < 8 {
		add("doc must explain why the finding matters")
	}
	if err := checkSentence(r.Remediation); err != nil {
		add("remediation %v", err)
	}
	if len(r.References) == 0 {
		add("no framework references")
	}
	for _, ref := range r.References {
		if err := ref.Validate(); err != nil {
			add("reference: %v", err)
		}
	}
	for _, p := range r.Params {
		switch p.Default.(type) {
		case string, bool, int, []string:
		default:
			add("param %q has unsupported default type %T", p.Name, p.Default)
		}
		if p.Name == "" || p.Doc == "" {
			add("param needs a name and a doc")
		}
	}
	if r.Run == nil {
		add("no Run function")
	}
	if len(problems) > 0 {
		return fmt.Errorf("rule %s: %s", r.ID, strings.Join(problems, "; "))
	}
	return nil
}

// checkSentence requires one imperative sentence: a capital first letter, a
// final period, and no period in between that ends a sentence.
func checkSentence(s string) error {
	if s == "" {
		return fmt.Errorf("is empty")
	}
	if !unicode.IsUpper([]rune(s)[0]) {
		return fmt.Errorf("%q must start with a capital letter", s)
	}
	if !strings.HasSuffix(s, ".") {
		return fmt.Errorf("%q must end with a period", s)
	}
	if strings.Contains(strings.TrimSuffix(s, "."), ". ") {
		return fmt.Errorf("%q must be a single sentence", s)
	}
	return nil
}
