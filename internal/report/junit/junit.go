// Package junit writes a scan report as JUnit XML, in the de-facto schema
// that Jenkins, GitLab and most CI dashboards read: a <testsuites> root
// holding one <testsuite> per scanned file.
//
// What becomes a test case:
//
//   - Each (rule, object) pair with at least one finding is one test case,
//     named "Kind/namespace/name: rule-id" ("Kind/name" when the manifest
//     writes no namespace). Its outcome is, in order of precedence:
//     an <error> if the rule also could not evaluate the object; a
//     <failure> if any unsuppressed finding is at or above the report's
//     FailOn severity (type is the highest such severity, the text lists
//     every such finding as file:line:column with its message and field,
//     then the rule's remediation); <skipped message="suppressed: reason">
//     if every finding is suppressed; and otherwise a pass. Findings that
//     do not decide the outcome (below the threshold, or suppressed next to
//     failing ones) are listed in the test case's <system-out>, so a
//     below-threshold finding shows up as a passed test with output rather
//     than disappearing.
//   - A rule that could not evaluate an object and reported nothing is a
//     test case with an <error>: an error is never a pass.
//   - Each object with no findings and no rule errors is one passing test
//     case named "Kind/namespace/name", so dashboards show what was
//     checked (from Report.Objects).
//   - Each input error (an unreadable file or undecodable document) is a
//     test case with an <error>.
//
// Suites are sorted by file name; within a suite, test cases follow the
// file's lines, and an object's rule test cases follow the report's rule
// order.
//
// Notices and skipped non-Kubernetes documents are not tests; they go to
// the <system-out> of their file's suite (a suite with no test cases is
// written for a file, such as .palisade.yaml, that has only those).
// Test case classnames are the file path, like their suite's name; the
// "file" attribute carries it too, for GitLab.
package junit

import (
	"cmp"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/palisade-dev/palisade/internal/engine"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/report"
)

// Write renders r as an indented JUnit XML document.
func Write(w io.Writer, r *report.Report) error {
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(build(r)); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

type testSuites struct {
	XMLName  xml.Name    `xml:"testsuites"`
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Suites   []testSuite `xml:"testsuite"`
}

type testSuite struct {
	Name      string     `xml:"name,attr"`
	Tests     int        `xml:"tests,attr"`
	Failures  int        `xml:"failures,attr"`
	Errors    int        `xml:"errors,attr"`
	Skipped   int        `xml:"skipped,attr"`
	Cases     []testCase `xml:"testcase"`
	SystemOut *cdata     `xml:"system-out,omitempty"`
}

type testCase struct {
	Name      string   `xml:"name,attr"`
	Classname string   `xml:"classname,attr"`
	File      string   `xml:"file,attr,omitempty"`
	Skipped   *skipped `xml:"skipped"`
	Error     *outcome `xml:"error"`
	Failure   *outcome `xml:"failure"`
	SystemOut *cdata   `xml:"system-out,omitempty"`
}

type outcome struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",cdata"`
}

// cdata is element text written as a CDATA section, so that multi-line
// text stays readable in the raw file. encoding/xml splits any "]]>" in
// it; the writer removes characters XML forbids (see xmlText), which
// encoding/xml does not do for CDATA.
type cdata struct {
	Text string `xml:",cdata"`
}

// output returns the lines as element text, or nil when there are none.
func output(lines []string) *cdata {
	if len(lines) == 0 {
		return nil
	}
	return &cdata{Text: xmlText(strings.Join(lines, "\n"))}
}

// xmlText replaces invalid UTF-8 and characters outside XML 1.0's Char
// production (control characters other than tab, newline and carriage
// return; surrogates; U+FFFE and U+FFFF) with U+FFFD.
func xmlText(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r',
			r >= 0x20 && r <= 0xD7FF,
			r >= 0xE000 && r <= 0xFFFD,
			r >= 0x10000 && r <= 0x10FFFF:
			return r
		}
		return '\uFFFD'
	}, strings.ToValidUTF8(s, "\uFFFD"))
}

type skipped struct {
	Message string `xml:"message,attr"`
}

// fileCases gathers what belongs to one file's suite.
type fileCases struct {
	objects     []*object.Object
	seen        map[*object.Object]bool
	inputErrors []*object.InputError
	out         []string
}

func (fc *fileCases) addObject(o *object.Object) {
	if !fc.seen[o] {
		fc.seen[o] = true
		fc.objects = append(fc.objects, o)
	}
}

func build(r *report.Report) *testSuites {
	files := map[string]*fileCases{}
	file := func(name string) *fileCases {
		fc := files[name]
		if fc == nil {
			fc = &fileCases{seen: map[*object.Object]bool{}}
			files[name] = fc
		}
		return fc
	}
	findings := map[*object.Object][]engine.Finding{}
	ruleErrs := map[*object.Object][]engine.RuleError{}
	for _, o := range r.Objects {
		file(o.Source.File).addObject(o)
	}
	for _, f := range r.Findings {
		file(f.Object.Source.File).addObject(f.Object)
		findings[f.Object] = append(findings[f.Object], f)
	}
	for _, e := range r.RuleErrors {
		file(e.Object.Source.File).addObject(e.Object)
		ruleErrs[e.Object] = append(ruleErrs[e.Object], e)
	}
	for _, e := range r.InputErrors {
		fc := file(e.File)
		fc.inputErrors = append(fc.inputErrors, e)
	}
	for _, n := range r.Notices {
		fc := file(n.File)
		fc.out = append(fc.out, "notice: "+n.String())
	}
	for _, s := range r.Skipped {
		fc := file(s.File)
		fc.out = append(fc.out, fmt.Sprintf("skipped: %s:%d: document %d is not a Kubernetes object (no apiVersion or kind)", s.File, s.Line, s.Doc+1))
	}

	rank := map[string]int{}
	for i, ru := range r.Rules {
		rank[ru.ID] = i
	}
	byRule := func(a, b string) int {
		ra, oka := rank[a]
		rb, okb := rank[b]
		switch {
		case oka && okb:
			return cmp.Compare(ra, rb)
		case oka != okb: // rules the report does not list go last
			if oka {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	}

	root := &testSuites{Name: cmp.Or(r.Tool.Name, "palisade"), Suites: []testSuite{}}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		fc := files[name]
		suite := testSuite{Name: suiteName(name), Cases: []testCase{}}
		// Test cases follow the file: objects and input errors by line.
		type entry struct {
			line  int
			cases []testCase
		}
		var entries []entry
		for _, o := range fc.objects {
			entries = append(entries, entry{o.Line, objectCases(r, o, findings[o], ruleErrs[o], byRule)})
		}
		for _, e := range fc.inputErrors {
			tc := testCase{Name: "input error", Classname: suite.Name, File: name,
				Error: &outcome{Message: e.Msg, Type: "input-error", Text: xmlText(e.Error())}}
			if e.Line > 0 {
				tc.Name = fmt.Sprintf("input error at line %d", e.Line)
			}
			entries = append(entries, entry{e.Line, []testCase{tc}})
		}
		slices.SortStableFunc(entries, func(a, b entry) int { return cmp.Compare(a.line, b.line) })
		for _, e := range entries {
			suite.Cases = append(suite.Cases, e.cases...)
		}
		suite.SystemOut = output(fc.out)
		for _, tc := range suite.Cases {
			suite.Tests++
			switch {
			case tc.Error != nil:
				suite.Errors++
			case tc.Failure != nil:
				suite.Failures++
			case tc.Skipped != nil:
				suite.Skipped++
			}
		}
		root.Tests += suite.Tests
		root.Failures += suite.Failures
		root.Errors += suite.Errors
		root.Skipped += suite.Skipped
		root.Suites = append(root.Suites, suite)
	}
	return root
}

func suiteName(file string) string {
	if file == "" {
		return "(no file)"
	}
	return file
}

// objectCases returns the test cases of one object: one per rule that
// reported or failed on it, or a single passing one.
func objectCases(r *report.Report, o *object.Object, fs []engine.Finding, errs []engine.RuleError, byRule func(a, b string) int) []testCase {
	id := qualifiedName(o)
	file := o.Source.File
	if len(fs) == 0 && len(errs) == 0 {
		return []testCase{{Name: id, Classname: suiteName(file), File: file}}
	}
	var ids []string
	for _, f := range fs {
		if !slices.Contains(ids, f.RuleID) {
			ids = append(ids, f.RuleID)
		}
	}
	for _, e := range errs {
		if !slices.Contains(ids, e.RuleID) {
			ids = append(ids, e.RuleID)
		}
	}
	slices.SortFunc(ids, byRule)
	var cases []testCase
	for _, ruleID := range ids {
		tc := testCase{Name: id + ": " + ruleID, Classname: suiteName(file), File: file}
		var failing, below, suppressed []engine.Finding
		for _, f := range fs {
			switch {
			case f.RuleID != ruleID:
			case f.Suppressed != nil:
				suppressed = append(suppressed, f)
			case f.Severity >= r.FailOn:
				failing = append(failing, f)
			default:
				below = append(below, f)
			}
		}
		var out []string
		var ruleErrs []string
		for _, e := range errs {
			if e.RuleID == ruleID {
				ruleErrs = append(ruleErrs, e.Error())
			}
		}
		switch {
		case len(ruleErrs) > 0:
			tc.Error = &outcome{Message: fmt.Sprintf("rule %s could not evaluate %s", ruleID, o.Ref()), Type: "rule-error", Text: xmlText(strings.Join(ruleErrs, "\n"))}
			if len(failing) > 0 {
				out = append(out, "findings reported before the error:")
				out = append(out, lines(failing)...)
			}
		case len(failing) > 0:
			tc.Failure = failure(r, ruleID, failing)
		case len(below) == 0:
			tc.Skipped = &skipped{Message: "suppressed: " + reasons(suppressed)}
		}
		if len(below) > 0 {
			out = append(out, fmt.Sprintf("below the fail-on threshold (%s), not failing:", r.FailOn))
			out = append(out, lines(below)...)
		}
		if len(suppressed) > 0 {
			out = append(out, "suppressed:")
			for _, f := range suppressed {
				out = append(out, line(f)+" (suppressed by "+suppressor(f.Suppressed)+": "+f.Suppressed.Reason+")")
			}
		}
		tc.SystemOut = output(out)
		cases = append(cases, tc)
	}
	return cases
}

// failure describes the failing findings of one rule on one object.
func failure(r *report.Report, ruleID string, fs []engine.Finding) *outcome {
	top := fs[0].Severity
	msgs := make([]string, len(fs))
	for i, f := range fs {
		top = max(top, f.Severity)
		msgs[i] = f.Message
	}
	msg := msgs[0]
	if len(msgs) > 1 {
		msg = fmt.Sprintf("%d findings: %s", len(msgs), strings.Join(msgs, "; "))
	}
	text := lines(fs)
	if ru := r.Rule(ruleID); ru != nil {
		text = append(text, "Remediation: "+ru.Remediation)
	}
	return &outcome{Message: msg, Type: top.String(), Text: xmlText(strings.Join(text, "\n"))}
}

func lines(fs []engine.Finding) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = line(f)
	}
	return out
}

// line renders a finding as "file:line:column: severity: message (field)".
func line(f engine.Finding) string {
	where := f.Object.Source.File
	if f.Pos.Line > 0 {
		where += fmt.Sprintf(":%d", f.Pos.Line)
		if f.Pos.Column > 0 {
			where += fmt.Sprintf(":%d", f.Pos.Column)
		}
	}
	s := fmt.Sprintf("%s: %s: %s", where, f.Severity, f.Message)
	if f.Path != "" {
		s += " (" + string(f.Path) + ")"
	}
	return s
}

func suppressor(s *engine.Suppression) string {
	if s.Source == "" {
		return s.Kind
	}
	return s.Kind + " " + s.Source
}

// reasons joins the distinct suppression reasons of fs.
func reasons(fs []engine.Finding) string {
	var rs []string
	for _, f := range fs {
		if !slices.Contains(rs, f.Suppressed.Reason) {
			rs = append(rs, f.Suppressed.Reason)
		}
	}
	return strings.Join(rs, "; ")
}

// qualifiedName names an object "Kind/namespace/name", or "Kind/name" when
// no namespace is written.
func qualifiedName(o *object.Object) string {
	if o.RawNamespace == "" {
		return o.Kind + "/" + o.Name
	}
	return o.Kind + "/" + o.RawNamespace + "/" + o.Name
}
