package controlplane

import (
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
	"github.com/palisade-dev/palisade/internal/rules/internal/cmdline"
)

// commandLines returns the parsed command lines of the containers of the
// pass's workload that run comp.
func commandLines(pass *rule.Pass, comp cmdline.Component) []*cmdline.CommandLine {
	if _, ok := pass.Object.PodTemplate(); !ok {
		return nil
	}
	// Every control-plane rule asks about every workload: parse its
	// command lines once.
	all := pass.Set.Memo(commandLinesKey{pass.Object}, func() any {
		pod, _ := pass.Object.PodTemplate()
		var cls []*cmdline.CommandLine
		for _, c := range pod.Containers() {
			if cl, ok := cmdline.Parse(c); ok {
				cls = append(cls, cl)
			}
		}
		return cls
	}).([]*cmdline.CommandLine)
	var out []*cmdline.CommandLine
	for _, cl := range all {
		if cl.Component == comp {
			out = append(out, cl)
		}
	}
	return out
}

// commandLinesKey memoizes the parsed command lines of one object.
type commandLinesKey struct{ o *object.Object }

// boolFlag is the effective value of a boolean flag.
type boolFlag struct {
	Value bool
	// Set says whether the flag is on the command line; when it is not,
	// Value is the component's default and Flag is the zero value.
	Set  bool
	Flag cmdline.Flag
}

// lookupBool returns the value of the boolean flag name: its last
// occurrence, or def when it is not set.
func lookupBool(cl *cmdline.CommandLine, name string, def bool) (boolFlag, error) {
	f, ok := cl.Last(name)
	if !ok {
		return boolFlag{Value: def}, nil
	}
	v, err := f.Bool()
	return boolFlag{Value: v, Set: true, Flag: f}, err
}

// path returns where a finding about b points: the flag when it is set,
// otherwise where it would be added.
func (b boolFlag) path(cl *cmdline.CommandLine) object.Path {
	if b.Set {
		return b.Flag.Path
	}
	return cl.Anchor()
}

// safeFix wraps a patch that cannot break the component. It returns nil
// when there is no patch (flags inside a shell script).
func safeFix(ops []rule.PatchOp) *rule.Fix {
	if len(ops) == 0 {
		return nil
	}
	return &rule.Fix{Patch: ops}
}

// unsafeFix wraps a patch that can stop the component or its clients, with
// what to check before applying it.
func unsafeFix(ops []rule.PatchOp, note string) *rule.Fix {
	if len(ops) == 0 {
		return nil
	}
	return &rule.Fix{Patch: ops, Unsafe: true, Note: note}
}
