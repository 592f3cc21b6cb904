package network

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
	"github.com/palisade-dev/palisade/internal/rules/internal/selectors"
)

// DefaultDenyIngressMissing reports namespaces without a NetworkPolicy that
// denies ingress to every pod by default.
var DefaultDenyIngressMissing = &rule.Rule{
	Meta:    defaultDenyMeta("default-deny-ingress-missing", "Namespace without a default-deny ingress NetworkPolicy", networkingv1.PolicyTypeIngress),
	Fixable: true,
	Run:     defaultDenyRun(networkingv1.PolicyTypeIngress),
}

// DefaultDenyEgressMissing reports namespaces without a NetworkPolicy that
// denies egress from every pod by default.
var DefaultDenyEgressMissing = &rule.Rule{
	Meta:    defaultDenyMeta("default-deny-egress-missing", "Namespace without a default-deny egress NetworkPolicy", networkingv1.PolicyTypeEgress),
	Fixable: true,
	Run:     defaultDenyRun(networkingv1.PolicyTypeEgress),
}

// defaultDenyMeta is the metadata of the default-deny rule with the given
// ID and title for direction dir.
func defaultDenyMeta(id, title string, dir networkingv1.PolicyType) rule.Meta {
	d := strings.ToLower(string(dir))
	return rule.Meta{
		ID:           id,
		NeedsContext: true,
		Title:        title,
		Severity:     rule.Medium,
		Category:     rule.CategoryNetwork,
		Doc: fmt.Sprintf("Without a default-deny %[1]s policy, every new pod in the namespace has unrestricted %[1]s until "+
			"someone writes a policy for it, and a pod whose labels drift out of its policy silently loses its "+
			"protection. The rule looks for a NetworkPolicy with an empty podSelector whose policyTypes include %[2]s "+
			"(allow rules are fine, except one with neither peers nor ports, which allows everything). It reports each "+
			"Namespace object of the scan and, for a namespace used but not declared in the scan, the first workload "+
			"in it; its fix adds a NetworkPolicy named default-deny-%[1]s to the namespace.", d, dir),
		Remediation: fmt.Sprintf("Add a NetworkPolicy with podSelector: {} and policyTypes: [%s] to the namespace, and allow the needed traffic in further policies.", dir),
		References: []framework.Ref{
			framework.CISRef("5.3.2"),
			framework.NSARef("network-policies"),
		},
	}
}

// defaultDenyRun returns the Run function of the default-deny rule for
// direction dir.
func defaultDenyRun(dir networkingv1.PolicyType) func(*rule.Pass) error {
	return func(pass *rule.Pass) error {
		ns, path, declared, ok := namespaceSubject(pass)
		if !ok {
			return nil
		}
		for _, o := range selectors.NetworkPolicies(pass.Set, ns) {
			if deniesByDefault(o.Typed.(*networkingv1.NetworkPolicy), dir) {
				return nil
			}
		}
		d := strings.ToLower(string(dir))
		written := ns
		if !declared {
			written = pass.Object.RawNamespace
		}
		fix := defaultDenyFix(ns, written, dir)
		if declared {
			pass.Reportf(path, fix, "%s has no NetworkPolicy that denies %s by default", pass.Object.Ref(), d)
		} else {
			pass.Reportf(path, fix, "namespace %q has no NetworkPolicy that denies %s by default (the scan has no Namespace object for it; reported on its first workload)", ns, d)
		}
		return nil
	}
}

// namespaceSubject decides whether the pass's object carries the finding
// for a namespace, and for which one. A Namespace object carries its own.
// A namespace that the scan uses without declaring it is reported on its
// first workload in load order, so that the finding has exactly one,
// deterministic place.
func namespaceSubject(pass *rule.Pass) (ns string, path object.Path, declared, ok bool) {
	o := pass.Object
	if _, isNS := o.Typed.(*corev1.Namespace); isNS {
		return o.Name, object.Path("metadata").Field("name"), true, true
	}
	if _, isWorkload := o.PodTemplate(); !isWorkload {
		return "", "", false, false
	}
	ns = o.Namespace()
	if isDeclared(pass.Set, ns) || firstWorkload(pass.Set, ns) != o {
		return "", "", false, false
	}
	return ns, object.Path("metadata").Field("namespace"), false, true
}

// isDeclared reports whether the scan holds a Namespace object named ns.
func isDeclared(set *object.Set, ns string) bool {
	for _, o := range set.Kind("Namespace") {
		if _, ok := o.Typed.(*corev1.Namespace); ok && o.Name == ns {
			return true
		}
	}
	return false
}

// firstWorkload returns the first workload of namespace ns in load order.
func firstWorkload(set *object.Set, ns string) *object.Object {
	if ws := set.WorkloadsIn(ns); len(ws) > 0 {
		return ws[0]
	}
	return nil
}

// defaultDenyPolicy returns the NetworkPolicy that denies traffic in
// direction dir to or from every pod of namespace ns; without a namespace
// it goes where the objects beside it go.
func defaultDenyPolicy(ns string, dir networkingv1.PolicyType) map[string]any {
	md := map[string]any{"name": "default-deny-" + strings.ToLower(string(dir))}
	if ns != "" {
		md["namespace"] = ns
	}
	return map[string]any{
		"apiVersion": "networking.k8s.io/v1",
		"kind":       "NetworkPolicy",
		"metadata":   md,
		"spec": map[string]any{
			"podSelector": map[string]any{},
			"policyTypes": []string{string(dir)},
		},
	}
}

// defaultDenyFix returns the builder of the fix that creates the
// default-deny policy for direction dir in namespace ns, written with
// namespace written (which may be empty, as in the manifest the finding is
// about). It is unsafe: until policies allow it, the traffic stops. Every
// finding of a namespace gets an equal fix, which `palisade fix` creates
// once; the builder holds only the three strings, and the policy is built
// when a consumer asks for it.
func defaultDenyFix(ns, written string, dir networkingv1.PolicyType) func() *rule.Fix {
	return func() *rule.Fix {
		note := "every pod of namespace " + ns + " stops accepting connections until NetworkPolicies allow them; " +
			"add those policies before applying it"
		if dir == networkingv1.PolicyTypeEgress {
			note = "every pod of namespace " + ns + " stops making connections, DNS lookups included, until NetworkPolicies " +
				"allow them; add those policies (at least DNS to kube-system) before applying it"
		}
		return &rule.Fix{NewObject: defaultDenyPolicy(written, dir), Unsafe: true, Note: note}
	}
}
