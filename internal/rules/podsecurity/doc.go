// Package podsecurity holds one rule per check of the Kubernetes Pod Security
// Standards, with the verdict of the API server's Pod Security Admission.
//
// The rules do not re-implement the checks: each one runs the check of the
// same ID from k8s.io/pod-security-admission/policy, choosing the versioned
// implementation and honouring the overrides between restricted and baseline
// checks exactly as the PSA evaluator does for the scan's level and version
// (rule.Options.PSSLevel and PSSVersion). What Palisade adds is the position
// of the offending field, found by re-running the check on parts of the pod,
// and JSON Patch fixes for the checks that have a safe remedy.
//
// The conformance test feeds every fixture of the PSA module's own test suite
// through these rules and requires the same verdict.
package podsecurity
