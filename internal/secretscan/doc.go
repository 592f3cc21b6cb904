// Package secretscan recognizes credentials in text: well-known token
// formats by their shape wherever they appear (cloud provider keys,
// GitHub, GitLab, Slack, Stripe and npm tokens, PEM private keys, JWTs,
// URLs with passwords), and generic passwords, tokens and keys by the name
// they are assigned to combined with how random the value looks.
//
// It is shared by the manifest rules in internal/rules/secrets (literal
// values in env vars and ConfigMaps) and the image scanner
// (internal/image/check), which runs it over files. The detectors are tuned
// to stay quiet on references to other variables, file paths, URLs without
// credentials, booleans, numbers and documentation placeholders. Nothing
// here ever returns a message containing a whole secret: see Mask.
package secretscan
