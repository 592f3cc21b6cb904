// Package lifecycle holds the rules about objects that a Kubernetes upgrade
// breaks or silently stops enforcing: API versions the target release no
// longer serves, PodSecurityPolicy, and namespaces left without a Pod
// Security Admission level.
//
// The target release is rule.Options.KubeVersion, defaulting to the newest
// release Palisade knows.
package lifecycle
