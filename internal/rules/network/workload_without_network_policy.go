package network

import (
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/rule"
	"github.com/palisade-dev/palisade/internal/rules/internal/selectors"
)

// WorkloadWithoutNetworkPolicy reports workloads whose pods no
// NetworkPolicy selects.
var WorkloadWithoutNetworkPolicy = &rule.Rule{
	Meta: rule.Meta{
		ID:           "workload-without-network-policy",
		NeedsContext: true,
		Title:        "Workload without a NetworkPolicy",
		Severity:     rule.Medium,
		Category:     rule.CategoryNetwork,
		Doc: "Pods that no NetworkPolicy selects accept connections from every pod in the cluster and may connect " +
			"anywhere, so one compromised pod can reach them all. The rule reports each workload whose pod template " +
			"labels no podSelector (matchLabels and matchExpressions) of a NetworkPolicy in its namespace selects; " +
			"pods on the host network are skipped, since policies do not apply to them. It judges only the " +
			"NetworkPolicies of the scan, so scan a whole application or cluster. Its fix adds the namespace's " +
			"default-deny ingress NetworkPolicy, which selects every pod.",
		Remediation: "Add a NetworkPolicy whose podSelector selects the workload's pods and allows only the traffic it needs.",
		References: []framework.Ref{
			framework.CISRef("5.3.2"),
			framework.NSARef("network-policies"),
		},
	},
	Fixable: true,
	Run: func(pass *rule.Pass) error {
		pod, ok := pass.Object.PodTemplate()
		if !ok || pod.Spec.HostNetwork || len(selectors.PoliciesFor(pass.Set, pass.Object)) > 0 {
			return nil
		}
		ns := pass.Object.Namespace()
		fix := defaultDenyFix(ns, pass.Object.RawNamespace, networkingv1.PolicyTypeIngress)
		pass.Reportf(pod.MetaPath.Field("labels"), fix, "no NetworkPolicy in namespace %q selects the pods of %s", ns, pass.Object.Ref())
		return nil
	},
}
