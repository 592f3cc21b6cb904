// Package vap writes the catalog rules that CEL can express exactly as
// ValidatingAdmissionPolicies and their bindings, so that clusters which
// allow no admission webhooks (and so cannot run Palisade's own) still
// refuse the workloads those rules flag, with the API server evaluating the
// rules itself.
//
// Each covered rule becomes one policy, named after the rule, whose CEL
// validations are true exactly when the Go rule reports nothing on the pod
// template of a Pod, PodTemplate, ReplicationController, Deployment,
// ReplicaSet, StatefulSet, DaemonSet, Job or CronJob (and on ephemeral
// containers added to a running Pod), with the rule's default parameters.
// Rules that need other objects, parameters chosen per scan or a parser CEL
// lacks are left out; Covered lists the others.
package vap

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"

	"github.com/palisade-dev/palisade/internal/rules"
)

// Labels set on every generated object.
const (
	// RuleLabel names the rule a policy or binding enforces.
	RuleLabel = "palisade.dev/rule"
	// ManagedByLabel is the standard app.kubernetes.io/managed-by label,
	// with the value "palisade".
	ManagedByLabel = "app.kubernetes.io/managed-by"
)

// DefaultNamePrefix starts the name of every policy and binding unless
// Options says otherwise.
const DefaultNamePrefix = "palisade-"

// Options select and shape the generated objects. The zero value is
// usable: every covered rule that is on by default, denied, failing
// closed, outside kube-system, with names starting with DefaultNamePrefix.
type Options struct {
	// Rules are the IDs (or aliases) of the rules to enforce. Each must be
	// covered. Optional: empty means every covered rule that is not
	// DefaultOff in the catalog.
	Rules []string
	// Actions are the binding's validationActions. Optional: empty means
	// Deny. Deny and Warn cannot be combined.
	Actions []admissionregistrationv1.ValidationAction
	// FailurePolicy says what the API server does when an expression
	// cannot be evaluated. Optional: empty means Fail, since an error is
	// never a pass.
	FailurePolicy admissionregistrationv1.FailurePolicyType
	// NamePrefix starts every object name. Optional: nil means
	// DefaultNamePrefix; a pointer to "" means no prefix.
	NamePrefix *string
	// ExcludeNamespaces are namespaces the bindings do not apply to.
	// Optional: nil means kube-system; an empty, non-nil slice means none.
	ExcludeNamespaces []string
}

// Policy is the policy and the binding that enforce one rule.
type Policy struct {
	// RuleID is the rule the policy enforces.
	RuleID  string
	Policy  *admissionregistrationv1.ValidatingAdmissionPolicy
	Binding *admissionregistrationv1.ValidatingAdmissionPolicyBinding
}

// Covered returns the IDs of the rules the package can express, sorted.
func Covered() []string {
	cs := checks()
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.id
	}
	return ids
}

// Policies returns the policies and bindings that opts ask for, in the
// order of rule IDs. It returns an error for an unknown or uncovered rule
// and for invalid options.
func Policies(opts Options) ([]Policy, error) {
	actions := opts.Actions
	if len(actions) == 0 {
		actions = []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny}
	}
	for _, a := range actions {
		switch a {
		case admissionregistrationv1.Deny, admissionregistrationv1.Warn, admissionregistrationv1.Audit:
		default:
			return nil, fmt.Errorf("action %q is not Deny, Warn or Audit", a)
		}
	}
	if slices.Contains(actions, admissionregistrationv1.Deny) && slices.Contains(actions, admissionregistrationv1.Warn) {
		return nil, fmt.Errorf("actions Deny and Warn cannot be combined: a denied request has nothing to warn about")
	}
	failure := opts.FailurePolicy
	switch failure {
	case "":
		failure = admissionregistrationv1.Fail
	case admissionregistrationv1.Fail, admissionregistrationv1.Ignore:
	default:
		return nil, fmt.Errorf("failure policy %q is not Fail or Ignore", failure)
	}
	prefix := DefaultNamePrefix
	if opts.NamePrefix != nil {
		prefix = *opts.NamePrefix
	}
	exclude := opts.ExcludeNamespaces
	if exclude == nil {
		exclude = []string{metav1.NamespaceSystem}
	}
	selected, err := selectChecks(opts.Rules)
	if err != nil {
		return nil, err
	}
	out := make([]Policy, 0, len(selected))
	for _, c := range selected {
		name := prefix + c.id
		if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
			return nil, fmt.Errorf("name prefix %q: %q is not a valid object name: %s", prefix, name, strings.Join(errs, "; "))
		}
		out = append(out, Policy{
			RuleID:  c.id,
			Policy:  policy(c, name, failure),
			Binding: binding(c.id, name, actions, exclude),
		})
	}
	return out, nil
}

// selectChecks returns the checks of the rules ids name, in ID order, or
// those of the covered rules that are on by default when ids is empty.
func selectChecks(ids []string) ([]check, error) {
	all := checks()
	if len(ids) == 0 {
		var out []check
		for _, c := range all {
			if !rules.ByID(c.id).DefaultOff {
				out = append(out, c)
			}
		}
		return out, nil
	}
	want := map[string]bool{}
	for _, id := range ids {
		r := rules.ByID(id)
		if r == nil {
			return nil, fmt.Errorf("no rule %q (see `palisade rules`)", id)
		}
		if !slices.ContainsFunc(all, func(c check) bool { return c.id == r.ID }) {
			return nil, fmt.Errorf("rule %q cannot be expressed in CEL; covered rules: %s", id, strings.Join(Covered(), ", "))
		}
		want[r.ID] = true
	}
	var out []check
	for _, c := range all {
		if want[c.id] {
			out = append(out, c)
		}
	}
	return out, nil
}

// message is what a denied request says: the rule, its title and its
// remediation, all from the catalog.
func message(id string) string {
	r := rules.ByID(id)
	return fmt.Sprintf("palisade rule %s (%s): %s", r.ID, r.Title, r.Remediation)
}

// podResources are the resources whose objects carry a pod template, by API
// group. Versions are matched as v1 and converted (matchPolicy Equivalent).
var podResources = []struct {
	group     string
	resources []string
}{
	{"", []string{"pods", "podtemplates", "replicationcontrollers"}},
	{"apps", []string{"daemonsets", "deployments", "replicasets", "statefulsets"}},
	{"batch", []string{"cronjobs", "jobs"}},
}

func policy(c check, name string, failure admissionregistrationv1.FailurePolicyType) *admissionregistrationv1.ValidatingAdmissionPolicy {
	equivalent := admissionregistrationv1.Equivalent
	var rulesWith []admissionregistrationv1.NamedRuleWithOperations
	ruleFor := func(group string, ops []admissionregistrationv1.OperationType, resources ...string) admissionregistrationv1.NamedRuleWithOperations {
		return admissionregistrationv1.NamedRuleWithOperations{RuleWithOperations: admissionregistrationv1.RuleWithOperations{
			Operations: ops,
			Rule:       admissionregistrationv1.Rule{APIGroups: []string{group}, APIVersions: []string{"v1"}, Resources: resources},
		}}
	}
	createUpdate := []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update}
	for _, g := range podResources {
		rulesWith = append(rulesWith, ruleFor(g.group, createUpdate, g.resources...))
	}
	// Ephemeral containers join a running pod through a subresource.
	rulesWith = append(rulesWith, ruleFor("", []admissionregistrationv1.OperationType{admissionregistrationv1.Update}, "pods/ephemeralcontainers"))

	msg := message(c.id)
	var validations []admissionregistrationv1.Validation
	for _, e := range c.exprs {
		validations = append(validations, admissionregistrationv1.Validation{Expression: e, Message: msg})
	}
	return &admissionregistrationv1.ValidatingAdmissionPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: admissionregistrationv1.SchemeGroupVersion.String(), Kind: "ValidatingAdmissionPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels(c.id)},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
			FailurePolicy:    &failure,
			MatchConstraints: &admissionregistrationv1.MatchResources{MatchPolicy: &equivalent, ResourceRules: rulesWith},
			Variables:        variables(c),
			Validations:      validations,
		},
	}
}

// variables returns the variables c reads, directly or through other
// variables, in the order they are declared.
func variables(c check) []admissionregistrationv1.Variable {
	all := append(slices.Clone(podVariables), c.vars...)
	used := map[string]bool{}
	// Later variables only read earlier ones, so one backward pass finds
	// everything the expressions need.
	for i := len(all) - 1; i >= 0; i-- {
		v := all[i]
		for _, e := range c.exprs {
			if readsVar(e, v.name) {
				used[v.name] = true
			}
		}
		for _, w := range all[i+1:] {
			if used[w.name] && readsVar(w.expr, v.name) {
				used[v.name] = true
			}
		}
	}
	var out []admissionregistrationv1.Variable
	for _, v := range all {
		if used[v.name] {
			out = append(out, admissionregistrationv1.Variable{Name: v.name, Expression: v.expr})
		}
	}
	return out
}

// readsVar reports whether expr reads variables.name, that is whether the
// reference is not followed by more of an identifier.
func readsVar(expr, name string) bool {
	ref := "variables." + name
	for i := strings.Index(expr, ref); i >= 0; {
		end := i + len(ref)
		if end == len(expr) || !isIdentChar(expr[end]) {
			return true
		}
		next := strings.Index(expr[end:], ref)
		if next < 0 {
			return false
		}
		i = end + next
	}
	return false
}

func isIdentChar(b byte) bool {
	return b == '_' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
}

func binding(id, name string, actions []admissionregistrationv1.ValidationAction, exclude []string) *admissionregistrationv1.ValidatingAdmissionPolicyBinding {
	b := &admissionregistrationv1.ValidatingAdmissionPolicyBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: admissionregistrationv1.SchemeGroupVersion.String(), Kind: "ValidatingAdmissionPolicyBinding"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels(id)},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{
			PolicyName:        name,
			ValidationActions: slices.Clone(actions),
		},
	}
	if len(exclude) > 0 {
		b.Spec.MatchResources = &admissionregistrationv1.MatchResources{NamespaceSelector: &metav1.LabelSelector{
			MatchExpressions: []metav1.LabelSelectorRequirement{{
				Key:      corev1.LabelMetadataName,
				Operator: metav1.LabelSelectorOpNotIn,
				Values:   slices.Clone(exclude),
			}},
		}}
	}
	return b
}

func labels(id string) map[string]string {
	return map[string]string{ManagedByLabel: "palisade", RuleLabel: id}
}

// Write writes the policies and bindings opts ask for to w as a YAML
// stream, each policy followed by its binding. The output depends on opts
// and the catalog only.
func Write(w io.Writer, opts Options) error {
	ps, err := Policies(opts)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	for _, p := range ps {
		for _, obj := range []any{p.Policy, p.Binding} {
			m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
			if err != nil {
				return err
			}
			delete(m, "status") // an empty status is noise to whoever applies it
			data, err := yaml.Marshal(m)
			if err != nil {
				return err
			}
			buf.WriteString("---\n")
			buf.Write(data)
		}
	}
	_, err = w.Write(buf.Bytes())
	return err
}
