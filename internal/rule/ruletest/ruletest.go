// Package ruletest is the fixture harness every rule test uses, in the
// spirit of go/analysis's analysistest: fixtures are ordinary manifests under
// testdata/<rule-id>/, and a comment `# want "regexp"` on a line says that the
// rule must report a finding positioned on that line whose message matches.
// Findings nobody wanted and wants nobody matched both fail the test, so
// fixtures pin the message and the line of each finding.
//
// Wants may be written with double quotes or backquotes, and one line may
// carry several.
//
// A fixture may set options in a comment anywhere in the file:
//
//	# palisade-test: pss-level=baseline pss-version=v1.25 kube-version=v1.25 param.registries=a.io,b.io
//
// complete=true marks the fixture as a complete view of its namespaces, as
// a live cluster is (rule.Options.Complete).
//
// Every finding's Fix builder is called twice after the rule has run over
// every object of the fixture, with the pass reused and then cleared as the
// engine might: a builder that reads the pass, or that builds different
// fixes on two calls, fails the test.
package ruletest

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
)

// Fixtures summarises a rule's fixture files, for the catalog meta-test.
type Fixtures struct {
	Failing int // files with at least one want
	Passing int // files with none
}

// Run checks rule r against every fixture in dir (normally
// testdata/<rule-id>) and returns how many passing and failing fixtures it
// found.
func Run(t *testing.T, dir string, r *rule.Rule) Fixtures {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	more, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	files = append(files, more...)
	if len(files) == 0 {
		t.Fatalf("rule %s: no fixtures in %s", r.ID, dir)
	}
	var fx Fixtures
	for _, file := range files {
		wants := checkFile(t, file, r)
		if wants > 0 {
			fx.Failing++
		} else {
			fx.Passing++
		}
	}
	return fx
}

type want struct {
	line    int
	re      *regexp.Regexp
	matched bool
}

var (
	wantRE    = regexp.MustCompile(`#\s*want((?:\s+(?:"(?:[^"\\]|\\.)*"|` + "`[^`]*`" + `))+)`)
	wantArgRE = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|` + "`[^`]*`")
	optsRE    = regexp.MustCompile(`#\s*palisade-test:(.*)$`)
)

func checkFile(t *testing.T, file string, r *rule.Rule) int {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	opts := rule.Options{PSSLevel: "restricted", PSSVersion: "latest"}
	params := map[string]any{}
	var wants []*want
	for i, line := range strings.Split(string(data), "\n") {
		if m := optsRE.FindStringSubmatch(line); m != nil {
			for _, kv := range strings.Fields(m[1]) {
				k, v, _ := strings.Cut(kv, "=")
				switch {
				case k == "pss-level":
					opts.PSSLevel = v
				case k == "pss-version":
					opts.PSSVersion = v
				case k == "kube-version":
					opts.KubeVersion = v
				case k == "complete":
					opts.Complete = v == "true"
				case strings.HasPrefix(k, "param."):
					params[strings.TrimPrefix(k, "param.")] = strings.Split(v, ",")
				default:
					t.Fatalf("%s:%d: unknown fixture option %q", file, i+1, k)
				}
			}
		}
		m := wantRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		for _, q := range wantArgRE.FindAllString(m[1], -1) {
			s, err := strconv.Unquote(q)
			if err != nil {
				t.Fatalf("%s:%d: bad want %s: %v", file, i+1, q, err)
			}
			re, err := regexp.Compile(s)
			if err != nil {
				t.Fatalf("%s:%d: bad want regexp: %v", file, i+1, err)
			}
			wants = append(wants, &want{line: i + 1, re: re})
		}
	}
	res := object.Decode(file, data)
	for _, e := range res.Errors {
		t.Errorf("fixture does not decode: %v", e)
	}
	findings, err := RunRule(r, res.Objects, opts, params)
	if err != nil {
		t.Errorf("%s: rule %s returned an error: %v", file, r.ID, err)
	}
	for _, f := range findings {
		pos, _ := f.Object.Position(f.Path)
		if err := checkMessage(f.Message); err != nil {
			t.Errorf("%s:%d: %s: %v", file, pos.Line, r.ID, err)
		}
		if err := checkFix(f); err != nil {
			t.Errorf("%s:%d: %s: %v", file, pos.Line, r.ID, err)
		}
		ok := false
		for _, w := range wants {
			if !w.matched && w.line == pos.Line && w.re.MatchString(f.Message) {
				w.matched, ok = true, true
				break
			}
		}
		if !ok {
			t.Errorf("%s:%d: unexpected finding: %s (path %s)", file, pos.Line, f.Message, f.Path)
		}
	}
	for _, w := range wants {
		if !w.matched {
			t.Errorf("%s:%d: no finding matched %q", file, w.line, w.re)
		}
	}
	return len(wants)
}

// RunRule runs r over objs (as one scan) and returns its findings. Like the
// engine, it reuses one pass for every object; it clears the pass before
// returning, so that a Fix builder that wrongly reads it fails when called.
func RunRule(r *rule.Rule, objs []*object.Object, opts rule.Options, params map[string]any) ([]rule.Finding, error) {
	set := object.NewSet(objs)
	var findings []rule.Finding
	var errs []error
	pass := rule.NewPass(r, nil, set, opts, params, func(f rule.Finding) { findings = append(findings, f) })
	for _, o := range objs {
		pass.Object = o
		if err := r.Run(pass); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", o.Ref(), err))
		}
	}
	*pass = rule.Pass{}
	if len(errs) > 0 {
		return findings, errs[0]
	}
	return findings, nil
}

// Workloads decodes a fixture file and returns its objects that have a pod
// template, failing the test on an unreadable file or a decoding error.
func Workloads(t testing.TB, file string) []*object.Object {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	res := object.Decode(file, data)
	if len(res.Errors) > 0 {
		t.Fatalf("%s: %v", file, res.Errors)
	}
	var out []*object.Object
	for _, o := range res.Objects {
		if _, ok := o.PodTemplate(); ok {
			out = append(out, o)
		}
	}
	return out
}

// Fix returns the remedy of f: the result of its Fix builder, or nil when
// it has none.
func Fix(f rule.Finding) *rule.Fix {
	if f.Fix == nil {
		return nil
	}
	return f.Fix()
}

// checkFix calls the Fix builder of f twice and requires equal results; a
// builder that reads the cleared pass panics, which is reported as an error.
func checkFix(f rule.Finding) (err error) {
	if f.Fix == nil {
		return nil
	}
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("fix builder panics (does it read the pass?): %v", v)
		}
	}()
	if a, b := f.Fix(), f.Fix(); !reflect.DeepEqual(a, b) {
		return fmt.Errorf("fix builder is not pure: %+v, then %+v", a, b)
	}
	return nil
}

// checkMessage enforces the message style: lower-case start, no trailing
// period.
func checkMessage(msg string) error {
	if msg == "" {
		return fmt.Errorf("empty message")
	}
	if strings.HasSuffix(msg, ".") {
		return fmt.Errorf("message %q ends with a period", msg)
	}
	first := msg[0]
	if first >= 'A' && first <= 'Z' && !slices.ContainsFunc([]string{"API", "PSS", "RBAC", "TLS", "HTTP", "CPU", "SSH", "NET_", "AWS", "GCP", "PEM", "JWT", "Istio", "Docker", "Kubernetes", "Role", "ClusterRole", "Service", "Ingress", "Secret", "ConfigMap", "NetworkPolicy", "Namespace", "PodSecurityPolicy", "Deployment", "Pod", "CronJob", "Kubelet", "etcd", "Argo", "Grafana", "Prometheus", "Jenkins", "Kibana"}, func(p string) bool { return strings.HasPrefix(msg, p) }) {
		return fmt.Errorf("message %q should start lower-case", msg)
	}
	return nil
}
