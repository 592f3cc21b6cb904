// Package config reads .palisade.yaml, the project configuration: which
// rules run and at what severity, rule parameters, scan defaults, and
// ignores with a reason and an optional expiry date.
//
// Unknown keys are errors (with file:line), because a misspelt ignore that
// silently does nothing is worse than no config at all.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"github.com/palisade-dev/palisade/internal/rule"
)

// FileName is the configuration file looked for upward from the scanned
// path.
const FileName = ".palisade.yaml"

// Config is the parsed configuration. The zero value is the default
// configuration.
type Config struct {
	// File is where the configuration was read from; empty for defaults.
	File string `yaml:"-"`

	Version int `yaml:"version"`
	// FailOn is the lowest severity that makes a scan fail; optional.
	FailOn string `yaml:"failOn"`
	PSS    struct {
		Level   string `yaml:"level"`
		Version string `yaml:"version"`
	} `yaml:"pss"`
	KubeVersion string `yaml:"kubeVersion"`
	// Strict disables suppression annotations in manifests.
	Strict bool `yaml:"strict"`
	// Rules configures rules by ID.
	Rules map[string]RuleConfig `yaml:"rules"`
	// Ignore lists findings to suppress.
	Ignore []Ignore `yaml:"ignore"`
}

// RuleConfig configures one rule.
type RuleConfig struct {
	// Enabled turns a rule on (including DefaultOff rules) or off; nil
	// keeps the rule's default.
	Enabled *bool `yaml:"enabled"`
	// Severity overrides the rule's severity; optional.
	Severity string `yaml:"severity"`
	// Params sets rule parameters by name.
	Params map[string]any `yaml:"params"`
}

// Ignore suppresses findings that match every non-empty selector.
type Ignore struct {
	// Rules are rule IDs; "*" matches every rule. Required.
	Rules []string `yaml:"rules"`
	// Namespaces, Kinds and Names are glob patterns (path.Match syntax).
	Namespaces []string `yaml:"namespaces"`
	Kinds      []string `yaml:"kinds"`
	Names      []string `yaml:"names"`
	// Paths are file globs relative to the configuration file's directory;
	// "**" matches any number of directories.
	Paths []string `yaml:"paths"`
	// Reason is required: a suppression nobody can explain is a finding
	// waiting to happen.
	Reason string `yaml:"reason"`
	// Expires is an optional date (YYYY-MM-DD) after which the ignore no
	// longer applies and is itself reported.
	Expires string `yaml:"expires"`

	// Line is where the entry was written, for messages.
	Line int `yaml:"-"`
	// ExpiresAt is Expires parsed; zero if none.
	ExpiresAt time.Time `yaml:"-"`
}

var dateRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// ParseDate parses an expiry date. A date expires at the end of that day,
// UTC.
func ParseDate(s string) (time.Time, error) {
	if !dateRE.MatchString(s) {
		return time.Time{}, fmt.Errorf("expiry %q is not a date in the form YYYY-MM-DD", s)
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return time.Time{}, fmt.Errorf("expiry %q: %v", s, err)
	}
	return t.Add(24*time.Hour - time.Nanosecond), nil
}

// Load reads and validates the configuration in file.
func Load(file string) (*Config, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return Parse(file, data)
}

// Parse parses and validates configuration data read from file.
func Parse(file string, data []byte) (*Config, error) {
	c := &Config{File: file}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true) // a misspelt key is an error, not a no-op
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %v", file, err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("%s: %v", file, err)
	}
	if seq := mapValue(&root, "ignore"); seq != nil {
		for i, n := range seq.Content {
			if i < len(c.Ignore) {
				c.Ignore[i].Line = n.Line
			}
		}
	}
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return c, nil
}

func mapValue(root *yaml.Node, key string) *yaml.Node {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func (c *Config) validate() error {
	if c.Version != 0 && c.Version != 1 {
		return fmt.Errorf("unsupported config version %d (want 1)", c.Version)
	}
	if c.FailOn != "" {
		if _, err := rule.ParseSeverity(c.FailOn); err != nil {
			return fmt.Errorf("failOn: %w", err)
		}
	}
	for id, rc := range c.Rules {
		if rc.Severity != "" {
			if _, err := rule.ParseSeverity(rc.Severity); err != nil {
				return fmt.Errorf("rules.%s.severity: %w", id, err)
			}
		}
	}
	for i := range c.Ignore {
		ig := &c.Ignore[i]
		where := fmt.Sprintf("ignore entry at line %d", ig.Line)
		if len(ig.Rules) == 0 {
			return fmt.Errorf("%s: rules is required (use [\"*\"] for all rules)", where)
		}
		if strings.TrimSpace(ig.Reason) == "" {
			return fmt.Errorf("%s: reason is required", where)
		}
		if ig.Expires != "" {
			t, err := ParseDate(ig.Expires)
			if err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
			ig.ExpiresAt = t
		}
		for _, g := range append(append(append([]string{}, ig.Namespaces...), ig.Kinds...), ig.Names...) {
			if _, err := filepath.Match(g, ""); err != nil {
				return fmt.Errorf("%s: bad pattern %q", where, g)
			}
		}
	}
	return nil
}

// Find looks for FileName in dir and its parents and returns the first one
// found, or "" if there is none.
func Find(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return ""
	}
	if fi, err := os.Stat(abs); err == nil && !fi.IsDir() {
		abs = filepath.Dir(abs)
	}
	for {
		candidate := filepath.Join(abs, FileName)
		if fi, err := os.Stat(candidate); err == nil && fi.Mode().IsRegular() {
			return candidate
		}
		parent := filepath.Dir(abs)
		if parent == abs {
			return ""
		}
		abs = parent
	}
}

// Dir is the directory path globs are relative to.
func (c *Config) Dir() string {
	if c.File == "" {
		return "."
	}
	return filepath.Dir(c.File)
}
