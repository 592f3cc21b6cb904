// Package secrets holds the rules about credentials: literal secrets written
// into environment variables and ConfigMaps, Secrets handed to processes
// through the environment, and the service account token that Kubernetes
// mounts into pods unless told not to.
//
// The credential detectors live in internal/secretscan, shared with the
// image scanner.
package secrets
