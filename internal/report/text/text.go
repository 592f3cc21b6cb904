// Package text writes a scan report for people: findings grouped by object
// with file:line, the remediation under each, and a summary line. Colour is
// used only when the caller says the output is a terminal.
package text

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/palisade-dev/palisade/internal/engine"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/report"
	"github.com/palisade-dev/palisade/internal/rule"
)

// Options control the text output.
type Options struct {
	// Color enables ANSI colour codes; set it only for terminals.
	Color bool
	// ShowSuppressed lists suppressed findings too.
	ShowSuppressed bool
	// Verbose lists skipped non-Kubernetes documents.
	Verbose bool
}

const (
	reset = "\x1b[0m"
	bold  = "\x1b[1m"
	dim   = "\x1b[2m"
)

var sevColor = map[rule.Severity]string{
	rule.Critical: "\x1b[1;35m", rule.High: "\x1b[1;31m", rule.Medium: "\x1b[33m", rule.Low: "\x1b[36m", rule.Info: "\x1b[2m",
}

// Write renders r: the findings grouped by object, then (with Verbose) the
// skipped documents, the notices, the rule errors and the summary line,
// each section separated from the previous one by a blank line.
func Write(w io.Writer, r *report.Report, opts Options) error {
	p := &printer{w: w, color: opts.Color, rules: r.RulesByID()}
	var last *object.Object
	for i := range r.Findings {
		f := &r.Findings[i]
		if f.Suppressed != nil && !opts.ShowSuppressed {
			continue
		}
		if f.Object != last {
			p.section()
			o := f.Object
			p.buf = p.appendPaint(p.buf, bold, o.Ref())
			p.buf = append(p.buf, ' ')
			if p.color {
				p.buf = append(p.buf, dim...)
			}
			p.buf = appendLocation(p.buf, o.Source.File, o.Line)
			if p.color {
				p.buf = append(p.buf, reset...)
			}
			p.buf = append(p.buf, '\n')
			p.written()
			last = o
		}
		p.finding(f)
	}
	if opts.Verbose && len(r.Skipped) > 0 {
		p.section()
		for _, s := range r.Skipped {
			p.printf("skipped %s:%d: not a Kubernetes object (no apiVersion or kind)\n", s.File, s.Line)
		}
	}
	if len(r.Notices) > 0 {
		p.section()
		for _, n := range r.Notices {
			p.printf("%s %s\n", p.paint(sevColor[rule.Medium], "notice:"), n)
		}
	}
	if len(r.RuleErrors) > 0 {
		p.section()
		for _, e := range r.RuleErrors {
			p.printf("%s %v\n", p.paint(sevColor[rule.High], "error:"), e)
		}
	}
	p.section()
	p.printf("%s\n", summaryLine(r))
	p.flush()
	return p.err
}

// printer formats into one buffer and hands it to the writer in large
// pieces: a scan can have a hundred thousand findings, and formatting each
// line with fmt.Fprintf was a visible part of a whole run.
type printer struct {
	w     io.Writer
	color bool
	buf   []byte
	// wrote says whether anything has been printed yet.
	wrote bool
	err   error
	// rules are the rules that ran, by ID.
	rules map[string]*rule.Rule
}

// flushAt is the buffer size at which the printer writes out.
const flushAt = 64 << 10

func (p *printer) printf(format string, args ...any) {
	p.buf = fmt.Appendf(p.buf, format, args...)
	p.written()
}

// written records that something was printed and writes out a full buffer.
func (p *printer) written() {
	p.wrote = true
	if len(p.buf) >= flushAt {
		p.flush()
	}
}

func (p *printer) flush() {
	if p.err == nil && len(p.buf) > 0 {
		_, p.err = p.w.Write(p.buf)
	}
	p.buf = p.buf[:0]
}

// section starts a new section: a blank line, unless it is the first.
func (p *printer) section() {
	if p.wrote {
		p.buf = append(p.buf, '\n')
	}
}

func (p *printer) paint(code, s string) string {
	if !p.color {
		return s
	}
	return code + s + reset
}

func (p *printer) appendPaint(b []byte, code, s string) []byte {
	if !p.color {
		return append(b, s...)
	}
	b = append(b, code...)
	b = append(b, s...)
	return append(b, reset...)
}

// sevLabels are the severities as the finding lines show them: upper case,
// padded to one width so that the locations line up.
var sevLabels = func() map[rule.Severity]string {
	m := map[rule.Severity]string{}
	for s := rule.Info; s <= rule.Critical; s++ {
		m[s] = fmt.Sprintf("%-8s", strings.ToUpper(s.String()))
	}
	return m
}()

func (p *printer) finding(f *engine.Finding) {
	label, ok := sevLabels[f.Severity]
	if !ok {
		label = fmt.Sprintf("%-8s", strings.ToUpper(f.Severity.String()))
	}
	b := append(p.buf, "  "...)
	b = p.appendPaint(b, sevColor[f.Severity], label)
	b = append(b, ' ')
	b = appendLocation(b, f.File(), f.Pos.Line)
	b = append(b, ' ')
	b = p.appendPaint(b, bold, f.RuleID)
	b = append(b, ' ')
	b = append(b, f.Message...)
	p.buf = append(b, '\n')
	p.written()
	if o := f.Origin; o != nil {
		p.origin(o)
	}
	for i, s := range f.Trace {
		p.printf("           %s %s: %s\n", p.paint(dim, fmt.Sprintf("%d.", i+1)), s.Label, p.paint(dim, s.Why))
	}
	if f.Suppressed != nil {
		p.printf("           %s\n", p.paint(dim, fmt.Sprintf("suppressed (%s %s): %s", f.Suppressed.Kind, f.Suppressed.Source, f.Suppressed.Reason)))
		return
	}
	if meta := p.rules[f.RuleID]; meta != nil {
		b := append(p.buf, "           "...)
		b = p.appendPaint(b, dim, "fix:")
		b = append(b, ' ')
		b = append(b, meta.Remediation...)
		p.buf = append(b, '\n')
		p.written()
	}
}

// origin prints where a generated object's field came from: the Helm
// value that set it, how the location was found.
func (p *printer) origin(o *object.Origin) {
	if o.ValuesKey != "" {
		where := "not set in any values file (the template's default)"
		switch {
		case o.ValuesFile != "" && o.ValuesLine > 0:
			where = fmt.Sprintf("%s:%d", o.ValuesFile, o.ValuesLine)
		case o.ValuesFile != "":
			where = o.ValuesFile
		}
		p.printf("           %s %s %s\n", p.paint(dim, "values:"), where, o.ValuesKey)
	}
	if o.Note != "" {
		p.printf("           %s\n", p.paint(dim, o.Note))
	}
	if o.Approximate {
		p.printf("           %s\n", p.paint(dim, "location approximate: the "+o.Generator+" output could not be traced to this line exactly"))
	}
}

func summaryLine(r *report.Report) string {
	s := r.Summarize()
	total := 0
	var parts []string
	for sev := rule.Critical; sev >= rule.Info; sev-- {
		if n := s.BySeverity[sev]; n > 0 {
			total += n
			parts = append(parts, fmt.Sprintf("%d %s", n, sev))
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s", total, plural(total, "finding"))
	if len(parts) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(parts, ", "))
	}
	if s.Suppressed > 0 {
		fmt.Fprintf(&b, ", %d suppressed", s.Suppressed)
	}
	if r.Cluster != "" {
		fmt.Fprintf(&b, " in %d %s from cluster %s", len(r.Objects), plural(len(r.Objects), "object"), r.Cluster)
	} else {
		fmt.Fprintf(&b, " in %d %s from %d %s", len(r.Objects), plural(len(r.Objects), "object"), r.Files, plural(r.Files, "file"))
	}
	if n := len(r.InputErrors); n > 0 {
		fmt.Fprintf(&b, "; %d input %s", n, plural(n, "error"))
	}
	if n := len(r.RuleErrors); n > 0 {
		fmt.Fprintf(&b, "; %d rule %s", n, plural(n, "error"))
	}
	fmt.Fprintf(&b, "; %d at or above %s", s.Failing, r.FailOn)
	return b.String()
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// appendLocation appends file:line, or the file alone when the line is
// unknown (objects read from a cluster have no lines).
func appendLocation(b []byte, file string, line int) []byte {
	b = append(b, file...)
	if line == 0 {
		return b
	}
	b = append(b, ':')
	return strconv.AppendInt(b, int64(line), 10)
}
