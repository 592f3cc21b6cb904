// Package fix applies the JSON Patches that rules attach to their findings
// to the YAML and JSON files the objects came from, and keeps each file as
// its author wrote it.
//
// Nothing is ever serialized again: each document is parsed with
// go.yaml.in/yaml/v3 for its node tree and positions, and every patch
// operation becomes the smallest edit of the original text that has the
// operation's effect: a scalar's bytes replaced in place, lines spliced in
// at the indentation of the lines around them, the lines of a removed field or
// item deleted with the comments written above them. Comments, key order,
// quoting, block scalars, anchors, flow collections, document markers and
// line endings outside the edits stay as they are, and a document that no
// fix touches is written back byte for byte. New text follows the
// document's own style: its indentation width, whether sequences are
// indented under their key, the quotes it puts around strings, CRLF line
// endings, and JSON in JSON documents. New fields go where people write
// them (see keyOrder).
//
// Safety comes before coverage. Unsafe fixes apply only on request; an edit
// of something aliases share is refused rather than made; a fix that
// conflicts with one applied before it, or that would leave an object the
// API server rejects or whose containers cannot start, is dropped and
// reported; and a file is only rewritten after its edited documents decode
// to exactly the patched values, the file decodes to the same objects, and a
// new scan no longer reports what was fixed (see File). Writes are atomic
// (see WriteFile).
//
// The fixer edits plain files. Objects that come from elsewhere (a Helm
// chart's templates, kustomize overlays) are refused through
// Options.Editable, the hook where a source can say which file or value to
// change instead.
package fix
