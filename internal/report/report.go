// Package report is the result of a scan in the form every output format
// renders: findings with their rules, input errors, rule errors and notices,
// and a summary. The formats live in the sub-packages text, json, sarif and
// junit; each is a function from a Report to bytes and shares nothing else.
package report

import (
	"github.com/palisade-dev/palisade/internal/engine"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
)

// Tool identifies the program that produced the report.
type Tool struct {
	Name    string
	Version string
	// InformationURI is the project's home page.
	InformationURI string
}

// Report is the outcome of one scan.
type Report struct {
	Tool Tool
	// Rules are the rules that ran, in catalog order.
	Rules []*rule.Rule
	// Findings are sorted by file and line; suppressed ones included.
	Findings    []engine.Finding
	InputErrors []*object.InputError
	RuleErrors  []engine.RuleError
	Notices     []engine.Notice
	Skipped     []object.Skipped
	// FailOn is the lowest severity that fails the scan.
	FailOn rule.Severity
	// Files counts the files read.
	Files int
	// Objects are the objects scanned, the same pointers the findings
	// refer to; outputs that list what was checked (JUnit) use them.
	Objects []*object.Object
	// Cluster names the live cluster the objects were read from (its
	// kubeconfig context); empty for files.
	Cluster string
}

// Summary counts findings.
type Summary struct {
	// BySeverity counts unsuppressed findings.
	BySeverity map[rule.Severity]int
	Suppressed int
	// Failing counts unsuppressed findings at or above FailOn.
	Failing int
}

// Summarize counts the report's findings.
func (r *Report) Summarize() Summary {
	s := Summary{BySeverity: map[rule.Severity]int{}}
	for _, f := range r.Findings {
		if f.Suppressed != nil {
			s.Suppressed++
			continue
		}
		s.BySeverity[f.Severity]++
		if f.Severity >= r.FailOn {
			s.Failing++
		}
	}
	return s
}

// Rule returns the rule with the given ID among those that ran, or nil.
// Writers that look up every finding's rule use RulesByID instead.
func (r *Report) Rule(id string) *rule.Rule {
	for _, x := range r.Rules {
		if x.ID == id {
			return x
		}
	}
	return nil
}

// RulesByID maps the ID of every rule that ran to the rule, the first of
// that ID as Rule finds it: a scan has tens of thousands of findings and a
// hundred rules, too many for Rule's search per finding.
func (r *Report) RulesByID() map[string]*rule.Rule {
	m := make(map[string]*rule.Rule, len(r.Rules))
	for _, x := range r.Rules {
		if _, dup := m[x.ID]; !dup {
			m[x.ID] = x
		}
	}
	return m
}

// Exit codes, documented in the README and `palisade scan --help`.
const (
	ExitOK       = 0 // nothing at or above --fail-on
	ExitFindings = 1 // findings at or above --fail-on
	ExitError    = 2 // usage error, unreadable or unparsable input, or a rule that could not run
)

// ExitCode returns the process exit code the report calls for. Errors win
// over findings: a scan that could not read all its input has not passed.
func (r *Report) ExitCode() int {
	if len(r.InputErrors) > 0 || len(r.RuleErrors) > 0 {
		return ExitError
	}
	if r.Summarize().Failing > 0 {
		return ExitFindings
	}
	return ExitOK
}
