// Package cmdline reads the command lines of the Kubernetes control-plane
// and node binaries (kube-apiserver, kube-controller-manager, kube-scheduler,
// etcd, kubelet) from the containers that run them, so that rules can check
// their flags and point at the exact list element that sets each one.
//
// It recognises the binary by the command it runs (also behind hyperkube,
// go-runner, tini, dumb-init or a `sh -c` script) and, for containers that
// leave the command to the image, by the image repository. Flags are parsed
// the way spf13/pflag and Go's flag package accept them: `--name=value`,
// `--name value`, bare boolean `--name`, and a single leading dash.
package cmdline

import (
	"path"
	"slices"
	"strings"

	"github.com/palisade-dev/palisade/internal/object"
)

// Component is a binary whose flags rules read.
type Component string

// The components Parse recognises.
const (
	APIServer         Component = "kube-apiserver"
	ControllerManager Component = "kube-controller-manager"
	Scheduler         Component = "kube-scheduler"
	Etcd              Component = "etcd"
	Kubelet           Component = "kubelet"
)

// binaries maps executable names to components.
var binaries = map[string]Component{
	"kube-apiserver": APIServer, "kube-controller-manager": ControllerManager,
	"kube-scheduler": Scheduler, "etcd": Etcd, "kubelet": Kubelet,
}

// hyperkubeCommands maps the subcommands of hyperkube, the all-in-one
// binary of older Kubernetes releases, to components.
var hyperkubeCommands = map[string]Component{
	"kube-apiserver": APIServer, "apiserver": APIServer,
	"kube-controller-manager": ControllerManager, "controller-manager": ControllerManager,
	"kube-scheduler": Scheduler, "scheduler": Scheduler,
	"kubelet": Kubelet,
}

// imageRepositories maps the last element of an image repository, without
// an architecture suffix such as -amd64, to the component the image runs
// when the container does not set a command. There is no kubelet image.
var imageRepositories = map[string]Component{
	"kube-apiserver": APIServer, "kube-controller-manager": ControllerManager,
	"kube-scheduler": Scheduler, "etcd": Etcd,
}

var archSuffixes = []string{"-amd64", "-arm64", "-arm", "-ppc64le", "-s390x"}

// launchers run the command that follows their own options.
var launchers = map[string]bool{"exec": true, "go-runner": true, "tini": true, "dumb-init": true}

// shells run the script given with -c.
var shells = map[string]bool{"sh": true, "bash": true, "ash": true, "dash": true}

// CommandLine is the parsed command line of one container that runs a
// component.
type CommandLine struct {
	Component Component
	Container object.Container
	// Flags are the component's flags in command-line order.
	Flags []Flag
	// Script is true when the component is started by a shell script
	// (`sh -c "exec kube-apiserver ..."`): flags are located at the script
	// element and cannot be patched.
	Script bool
	// scriptPath locates the script when Script is true.
	scriptPath object.Path
}

// Flag is one occurrence of a flag.
type Flag struct {
	// Name is the flag name without leading dashes.
	Name string
	// Value is the value as written; empty for a bare flag.
	Value string
	// Bare is true for a flag written without a value (`--profiling`),
	// which a boolean flag reads as true.
	Bare bool
	// Path locates the element holding the flag name: an element of the
	// container's command or args.
	Path object.Path
	// ValuePath locates the element holding the value: Path itself, or the
	// next element for the two-element form `--name value`.
	ValuePath object.Path
	// raw and rawValue are the texts of the elements at Path and, when it
	// differs, ValuePath: a patch tests that they are unchanged.
	raw, rawValue string
	// script is true for a flag inside a shell script, which no patch
	// can edit.
	script bool
}

// Separate reports whether the flag is written as two elements, name and
// value.
func (f Flag) Separate() bool { return f.ValuePath != f.Path }

// String renders the flag as `--name=value` (or `--name` when bare) for
// messages.
func (f Flag) String() string {
	if f.Bare {
		return "--" + f.Name
	}
	return "--" + f.Name + "=" + f.Value
}

// token is one word of a command line with the element it came from.
type token struct {
	text string
	path object.Path
	// script is true for a word of a shell script; path is the script.
	script bool
}

// Parse returns the command line of the component that c runs, and false
// when c runs none of them. Without a recognisable command, a container
// that sets no command is identified by its image, and all its args are
// the component's.
func Parse(c object.Container) (*CommandLine, bool) {
	toks := containerTokens(c)
	found, ok := locate(toks)
	if !ok {
		if len(c.Command) > 0 {
			return nil, false
		}
		if found.comp, ok = imageComponent(c.Image); !ok {
			return nil, false
		}
		found.rest = toks
	}
	cl := &CommandLine{Component: found.comp, Container: c, Flags: parseFlags(found.rest)}
	if found.script != nil {
		cl.Script, cl.scriptPath = true, found.script.path
	}
	return cl, true
}

func containerTokens(c object.Container) []token {
	toks := make([]token, 0, len(c.Command)+len(c.Args))
	for i, s := range c.Command {
		toks = append(toks, token{text: s, path: c.Path.Field("command").Index(i)})
	}
	for i, s := range c.Args {
		toks = append(toks, token{text: s, path: c.Path.Field("args").Index(i)})
	}
	return toks
}

// location is where locate found a component.
type location struct {
	comp Component
	// rest are the words after the executable.
	rest []token
	// script is the shell script the component is started by, if any.
	script *token
}

// locate finds the component's executable at the start of toks, looking
// through launchers, hyperkube and shells.
func locate(toks []token) (location, bool) {
	for i := 0; i < len(toks); i++ {
		name := path.Base(toks[i].text)
		if comp, ok := binaries[name]; ok {
			return location{comp: comp, rest: toks[i+1:]}, true
		}
		switch {
		case name == "hyperkube":
			if i+1 < len(toks) {
				if comp, ok := hyperkubeCommands[toks[i+1].text]; ok {
					return location{comp: comp, rest: toks[i+2:]}, true
				}
			}
		case launchers[name]:
			for i+1 < len(toks) && strings.HasPrefix(toks[i+1].text, "-") {
				i++
			}
			continue
		case shells[name]:
			if script, ok := shellScript(toks[i+1:]); ok {
				return locateInScript(script)
			}
		}
		break
	}
	return location{}, false
}

// shellScript returns the script of `sh -c SCRIPT` (options may be
// combined, as in `-ec`).
func shellScript(toks []token) (token, bool) {
	sawC := false
	for _, t := range toks {
		if !strings.HasPrefix(t.text, "-") {
			return t, sawC
		}
		sawC = sawC || (!strings.HasPrefix(t.text, "--") && strings.Contains(t.text, "c"))
	}
	return token{}, false
}

// locateInScript finds the component among the simple commands of a shell
// script and keeps its words up to the next shell operator or redirection.
// Words are split at white space; quoting is not interpreted beyond
// removing quotes around flag values.
func locateInScript(script token) (location, bool) {
	if !mentionsComponent(script.text) {
		return location{}, false // the common case: an ordinary app's script
	}
	var words []token
	for _, w := range strings.Fields(script.text) {
		words = append(words, token{text: w, path: script.path, script: true})
	}
	for i := range words {
		if i > 0 && !startsCommand(words[i-1].text) {
			continue
		}
		if loc, ok := locate(words[i:]); ok {
			if end := slices.IndexFunc(loc.rest, func(t token) bool { return strings.ContainsAny(t.text, ";|&<>") }); end >= 0 {
				loc.rest = loc.rest[:end]
			}
			loc.script = &script
			return loc, true
		}
	}
	return location{}, false
}

// mentionsComponent is a cheap filter run before a script is split into
// words: every binary and hyperkube subcommand name contains one of these.
func mentionsComponent(script string) bool {
	for _, name := range []string{"apiserver", "controller-manager", "scheduler", "etcd", "kubelet"} {
		if strings.Contains(script, name) {
			return true
		}
	}
	return false
}

// startsCommand reports whether the shell word prev ends a command or is a
// keyword after which a new command starts.
func startsCommand(prev string) bool {
	switch prev {
	case "&&", "||", "|", "then", "do", "else":
		return true
	}
	return strings.HasSuffix(prev, ";")
}

// imageComponent identifies a component by its image repository, for
// example registry.k8s.io/kube-apiserver:v1.30.0,
// k8s.gcr.io/kube-apiserver-amd64:v1.11.0 or quay.io/coreos/etcd:v3.5.0.
func imageComponent(image string) (Component, bool) {
	repo, _, _ := strings.Cut(image, "@")
	if i := strings.LastIndexByte(repo, ':'); i > strings.LastIndexByte(repo, '/') {
		repo = repo[:i]
	}
	name := path.Base(repo)
	for _, s := range archSuffixes {
		name = strings.TrimSuffix(name, s)
	}
	comp, ok := imageRepositories[name]
	return comp, ok
}

// parseFlags reads the flags among toks. Words that are not flags
// (positional arguments, which the components reject) are skipped; `--`
// ends the flags.
func parseFlags(toks []token) []Flag {
	var out []Flag
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if t.text == "--" {
			break
		}
		if !isFlag(t.text) {
			continue
		}
		f := Flag{Name: strings.TrimLeft(t.text, "-"), Path: t.path, ValuePath: t.path, raw: t.text, script: t.script}
		if name, value, ok := strings.Cut(f.Name, "="); ok {
			f.Name, f.Value = name, value
		} else if i+1 < len(toks) && !isFlag(toks[i+1].text) && toks[i+1].text != "--" {
			i++
			f.Value, f.ValuePath, f.rawValue = toks[i].text, toks[i].path, toks[i].text
		} else {
			f.Bare = true
		}
		if t.script {
			f.Value = unquote(f.Value)
		}
		out = append(out, f)
	}
	return out
}

func isFlag(s string) bool {
	return len(s) > 1 && s[0] == '-' && s != "--"
}

func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	return s
}

// Lookup returns every occurrence of the flag name, in order.
func (cl *CommandLine) Lookup(name string) []Flag {
	var out []Flag
	for _, f := range cl.Flags {
		if f.Name == name {
			out = append(out, f)
		}
	}
	return out
}

// Last returns the last occurrence of the flag name: for a flag that holds
// one value, the occurrence that takes effect.
func (cl *CommandLine) Last(name string) (Flag, bool) {
	all := cl.Lookup(name)
	if len(all) == 0 {
		return Flag{}, false
	}
	return all[len(all)-1], true
}

// Has reports whether the flag name is set at all.
func (cl *CommandLine) Has(name string) bool {
	_, ok := cl.Last(name)
	return ok
}

// Item is one entry of a comma-separated list flag.
type Item struct {
	Value string
	// Flag is the occurrence the entry was written in.
	Flag Flag
}

// Items returns the entries of a list flag such as
// --enable-admission-plugins=A,B across all its occurrences: repeating a
// list flag appends to it, as pflag's string slices do.
func (cl *CommandLine) Items(name string) []Item {
	var out []Item
	for _, f := range cl.Lookup(name) {
		for _, v := range f.List() {
			out = append(out, Item{Value: v, Flag: f})
		}
	}
	return out
}

// List returns the entries of a comma-separated value, without white
// space around them and without empty entries.
func (f Flag) List() []string {
	var out []string
	for _, v := range strings.Split(f.Value, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// Anchor is where a finding about a flag that is not set points: the
// list the flag would be appended to (args, or command when the container
// has no args), or the shell script that starts the component.
func (cl *CommandLine) Anchor() object.Path {
	switch c := cl.Container; {
	case cl.Script:
		return cl.scriptPath
	case len(c.Args) > 0 || len(c.Command) == 0:
		return c.Path.Field("args")
	default:
		return c.Path.Field("command")
	}
}
