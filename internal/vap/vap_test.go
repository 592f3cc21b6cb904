package vap

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/ext"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"sigs.k8s.io/yaml"

	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
	"github.com/palisade-dev/palisade/internal/rule/ruletest"
	"github.com/palisade-dev/palisade/internal/rules"
)

func TestCoveredRulesAreInTheCatalog(t *testing.T) {
	ids := Covered()
	if len(ids) < 15 {
		t.Errorf("only %d rules covered", len(ids))
	}
	if !slices.IsSorted(ids) {
		t.Errorf("covered rules not sorted: %v", ids)
	}
	catalog := map[string]*rule.Rule{}
	for _, r := range rules.All() {
		catalog[r.ID] = r
	}
	for i, id := range ids {
		if catalog[id] == nil {
			t.Errorf("covered rule %q is not an ID in rules.All()", id)
		}
		if i > 0 && ids[i-1] == id {
			t.Errorf("rule %q covered twice", id)
		}
	}
}

// TestOutputParses decodes the YAML stream strictly into the API types and
// checks that every policy has its binding and says which rule it is.
func TestOutputParses(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, Options{}); err != nil {
		t.Fatal(err)
	}
	docs := strings.Split(strings.TrimPrefix(buf.String(), "---\n"), "\n---\n")
	var want []string
	for _, id := range Covered() {
		if !rules.ByID(id).DefaultOff {
			want = append(want, id)
		}
	}
	if len(docs) != 2*len(want) {
		t.Fatalf("got %d documents, want %d (a policy and a binding for each of %v)", len(docs), 2*len(want), want)
	}
	for i, id := range want {
		var p admissionregistrationv1.ValidatingAdmissionPolicy
		if err := yaml.UnmarshalStrict([]byte(docs[2*i]), &p); err != nil {
			t.Fatalf("policy %d: %v\n%s", i, err, docs[2*i])
		}
		var b admissionregistrationv1.ValidatingAdmissionPolicyBinding
		if err := yaml.UnmarshalStrict([]byte(docs[2*i+1]), &b); err != nil {
			t.Fatalf("binding %d: %v\n%s", i, err, docs[2*i+1])
		}
		if p.Kind != "ValidatingAdmissionPolicy" || b.Kind != "ValidatingAdmissionPolicyBinding" ||
			p.APIVersion != "admissionregistration.k8s.io/v1" || b.APIVersion != p.APIVersion {
			t.Errorf("%s: kinds %s/%s %s/%s", id, p.APIVersion, p.Kind, b.APIVersion, b.Kind)
		}
		if p.Name != "palisade-"+id || b.Spec.PolicyName != p.Name || p.Labels[RuleLabel] != id {
			t.Errorf("%s: policy %q, binding for %q, label %q", id, p.Name, b.Spec.PolicyName, p.Labels[RuleLabel])
		}
		if *p.Spec.FailurePolicy != admissionregistrationv1.Fail {
			t.Errorf("%s: failurePolicy %s, want Fail", id, *p.Spec.FailurePolicy)
		}
		if !slices.Equal(b.Spec.ValidationActions, []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny}) {
			t.Errorf("%s: validationActions %v, want [Deny]", id, b.Spec.ValidationActions)
		}
		sel := b.Spec.MatchResources.NamespaceSelector.MatchExpressions
		if len(sel) != 1 || !slices.Equal(sel[0].Values, []string{"kube-system"}) || sel[0].Operator != "NotIn" {
			t.Errorf("%s: namespaceSelector %v, want kube-system excluded", id, sel)
		}
		if len(p.Spec.Validations) == 0 {
			t.Errorf("%s: no validations", id)
		}
		for _, v := range p.Spec.Validations {
			if !strings.Contains(v.Message, id) || !strings.Contains(v.Message, rules.ByID(id).Remediation) {
				t.Errorf("%s: message %q does not name the rule and its remediation", id, v.Message)
			}
		}
	}
	var again bytes.Buffer
	if err := Write(&again, Options{}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Error("two runs wrote different output")
	}
}

func TestOptions(t *testing.T) {
	empty := ""
	ps, err := Policies(Options{
		Rules:             []string{"host-pid", "privileged-container"},
		Actions:           []admissionregistrationv1.ValidationAction{admissionregistrationv1.Warn, admissionregistrationv1.Audit},
		FailurePolicy:     admissionregistrationv1.Ignore,
		NamePrefix:        &empty,
		ExcludeNamespaces: []string{},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 2 || ps[0].RuleID != "host-pid" || ps[1].RuleID != "privileged-container" {
		t.Fatalf("got %v", ps)
	}
	p := ps[1]
	if p.Policy.Name != "privileged-container" || *p.Policy.Spec.FailurePolicy != admissionregistrationv1.Ignore ||
		p.Binding.Spec.MatchResources != nil || len(p.Binding.Spec.ValidationActions) != 2 {
		t.Errorf("options not applied: %+v %+v", p.Policy.Spec, p.Binding.Spec)
	}
	// Only the variables the expressions read are declared.
	var names []string
	for _, v := range p.Policy.Spec.Variables {
		names = append(names, v.Name)
	}
	if want := []string{"spec", "containers"}; !slices.Equal(names, want) {
		t.Errorf("variables %v, want %v", names, want)
	}

	bad := "Bad_"
	for name, opts := range map[string]Options{
		"unknown rule":   {Rules: []string{"no-such-rule"}},
		"uncovered rule": {Rules: []string{"rbac-wildcard"}},
		"deny and warn":  {Actions: []admissionregistrationv1.ValidationAction{"Deny", "Warn"}},
		"bad action":     {Actions: []admissionregistrationv1.ValidationAction{"Block"}},
		"bad failure":    {FailurePolicy: "Open"},
		"bad prefix":     {NamePrefix: &bad},
	} {
		if _, err := Policies(opts); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if r := rules.ByID("rbac-wildcard"); r == nil {
		t.Error("the uncovered-rule case needs another uncovered rule")
	}
}

// celEnv mirrors the parts of the API server's CEL environment that the
// policies use: optional types, the extended string library and
// homogeneous list literals. object is dyn, as in the API server's
// compiler; variables are what the policy declared, evaluated in order.
func celEnv(t *testing.T) *cel.Env {
	t.Helper()
	env, err := cel.NewEnv(
		cel.Variable("object", cel.DynType),
		cel.Variable("variables", cel.MapType(cel.StringType, cel.DynType)),
		cel.OptionalTypes(),
		ext.Strings(ext.StringsVersion(2)),
		cel.HomogeneousAggregateLiterals(),
		cel.EagerlyValidateDeclarations(true),
	)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// compiled is a policy compiled for in-process evaluation.
type compiled struct {
	vars        []string
	varProgs    []cel.Program
	validations []cel.Program
}

func compile(t *testing.T, env *cel.Env, p *admissionregistrationv1.ValidatingAdmissionPolicy) compiled {
	t.Helper()
	var c compiled
	prog := func(expr string, wantBool bool) cel.Program {
		ast, iss := env.Compile(expr)
		if iss.Err() != nil {
			t.Fatalf("%s: %q does not compile: %v", p.Name, expr, iss.Err())
		}
		if wantBool && ast.OutputType() != cel.BoolType && ast.OutputType() != cel.DynType {
			t.Fatalf("%s: %q is of type %v, not bool", p.Name, expr, ast.OutputType())
		}
		pr, err := env.Program(ast)
		if err != nil {
			t.Fatalf("%s: %q: %v", p.Name, expr, err)
		}
		return pr
	}
	for _, v := range p.Spec.Variables {
		c.vars = append(c.vars, v.Name)
		c.varProgs = append(c.varProgs, prog(v.Expression, false))
	}
	for _, v := range p.Spec.Validations {
		c.validations = append(c.validations, prog(v.Expression, true))
	}
	return c
}

// admits evaluates the policy on obj. An evaluation error fails the test:
// the expressions must never error on an object the API server admits.
func (c compiled) admits(obj map[string]any) (bool, error) {
	vars := map[string]ref.Val{}
	act := map[string]any{"object": obj, "variables": vars}
	for i, p := range c.varProgs {
		v, _, err := p.Eval(act)
		if err != nil {
			return false, fmt.Errorf("variable %s: %w", c.vars[i], err)
		}
		vars[c.vars[i]] = v
	}
	for _, p := range c.validations {
		v, _, err := p.Eval(act)
		if err != nil {
			return false, err
		}
		if v != types.True {
			return false, nil
		}
	}
	return true, nil
}

func TestCELCompiles(t *testing.T) {
	env := celEnv(t)
	ps, err := Policies(Options{Rules: Covered()})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		compile(t, env, p.Policy)
	}
}

// TestParity evaluates each policy in process on the objects of the rule's
// own fixtures and of testdata/parity/<rule-id>.yaml, and requires the
// policy to refuse exactly the objects the Go rule reports. The end-to-end
// test repeats this against a real API server.
func TestParity(t *testing.T) {
	env := celEnv(t)
	ps, err := Policies(Options{Rules: Covered()})
	if err != nil {
		t.Fatal(err)
	}
	total := map[bool]int{}
	for _, p := range ps {
		t.Run(p.RuleID, func(t *testing.T) {
			c := compile(t, env, p.Policy)
			r := rules.ByID(p.RuleID)
			files := fixtureFiles(t, p.RuleID)
			var flagged, passed int
			for _, file := range files {
				for _, o := range ruletest.Workloads(t, file) {
					want, err := flags(r, o)
					if err != nil {
						t.Fatalf("%s: %s: %v", file, o.Ref(), err)
					}
					obj, err := unstructured(o)
					if err != nil {
						t.Fatal(err)
					}
					ok, err := c.admits(obj)
					if err != nil {
						t.Errorf("%s: %s: evaluation failed: %v", file, o.Ref(), err)
						continue
					}
					if ok == want {
						t.Errorf("%s: %s: Go rule flags=%v, policy admits=%v", file, o.Ref(), want, ok)
					}
					if want {
						flagged++
					} else {
						passed++
					}
				}
			}
			if flagged == 0 || passed == 0 {
				t.Errorf("fixtures have %d flagged and %d passing workloads; want some of each", flagged, passed)
			}
			total[true] += flagged
			total[false] += passed
			t.Logf("%d flagged and %d passing workloads agree", flagged, passed)
		})
	}
	t.Logf("parity: %d rules, %d flagged and %d passing workloads", len(ps), total[true], total[false])
}

// TestSafeSysctlsAgree checks the safe sysctls, in both spellings, against
// unsafe-sysctls, and that the rule still flags names outside the list.
func TestSafeSysctlsAgree(t *testing.T) {
	r := rules.ByID("unsafe-sysctls")
	for _, name := range append(slices.Clone(safeSysctls), "net.ipv4.tcp_rmem", "net/ipv4/tcp_rmem", "kernel.msgmax", "net.core.somaxconn") {
		pod := fmt.Sprintf("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  securityContext: {sysctls: [{name: %q, value: '1'}]}\n  containers: [{name: a, image: x:1}]\n", name)
		o := decodeOne(t, pod)
		flagged, err := flags(r, o)
		if err != nil {
			t.Fatal(err)
		}
		listed := slices.Contains(safeSysctls, strings.ReplaceAll(name, "/", "."))
		if flagged == listed {
			t.Errorf("sysctl %q: listed as safe %v, rule flags it %v", name, listed, flagged)
		}
	}
}

// TestRuntimeSocketsAgree checks each runtime socket path and name against
// container-runtime-socket.
func TestRuntimeSocketsAgree(t *testing.T) {
	r := rules.ByID("container-runtime-socket")
	var paths []string
	paths = append(paths, runtimeSockets...)
	for _, n := range runtimeSocketNames {
		paths = append(paths, "/opt/x/"+n)
	}
	for _, p := range paths {
		pod := fmt.Sprintf("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  volumes: [{name: v, hostPath: {path: %q}}]\n  containers: [{name: a, image: x:1}]\n", p)
		flagged, err := flags(r, decodeOne(t, pod))
		if err != nil {
			t.Fatal(err)
		}
		if !flagged {
			t.Errorf("container-runtime-socket does not flag %q, which this package lists", p)
		}
	}
}

func decodeOne(t *testing.T, text string) *object.Object {
	t.Helper()
	res := object.Decode("test.yaml", []byte(text))
	if len(res.Errors) > 0 || len(res.Objects) != 1 {
		t.Fatalf("decoding %q: %v", text, res.Errors)
	}
	return res.Objects[0]
}

// fixtureFiles returns the fixtures the parity tests use for a rule: the
// rule's own, except those that set options (they test other parameters or
// versions than the policies', which use the defaults), and the extra
// cases in testdata/parity/<rule-id>.yaml.
func fixtureFiles(t *testing.T, id string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "rules", "*", "testdata", id, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	files = slices.DeleteFunc(files, func(f string) bool {
		data, err := os.ReadFile(f)
		return err != nil || optionsRE.Match(data)
	})
	if len(files) == 0 {
		t.Fatalf("no fixtures for %s", id)
	}
	if extra := filepath.Join("testdata", "parity", id+".yaml"); fileExists(extra) {
		files = append(files, extra)
	}
	return files
}

var optionsRE = regexp.MustCompile(`(?m)#\s*palisade-test:`)

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// flags reports whether rule r reports anything on o alone, with the
// default options.
func flags(r *rule.Rule, o *object.Object) (bool, error) {
	fs, err := ruletest.RunRule(r, []*object.Object{o}, rule.Options{PSSLevel: "restricted", PSSVersion: "latest"}, nil)
	return len(fs) > 0, err
}

// unstructured returns o as the API server hands it to CEL: its typed form
// encoded as JSON, with integers as int64.
func unstructured(o *object.Object) (map[string]any, error) {
	data, err := json.Marshal(o.Typed)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	m["apiVersion"], m["kind"] = o.APIVersion, o.Kind
	return numbers(m).(map[string]any), nil
}

func numbers(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			v[k] = numbers(x)
		}
	case []any:
		for i, x := range v {
			v[i] = numbers(x)
		}
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return i
		}
		f, _ := v.Float64()
		return f
	}
	return v
}
