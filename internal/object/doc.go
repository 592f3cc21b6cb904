// Package object holds Kubernetes objects as Palisade sees them: decoded into
// the typed k8s.io/api structs where the kind is known (or into a generic map
// for custom resources), remembering the file, document and line of every field
// so that a finding can point at the exact line a person has to edit.
//
// It is also the only place that knows how each workload kind embeds a pod
// template: rules ask for a PodSpec and never switch on Kind themselves.
package object
