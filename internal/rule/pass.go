package rule

import (
	"fmt"
	"strconv"

	"github.com/palisade-dev/palisade/internal/object"
)

// Options are the scan-wide settings rules may read.
type Options struct {
	// PSSLevel is "baseline" or "restricted".
	PSSLevel string
	// PSSVersion is a Kubernetes minor version such as "v1.33", or "latest".
	PSSVersion string
	// KubeVersion is the target cluster version ("v1.33") for API
	// lifecycle rules; empty means the newest Palisade knows.
	KubeVersion string
	// Complete says the scan holds every object of the namespaces it
	// covers, as a scan of a live cluster does, so that a rule may
	// conclude from an absence (a Secret that nothing uses). A directory
	// of manifests is rarely the whole picture, so it is false there.
	Complete bool
}

// Pass is one run of one rule over one object. Drivers may reuse a Pass
// for the next rule or object once Run returns, so a rule must not keep the
// *Pass (or report through it) after its Run has returned.
type Pass struct {
	Rule   *Rule
	Object *object.Object
	// Set is every object of the scan, for rules that look across objects.
	Set     *object.Set
	Options Options
	// Params holds configured parameter values by name; Param falls back
	// to the rule's defaults.
	Params map[string]any

	report func(Finding)
}

// NewPass returns a pass that hands findings to report. Drivers (the engine,
// the test harness) call it; rules do not.
func NewPass(r *Rule, obj *object.Object, set *object.Set, opts Options, params map[string]any, report func(Finding)) *Pass {
	return &Pass{Rule: r, Object: obj, Set: set, Options: opts, Params: params, report: report}
}

// Report records a finding on the pass's object. Unset RuleID, Severity and
// Object are filled in.
func (p *Pass) Report(f Finding) {
	if f.RuleID == "" {
		f.RuleID = p.Rule.ID
	}
	if f.Severity == 0 {
		f.Severity = p.Rule.Severity
	}
	if f.Object == nil {
		f.Object = p.Object
	}
	p.report(f)
}

// Reportf records a finding at path with a formatted message. fix is the
// finding's Fix builder, or nil.
func (p *Pass) Reportf(path object.Path, fix func() *Fix, format string, args ...any) {
	p.Report(Finding{Path: path, Message: fmt.Sprintf(format, args...), Fix: fix})
}

// ReportContainer records a finding about one container. fix is the
// finding's Fix builder, or nil.
func (p *Pass) ReportContainer(c object.Container, path object.Path, fix func() *Fix, format string, args ...any) {
	p.Report(Finding{Path: path, Container: c.Name, Message: fmt.Sprintf(format, args...), Fix: fix})
}

// Param returns the configured value of a parameter, or its default.
func (p *Pass) Param(name string) any {
	if v, ok := p.Params[name]; ok {
		return v
	}
	for _, prm := range p.Rule.Params {
		if prm.Name == name {
			return prm.Default
		}
	}
	return nil
}

// StringsParam returns a []string parameter.
func (p *Pass) StringsParam(name string) []string {
	switch v := p.Param(name).(type) {
	case []string:
		return v
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			out = append(out, fmt.Sprint(x))
		}
		return out
	case string:
		return []string{v}
	}
	return nil
}

// ContainerMessage names a container in a message, e.g. `container "web"`
// or `init container "setup"`.
func ContainerMessage(c object.Container) string {
	// Most findings name a container, and the webhook formats them on
	// every request: concatenation costs one allocation where fmt costs
	// several.
	switch c.Kind {
	case object.InitContainer:
		return "init container " + strconv.Quote(c.Name)
	case object.EphemeralContainer:
		return "ephemeral container " + strconv.Quote(c.Name)
	}
	return "container " + strconv.Quote(c.Name)
}
