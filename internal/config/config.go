// Package config reads .palisade.yaml, the project configuration: which
// rules run and at what severity, rule parameters, scan defaults, and
// ignores with a reason and an optional expiry date.
//
// Unknown keys are errors (with file:line), because a misspelled ignore that
// silently does nothing is worse than no config at all.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
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
	// PSS selects the Pod Security Standard the pss-* rules apply.
	PSS PSS `yaml:"pss"`
	// KubeVersion is the target Kubernetes version ("v1.30"); optional.
	KubeVersion string `yaml:"kubeVersion"`
	// Strict disables suppression annotations in manifests.
	Strict bool `yaml:"strict"`
	// Rules configures rules by ID.
	Rules map[string]RuleConfig `yaml:"rules"`
	// Ignore lists findings to suppress.
	Ignore []Ignore `yaml:"ignore"`

	// root is the parsed document, for locating keys in messages; nil for
	// the default configuration.
	root *yaml.Node
}

// PSS selects a Pod Security Standard.
type PSS struct {
	// Level is "baseline" or "restricted"; empty means restricted.
	Level string `yaml:"level"`
	// Version is "latest" or a version such as "v1.30"; empty means latest.
	Version string `yaml:"version"`
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
		return time.Time{}, fmt.Errorf("expiry %q: %w", s, err)
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

// Parse parses and validates configuration data read from file. Errors
// start with file:line, naming the line of the offending key or value.
func Parse(file string, data []byte) (*Config, error) {
	c := &Config{File: file}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlError(file, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true) // a misspelled key is an error, not a no-op
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return nil, yamlError(file, err)
	}
	c.root = &root
	if seq := c.node("ignore"); seq != nil && seq.Kind == yaml.SequenceNode {
		for i, n := range seq.Content {
			if i < len(c.Ignore) {
				c.Ignore[i].Line = n.Line
			}
		}
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	return c, nil
}

var (
	yamlLineRE     = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
	unknownFieldRE = regexp.MustCompile(`^field (\S+) not found in type (.+)$`)
)

// yamlError rewrites the YAML library's errors as file:line: message, one
// line per problem, with unknown keys named along with the valid ones.
func yamlError(file string, err error) error {
	msgs := []string{err.Error()}
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	var out []string
	for _, m := range msgs {
		line := 0
		if sm := yamlLineRE.FindStringSubmatch(m); sm != nil {
			line, _ = strconv.Atoi(sm[1])
			m = sm[2]
		}
		if sm := unknownFieldRE.FindStringSubmatch(m); sm != nil {
			m = fmt.Sprintf("unknown key %q", sm[1])
			if keys := knownKeys[sm[2]]; len(keys) > 0 {
				m += fmt.Sprintf(" (want %s)", strings.Join(keys, ", "))
			}
		}
		m = strings.TrimPrefix(m, "yaml: ")
		if line > 0 {
			out = append(out, fmt.Sprintf("%s:%d: %s", file, line, m))
		} else {
			out = append(out, fmt.Sprintf("%s: %s", file, m))
		}
	}
	return errors.New(strings.Join(out, "\n"))
}

// knownKeys maps the type names in the YAML library's unknown-field errors
// to the keys that type accepts.
var knownKeys = func() map[string][]string {
	m := map[string][]string{}
	for _, v := range []any{Config{}, PSS{}, RuleConfig{}, Ignore{}} {
		t := reflect.TypeOf(v)
		var keys []string
		for i := range t.NumField() {
			if k, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ","); k != "" && k != "-" {
				keys = append(keys, k)
			}
		}
		m[t.String()] = keys
	}
	return m
}()

// node returns the node at the path of mapping keys, or nil.
func (c *Config) node(keys ...string) *yaml.Node {
	if c.root == nil {
		return nil
	}
	n := c.root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for _, k := range keys {
		if n = mapValue(n, k); n == nil {
			return nil
		}
	}
	return n
}

// Line returns the line where the value at the path of mapping keys was
// written, or 0 if it was not (for example rules.<id>, to locate a rule's
// settings).
func (c *Config) Line(keys ...string) int {
	if n := c.node(keys...); n != nil {
		return n.Line
	}
	return 0
}

// Where returns "file:line" for the value at the path of mapping keys, or
// just the file name when the line is unknown.
func (c *Config) Where(keys ...string) string {
	if l := c.Line(keys...); l > 0 {
		return fmt.Sprintf("%s:%d", c.File, l)
	}
	return c.File
}

func mapValue(n *yaml.Node, key string) *yaml.Node {
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

var pssVersionRE = regexp.MustCompile(`^v1\.(?:0|[1-9][0-9]*)$`)

// ValidPSSVersion reports whether v names a Pod Security Standards version
// as the pod-security.kubernetes.io/enforce-version label does: "latest" or
// "v1.N".
func ValidPSSVersion(v string) bool { return v == "latest" || pssVersionRE.MatchString(v) }

var kubeVersionRE = regexp.MustCompile(`^v?1\.(0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[-+].*)?$`)

// NormalizeKubeVersion accepts a Kubernetes version as clusters report it
// ("v1.30", "1.30", "v1.30.2", "v1.30.2-eks-1") or "latest", and returns the
// form every rule accepts: "v1.30" or "latest".
func NormalizeKubeVersion(v string) (string, bool) {
	if v == "latest" {
		return v, true
	}
	m := kubeVersionRE.FindStringSubmatch(v)
	if m == nil {
		return "", false
	}
	return "v1." + m[1], true
}

// Validate checks a configuration built in code (Parse validates what it
// reads). The admission policy builds one per profile this way.
func (c *Config) Validate() error { return c.validate() }

func (c *Config) validate() error {
	if c.Version != 0 && c.Version != 1 {
		return fmt.Errorf("%s: unsupported config version %d (want 1)", c.Where("version"), c.Version)
	}
	if c.FailOn != "" {
		if _, err := rule.ParseSeverity(c.FailOn); err != nil {
			return fmt.Errorf("%s: failOn: %w", c.Where("failOn"), err)
		}
	}
	if l := c.PSS.Level; l != "" && l != "baseline" && l != "restricted" {
		return fmt.Errorf("%s: pss.level must be baseline or restricted, not %q", c.Where("pss", "level"), l)
	}
	if v := c.PSS.Version; v != "" && !ValidPSSVersion(v) {
		return fmt.Errorf("%s: pss.version must be latest or a version such as v1.30, not %q", c.Where("pss", "version"), v)
	}
	if v := c.KubeVersion; v != "" {
		if _, ok := NormalizeKubeVersion(v); !ok {
			return fmt.Errorf("%s: kubeVersion must be latest or a version such as v1.30, not %q", c.Where("kubeVersion"), v)
		}
	}
	ids := make([]string, 0, len(c.Rules))
	for id := range c.Rules {
		ids = append(ids, id)
	}
	slices.Sort(ids) // report the same error on every run
	for _, id := range ids {
		if sev := c.Rules[id].Severity; sev != "" {
			if _, err := rule.ParseSeverity(sev); err != nil {
				return fmt.Errorf("%s: rules.%s.severity: %w", c.Where("rules", id, "severity"), id, err)
			}
		}
	}
	for i := range c.Ignore {
		ig := &c.Ignore[i]
		where := fmt.Sprintf("%s:%d: ignore entry", c.File, ig.Line)
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
		for _, g := range slices.Concat(ig.Namespaces, ig.Kinds, ig.Names) {
			if _, err := path.Match(g, ""); err != nil {
				return fmt.Errorf("%s: bad pattern %q", where, g)
			}
		}
		for _, g := range ig.Paths {
			for _, elem := range strings.Split(g, "/") {
				if _, err := path.Match(elem, ""); err != nil {
					return fmt.Errorf("%s: bad path pattern %q", where, g)
				}
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
