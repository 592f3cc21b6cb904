// Package admission is Palisade's admission controller: AdmissionReview in,
// the rule engine over the object, AdmissionResponse out. It is a plain
// net/http handler plus the server around it (TLS that reloads, health and
// metrics endpoints, timeouts), so that the webhook enforces exactly the
// rules `palisade scan` reports, with the same engine and the same fixes.
//
// A policy file says, per namespace, whether findings deny a request, come
// back as warnings or only reach the audit log, which rules run at which
// Pod Security Standard, and who or what is exempt. It is reloaded when it
// changes; a policy that does not parse is reported and the last good one
// stays in force.
package admission
