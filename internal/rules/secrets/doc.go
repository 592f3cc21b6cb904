// Package secrets holds the rules about credentials: literal secrets written
// into environment variables and ConfigMaps, Secrets handed to processes
// through the environment, and the service account token that Kubernetes
// mounts into pods unless told not to.
//
// The credential detectors live in detect.go and are shared by the rules
// that look at literal values. They recognise well-known token formats by
// shape wherever they appear, and generic passwords, tokens and keys by the
// name they are assigned to combined with how random the value looks. They
// are tuned to stay quiet on the values manifests commonly hold under
// secret-sounding names: references to other variables, file paths, URLs
// without credentials, booleans, numbers and documentation placeholders.
// Messages never contain a whole secret: see mask.
package secrets
