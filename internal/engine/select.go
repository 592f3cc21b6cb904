package engine

import (
	"fmt"
	"maps"
	"slices"

	"github.com/palisade-dev/palisade/internal/config"
	"github.com/palisade-dev/palisade/internal/rule"
)

// Configured is a rule with the configuration that applies to it.
type Configured struct {
	Rule *rule.Rule
	// Severity overrides the rule's severity; 0 keeps it.
	Severity rule.Severity
	// Params are the configured parameter values.
	Params map[string]any
}

// Select returns the rules of catalog that should run under cfg: the rules
// enabled by default plus those cfg enables, minus those it disables, with
// severity overrides and parameters attached. Configuration naming a rule
// that does not exist, or a parameter a rule does not have, is an error.
func Select(catalog []*rule.Rule, cfg *config.Config) ([]*Configured, error) {
	byID := map[string]*rule.Rule{}
	for _, r := range catalog {
		byID[r.ID] = r
		for _, a := range r.Aliases {
			byID[a] = r
		}
	}
	settings := map[*rule.Rule]config.RuleConfig{}
	settingsID := map[*rule.Rule]string{}
	if cfg != nil {
		// Sorted, so that errors are the same on every run.
		ids := slices.Sorted(maps.Keys(cfg.Rules))
		for _, id := range ids {
			rc := cfg.Rules[id]
			r, ok := byID[id]
			if !ok {
				return nil, fmt.Errorf("%s: rules.%s: no such rule (see `palisade rules`)", cfg.Where("rules", id), id)
			}
			if prev, dup := settingsID[r]; dup {
				// An ID and its alias both configured: one would win at random.
				return nil, fmt.Errorf("%s: rules.%s and rules.%s both configure rule %s", cfg.Where("rules", id), prev, id, r.ID)
			}
			for name := range rc.Params {
				if !slices.ContainsFunc(r.Params, func(p rule.Param) bool { return p.Name == name }) {
					return nil, fmt.Errorf("%s: rules.%s.params.%s: rule %s has no such parameter", cfg.Where("rules", id, "params", name), id, name, r.ID)
				}
			}
			settings[r], settingsID[r] = rc, id
		}
		for _, ig := range cfg.Ignore {
			for _, id := range ig.Rules {
				if _, ok := byID[id]; !ok && id != "*" {
					return nil, fmt.Errorf("%s:%d: ignore names unknown rule %q", cfg.File, ig.Line, id)
				}
			}
		}
	}
	var out []*Configured
	for _, r := range catalog {
		rc := settings[r]
		enabled := !r.DefaultOff
		if rc.Enabled != nil {
			enabled = *rc.Enabled
		}
		if !enabled {
			continue
		}
		c := &Configured{Rule: r, Params: rc.Params}
		if rc.Severity != "" {
			s, err := rule.ParseSeverity(rc.Severity)
			if err != nil {
				return nil, err
			}
			c.Severity = s
		}
		out = append(out, c)
	}
	return out, nil
}
