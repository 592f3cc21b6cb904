package object

// Generated objects (rendered from a Helm chart, built by Kustomize) are
// decoded from text that no person wrote: their positions (Position) are in
// that generated text. An object's Mapper, when set, translates them back to
// the files a person edits. Plain manifests have no Mapper and need none.

// Origin is where a person edits a field of a generated object.
type Origin struct {
	// Generator names what generated the object: "helm" or "kustomize".
	Generator string
	// File and Line locate the source that produced the field: the template
	// line (Helm), or the base, patch or kustomization line (Kustomize).
	// Line is 0 when only the file is known. Column is optional (0).
	File   string
	Line   int
	Column int
	// Approximate says File and Line are a best guess: the mapping could
	// not be traced exactly (a template construct the mapper does not
	// follow), so Line points at the nearest line known to be involved.
	Approximate bool

	// ValuesKey is the chart value that set the field, as a path into the
	// chart's values (for example securityContext.privileged), when the
	// field's value comes from .Values; empty otherwise.
	ValuesKey string
	// ValuesFile and ValuesLine say which values source set ValuesKey last:
	// a values file (the chart's values.yaml, a subchart's, or one given
	// with --values) and the line of the key there, or "--set",
	// "--set-string" or "--set-file" with ValuesLine 0. Both are empty when
	// the key is set nowhere (a template default applies).
	ValuesFile string
	ValuesLine int

	// Note is a short human explanation of the attribution (which patch or
	// generator set the field); optional.
	Note string
}

// Location is File:Line (or File alone when Line is 0).
func (o *Origin) Location() Position {
	return Position{Line: o.Line, Column: o.Column}
}

// OriginMapper maps the fields of a generated object back to their sources.
// Implementations must be safe for concurrent use: rules running in
// parallel share objects.
type OriginMapper interface {
	// Origin returns where the field at p of o (or its nearest written
	// ancestor) was produced. ok is false when nothing better than the
	// object's own Source.File and Line is known.
	Origin(o *Object, p Path) (origin Origin, ok bool)
}

// Origin returns where the field at p of a generated object came from, or
// nil for objects read from manifests (no Mapper) and fields the mapper
// cannot place.
func (o *Object) Origin(p Path) *Origin {
	if o.Mapper == nil {
		return nil
	}
	org, ok := o.Mapper.Origin(o, p)
	if !ok {
		return nil
	}
	return &org
}

// Locate returns the file and position a person edits for the field at p:
// its Origin for generated objects, else Source.File and Position(p).
func (o *Object) Locate(p Path) (string, Position) {
	if org := o.Origin(p); org != nil {
		return org.File, org.Location()
	}
	pos, _ := o.Position(p)
	return o.Source.File, pos
}
