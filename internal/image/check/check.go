// Package check holds the image checks other than the malware rules: the
// image configuration checks, the rule set for secrets in files, the
// checks that need the whole image (a preload library hooking readdir, a
// tar entry climbing out of the root) and the package checks whose
// findings come from the vulnerability database. Every check type embeds
// rule.Meta, so the image checks are documented, validated and reported
// exactly like the manifest rules.
//
// Findings locate themselves in the image: the layer (its digest and the
// history instruction that created it), the file, the line or byte offset,
// masked evidence, and whether the file is still present in the merged
// filesystem a container sees, or was deleted or replaced by a later layer
// (it is still shipped, and readable by anyone who pulls the image).
package check

import (
	"fmt"

	"github.com/palisade-dev/palisade/internal/image/malware"
	"github.com/palisade-dev/palisade/internal/rule"
)

// Finding is one problem in an image.
type Finding struct {
	RuleID   string        `json:"ruleId"`
	Severity rule.Severity `json:"severity"`
	// Message is lower-case without a trailing period.
	Message string `json:"message"`
	Location
	// Package is the package concerned, for package findings.
	Package *PackageRef `json:"package,omitempty"`
	// Advisory is the advisory matched, for package findings.
	Advisory *Advisory `json:"advisory,omitempty"`
}

// Location says where in the image a finding is.
type Location struct {
	// Layer is the layer index, or -1 for the image configuration.
	Layer int `json:"layer"`
	// LayerDigest is the layer's digest (or DiffID when the digest is
	// unknown).
	LayerDigest string `json:"layerDigest,omitempty"`
	// CreatedBy is the history instruction that created the layer, or
	// the history entry a configuration finding is about.
	CreatedBy string `json:"createdBy,omitempty"`
	// Path is the file in the image.
	Path string `json:"path,omitempty"`
	// Field is the configuration field, such as "config.Env[2]" or
	// "history[4].created_by".
	Field string `json:"field,omitempty"`
	// Line is 1-based; 0 when unknown (binaries).
	Line int `json:"line,omitempty"`
	// Offset is the byte offset of the evidence in the file.
	Offset int64 `json:"offset,omitempty"`
	// Evidence is the matched text, truncated, with secrets masked.
	Evidence string `json:"evidence,omitempty"`
	// Present is false when a later layer deleted or replaced the file:
	// it is not in a running container but still ships in the image.
	Present bool `json:"present"`
}

// PackageRef names a package.
type PackageRef struct {
	Name      string `json:"name"`
	Version   string `json:"version"`
	Ecosystem string `json:"ecosystem"`
	PURL      string `json:"purl,omitempty"`
}

// Advisory is the advisory a package finding is about.
type Advisory struct {
	ID      string   `json:"id"`
	Aliases []string `json:"aliases,omitempty"`
	Summary string   `json:"summary,omitempty"`
	// Fixed is the first version that fixes it, when known.
	Fixed string `json:"fixed,omitempty"`
	// Severity is where the finding's severity came from, such as
	// "CVSS:3.1 9.8" or "GHSA HIGH"; empty when the default was used.
	Severity string `json:"severity,omitempty"`
}

// Check is a check of the whole image: its configuration, its merged
// filesystem, its packages and what the walk found in its layers.
type Check struct {
	rule.Meta
	Run func(in *Input) []Finding
}

// Described is anything with rule metadata.
type Described interface{ RuleMeta() *rule.Meta }

// RuleMeta implements Described.
func (c *Check) RuleMeta() *rule.Meta { return &c.Meta }

// FileRule is a rule whose findings are made while files are read (the
// secret rules) or by the vulnerability matcher; it has metadata only.
type FileRule struct{ rule.Meta }

// RuleMeta implements Described.
func (c *FileRule) RuleMeta() *rule.Meta { return &c.Meta }

// ValidateMeta checks rule metadata with the manifest rules' invariants.
func ValidateMeta(m rule.Meta) error {
	return rule.Validate(&rule.Rule{Meta: m, Run: func(*rule.Pass) error { return nil }})
}

// All returns the metadata of every image check, malware rules included,
// in documentation order.
func All() []rule.Meta {
	var out []rule.Meta
	for _, c := range ConfigChecks() {
		out = append(out, c.Meta)
	}
	for _, c := range ImageChecks() {
		out = append(out, c.Meta)
	}
	for _, r := range SecretRules() {
		out = append(out, r.Meta)
	}
	for _, r := range malware.Rules() {
		out = append(out, r.Meta)
	}
	for _, r := range PackageRules() {
		out = append(out, r.Meta)
	}
	return out
}

// ByID returns the metadata of the image check with that ID.
func ByID(id string) (rule.Meta, bool) {
	for _, m := range All() {
		if m.ID == id {
			return m, true
		}
	}
	return rule.Meta{}, false
}

// Validate checks the catalog: metadata and unique IDs.
func Validate() error {
	seen := map[string]bool{}
	for _, m := range All() {
		if err := ValidateMeta(m); err != nil {
			return err
		}
		if seen[m.ID] {
			return fmt.Errorf("duplicate image check ID %s", m.ID)
		}
		seen[m.ID] = true
	}
	return nil
}
