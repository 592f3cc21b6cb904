package rule

import (
	"github.com/palisade-dev/palisade/internal/object"
)

// Finding is one problem found in one object.
type Finding struct {
	// RuleID is the ID of the rule that reported it.
	RuleID string
	// Severity is the rule's (or the configuration's) severity; a rule may
	// raise or lower it for one finding (for example a hostPath to / is more
	// severe than one to /var/cache).
	Severity Severity
	// Object is the object the finding is about. Never nil.
	Object *object.Object
	// Path is the offending field (or the field that is missing, where it
	// should be added).
	Path object.Path
	// Container names the container concerned, if any.
	Container string
	// Message is lower-case without a trailing period, names the object or
	// container and the field, and says what is wrong.
	Message string
	// Fix builds the machine-applicable remedy, when the remedy is a field
	// change or a new object. Optional: nil when the finding has none, and
	// it may return nil too.
	//
	// Fix is a builder rather than a value because most consumers (the text
	// report, the admission denial) never look at the remedy: only those
	// that need it call it (`palisade fix`, the webhook's mutation, the
	// JSON and SARIF reports). It may be called more than once and from any
	// goroutine, long after the rule's Run returned, so it must be pure:
	// each call builds an equal *Fix from values captured when the finding
	// was reported (the pod template, the container, paths, the namespace).
	// It must not read the *Pass, which the driver reuses for the next rule
	// or object once Run returns, and it should capture little, since the
	// finding keeps it alive.
	Fix func() *Fix
	// Trace is the chain of objects that makes the finding, for findings
	// that span objects (an attack path from an exposed Service to a
	// secret): each step names an object, or a capability that is not an
	// object, and why it connects to the step before. Optional.
	Trace []Step
}

// Step is one hop of a Trace.
type Step struct {
	// Object is the object the step is about; nil for a step that is not
	// an object (a permission, a node, the cloud metadata service).
	Object *object.Object
	// Label names the step for people, for example `Deployment prod/web`
	// or `secrets in namespace "prod"`.
	Label string
	// Why says how this step follows from the one before (for the first,
	// why it is reachable). Lower-case, no trailing period.
	Why string
}

// Fix is a JSON Patch (RFC 6902) that removes the finding, applied to the
// object the finding is about, or a new object to create beside it.
type Fix struct {
	// Patch is applied to the finding's object. Operations: add, remove,
	// replace and test. Optional when NewObject is set.
	Patch []PatchOp
	// NewObject is a complete object (apiVersion, kind, metadata.name and,
	// for namespaced kinds, metadata.namespace) to create when the remedy
	// is a new object rather than a field change, such as a default-deny
	// NetworkPolicy for a namespace; it must marshal to JSON. `palisade
	// fix` adds it as a new document to the file of the finding's object,
	// once per kind, namespace and name, and not when the scan already has
	// an object of that kind, namespace and name. Optional.
	NewObject any
	// Unsafe fixes can break a running application (a read-only root
	// filesystem, dropped capabilities) and are applied only on request.
	Unsafe bool
	// Note says what to check after applying an unsafe fix. Optional.
	Note string
}

// PatchOp is one JSON Patch operation.
type PatchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value,omitempty"`
}

// Set returns an "add" operation, which in JSON Patch creates or replaces the
// member at p.
func Set(p object.Path, value any) PatchOp {
	return PatchOp{Op: "add", Path: p.Pointer(), Value: value}
}

// Remove returns a "remove" operation for p.
func Remove(p object.Path) PatchOp {
	return PatchOp{Op: "remove", Path: p.Pointer()}
}
