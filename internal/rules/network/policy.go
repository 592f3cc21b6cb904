package network

import (
	"slices"

	networkingv1 "k8s.io/api/networking/v1"
)

// affects reports whether pol governs traffic in direction dir: as its
// policyTypes say or, when it lists none, ingress always and egress when it
// has egress rules (the API server's defaulting).
func affects(pol *networkingv1.NetworkPolicy, dir networkingv1.PolicyType) bool {
	if len(pol.Spec.PolicyTypes) == 0 {
		return dir == networkingv1.PolicyTypeIngress || len(pol.Spec.Egress) > 0
	}
	return slices.Contains(pol.Spec.PolicyTypes, dir)
}

// selectsAllPods reports whether pol's podSelector is empty, which selects
// every pod of its namespace.
func selectsAllPods(pol *networkingv1.NetworkPolicy) bool {
	return len(pol.Spec.PodSelector.MatchLabels) == 0 && len(pol.Spec.PodSelector.MatchExpressions) == 0
}

// deniesByDefault reports whether pol isolates every pod of its namespace
// in direction dir, so that only traffic some policy allows gets through.
// Allow rules do not spoil that, except a rule with neither peers nor ports
// (`- {}`), which allows everything in that direction.
func deniesByDefault(pol *networkingv1.NetworkPolicy, dir networkingv1.PolicyType) bool {
	if !selectsAllPods(pol) || !affects(pol, dir) {
		return false
	}
	if dir == networkingv1.PolicyTypeIngress {
		return !slices.ContainsFunc(pol.Spec.Ingress, func(r networkingv1.NetworkPolicyIngressRule) bool {
			return len(r.From) == 0 && len(r.Ports) == 0
		})
	}
	return !slices.ContainsFunc(pol.Spec.Egress, func(r networkingv1.NetworkPolicyEgressRule) bool {
		return len(r.To) == 0 && len(r.Ports) == 0
	})
}
