package cmdline

import (
	"fmt"
	"strconv"

	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
)

// Bool returns the value of a boolean flag: true when bare, otherwise the
// value parsed as pflag and Go's flag package parse it (1, t, true, TRUE,
// 0, f, false, ...). An unparsable value is an error: the component would
// refuse to start, so there is nothing to evaluate.
func (f Flag) Bool() (bool, error) {
	if f.Bare {
		return true, nil
	}
	b, err := strconv.ParseBool(f.Value)
	if err != nil {
		return false, fmt.Errorf("%s: %s is not a boolean", f.Path, f)
	}
	return b, nil
}

// SetFix returns a patch that makes --name=value take effect: it rewrites
// the last occurrence of the flag, or appends the flag when it is not set.
// It returns nil when the flag cannot be patched (a shell script).
func (cl *CommandLine) SetFix(name, value string) []rule.PatchOp {
	if f, ok := cl.Last(name); ok {
		return Rewrite(f, value)
	}
	return cl.AppendFix("--" + name + "=" + value)
}

// AppendFix returns a patch that appends args to the component's command
// line: to args, or to command when the container has no args. It returns
// nil when the component is started by a shell script.
func (cl *CommandLine) AppendFix(args ...string) []rule.PatchOp {
	if cl.Script {
		return nil
	}
	c := cl.Container
	var list object.Path
	switch {
	case len(c.Args) > 0:
		list = c.Path.Field("args")
	case len(c.Command) > 0:
		list = c.Path.Field("command")
	default:
		return []rule.PatchOp{rule.Set(c.Path.Field("args"), args)}
	}
	ops := make([]rule.PatchOp, 0, len(args))
	for _, a := range args {
		ops = append(ops, rule.PatchOp{Op: "add", Path: list.Pointer() + "/-", Value: a})
	}
	return ops
}

// Rewrite returns a patch that gives one occurrence of a flag a new value,
// keeping its form: `--name=value` is replaced as a whole, the value of
// `--name value` alone. It returns nil for a flag in a shell script.
func Rewrite(f Flag, value string) []rule.PatchOp {
	switch {
	case f.script:
		return nil
	case f.Separate():
		return replaceElement(f.ValuePath, f.rawValue, value)
	}
	return replaceElement(f.Path, f.raw, "--"+f.Name+"="+value)
}

// RemoveFix returns a patch that removes one occurrence of a flag, with its
// value element if it has one. It returns nil for a flag in a shell script.
func RemoveFix(f Flag) []rule.PatchOp {
	if f.script {
		return nil
	}
	var ops []rule.PatchOp
	if f.Separate() {
		// The value follows the name: remove it first so that the name's
		// index still holds.
		ops = append(ops, test(f.ValuePath, f.rawValue), rule.Remove(f.ValuePath))
	}
	return append(ops, test(f.Path, f.raw), rule.Remove(f.Path))
}

// replaceElement replaces a list element after testing that it still holds
// the text it was parsed from. JSON Patch "add" would insert before the
// element; and each finding carries its own patch, so the test turns a
// patch made stale by an earlier one into a failure rather than an edit of
// the wrong element.
func replaceElement(p object.Path, old, value string) []rule.PatchOp {
	return []rule.PatchOp{test(p, old), {Op: "replace", Path: p.Pointer(), Value: value}}
}

func test(p object.Path, value string) rule.PatchOp {
	return rule.PatchOp{Op: "test", Path: p.Pointer(), Value: value}
}
