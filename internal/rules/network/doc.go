// Package network holds the rules about traffic between pods and out of the
// cluster: workloads that no NetworkPolicy isolates, namespaces without a
// default-deny policy, and egress that reaches the cloud instance metadata
// service.
//
// NetworkPolicies are additive and select pods by label, so these rules look
// across objects and judge only what the scan contains. They are meaningful
// when the scan holds a whole application or cluster (every policy that
// applies to a workload); scanning one file of a larger release reports
// workloads whose policies live elsewhere. Only networking.k8s.io/v1
// NetworkPolicies count: extensions/v1beta1 was removed in Kubernetes 1.16.
// Pods on the host network are left out of the per-workload rules, because
// NetworkPolicies do not apply to them.
package network
