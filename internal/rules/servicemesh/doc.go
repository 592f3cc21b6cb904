// Package servicemesh holds the rules about service-mesh security
// configuration: Istio PeerAuthentications that let plain-text traffic in
// and AuthorizationPolicies that allow every request. Istio's resources are
// custom resources, so the rules read them from the generic document.
package servicemesh
