// Package kustomize builds Kustomize directories in-process with
// sigs.k8s.io/kustomize/api (krusty), as `kustomize build` does, and
// decodes the result into objects whose findings point at the base, patch
// or kustomization file that produced each field.
//
// Builds are offline: plugins are disabled, remote bases fail (they would
// need the network), and Helm chart inflation runs only with EnableHelm.
//
// Attribution: the build runs with kustomize's origin annotations turned on
// (whatever the kustomization says), which name the file each resource was
// read from or the generator that made it; they are removed before the
// objects are decoded. A field is then attributed, most specific first, to
// the last patch (strategic-merge or JSON 6902, in a file or inline) in the
// kustomizations involved that targets the resource and sets the field or
// one of its ancestors; else to the line of the field in the resource's
// origin file; else to that file's object, marked approximate. Patch
// targeting and application order are worked out from the kustomization
// files, not taken from kustomize, so unusual layouts can be misattributed;
// such answers are still inside the files the build read.
package kustomize

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	yaml "go.yaml.in/yaml/v3"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resource"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/palisade-dev/palisade/internal/object"
)

// Options are the `kustomize build` options that matter to a scan.
type Options struct {
	// LoadRestrictionsNone lets kustomizations read files outside their
	// own directory tree (kustomize's --load-restrictor
	// LoadRestrictionsNone); by default they may not.
	LoadRestrictionsNone bool
	// EnableHelm turns on helmCharts inflation, which runs the helm binary
	// (HelmCommand, default "helm") as kustomize does. Charts must be
	// vendored in the chart home.
	EnableHelm  bool
	HelmCommand string
}

// Result is what building one kustomization produced.
type Result struct {
	Objects []*object.Object
	Errors  []*object.InputError
	Skipped []object.Skipped
	// Read lists the files the build read (absolute, cleaned paths), so
	// that a scan does not decode them again as plain manifests.
	Read []string
}

// FileNames are the names of a kustomization file, in kustomize's order of
// preference.
var FileNames = []string{"kustomization.yaml", "kustomization.yml", "Kustomization"}

// File returns the kustomization file in dir, or "".
func File(dir string) string {
	for _, n := range FileNames {
		p := filepath.Join(dir, n)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p
		}
	}
	return ""
}

// kustFile is the parts of a kustomization file attribution needs, with
// the YAML nodes kept for lines.
type kustFile struct {
	path  string // display path
	dir   string // display directory
	root  *yaml.Node
	err   error
	nodes map[string]*yaml.Node // top-level fields
}

func readKustFile(file string) *kustFile {
	kf := &kustFile{path: file, dir: filepath.Dir(file), nodes: map[string]*yaml.Node{}}
	data, err := os.ReadFile(file)
	if err != nil {
		kf.err = err
		return kf
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		kf.err = err
		return kf
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return kf
	}
	kf.root = doc.Content[0]
	for i := 0; i+1 < len(kf.root.Content); i += 2 {
		kf.nodes[kf.root.Content[i].Value] = kf.root.Content[i+1]
	}
	return kf
}

// strings returns the string items of a top-level list field.
func (kf *kustFile) strings(field string) []*yaml.Node {
	n := kf.nodes[field]
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	var out []*yaml.Node
	for _, c := range n.Content {
		if c.Kind == yaml.ScalarNode {
			out = append(out, c)
		}
	}
	return out
}

// References returns the local directories that the kustomization in dir
// builds on (resources, bases and components that are directories).
func References(dir string) []string {
	file := File(dir)
	if file == "" {
		return nil
	}
	kf := readKustFile(file)
	var out []string
	for _, field := range []string{"resources", "bases", "components"} {
		for _, n := range kf.strings(field) {
			p := filepath.Join(dir, n.Value)
			if fi, err := os.Stat(p); err == nil && fi.IsDir() {
				out = append(out, p)
			}
		}
	}
	return out
}

// recordingFS is the on-disk file system with two changes: it records the
// files read, and it turns on origin annotations in the root kustomization
// file.
type recordingFS struct {
	filesys.FileSystem
	root string // absolute path of the root kustomization file
	mu   sync.Mutex
	read map[string]bool
}

func (fs *recordingFS) ReadFile(path string) ([]byte, error) {
	data, err := fs.FileSystem.ReadFile(path)
	if err != nil {
		return data, err
	}
	abs, aerr := filepath.Abs(path)
	if aerr == nil {
		fs.mu.Lock()
		fs.read[abs] = true
		fs.mu.Unlock()
	}
	if abs == fs.root {
		data = withOrigins(data)
	}
	return data, nil
}

// withOrigins adds originAnnotations to a kustomization's buildMetadata.
func withOrigins(data []byte) []byte {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return data
	}
	m := doc.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == "buildMetadata" {
			seq := m.Content[i+1]
			if seq.Kind != yaml.SequenceNode {
				return data
			}
			for _, c := range seq.Content {
				if c.Value == types.OriginAnnotations {
					return data
				}
			}
			seq.Content = append(seq.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: types.OriginAnnotations})
			out, err := yaml.Marshal(&doc)
			if err != nil {
				return data
			}
			return out
		}
	}
	return append(append(data, '\n'), "buildMetadata: ["+types.OriginAnnotations+"]\n"...)
}

// Build builds the kustomization in dir.
func Build(dir string, opts Options) *Result {
	res := &Result{}
	file := File(dir)
	if file == "" {
		res.Errors = append(res.Errors, &object.InputError{File: dir, Msg: "no kustomization.yaml"})
		return res
	}
	absFile, err := filepath.Abs(file)
	if err != nil {
		res.Errors = append(res.Errors, &object.InputError{File: file, Msg: err.Error()})
		return res
	}
	if opts.EnableHelm {
		if errs := unvendoredCharts(dir); len(errs) > 0 {
			res.Errors = errs
			return res
		}
	}
	fs := &recordingFS{FileSystem: filesys.MakeFsOnDisk(), root: absFile, read: map[string]bool{}}
	ko := krusty.MakeDefaultOptions()
	if opts.LoadRestrictionsNone {
		ko.LoadRestrictions = types.LoadRestrictionsNone
	}
	if opts.EnableHelm {
		ko.PluginConfig.HelmConfig.Enabled = true
		ko.PluginConfig.HelmConfig.Command = cmp.Or(opts.HelmCommand, "helm")
	}
	m, err := runKustomizer(ko, fs, filepath.Dir(absFile))
	for p := range fs.read {
		res.Read = append(res.Read, p)
	}
	slices.Sort(res.Read)
	if err != nil {
		res.Errors = append(res.Errors, buildError(err, file))
		return res
	}
	at := newAttribution(dir)
	for _, r := range m {
		res.add(r, dir, at)
	}
	return res
}

// runKustomizer runs krusty, turning a panic inside kustomize into an
// error.
func runKustomizer(ko *krusty.Options, fs filesys.FileSystem, dir string) (out []*resource.Resource, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("kustomize failed: %v", p)
		}
	}()
	m, err := krusty.MakeKustomizer(ko).Run(fs, dir)
	if err != nil {
		return nil, err
	}
	return m.Resources(), nil
}

var yamlErrLineRE = regexp.MustCompile(`line (\d+):`)

// buildError turns a kustomize error into an input error. Kustomize names
// the files involved in its message; the kustomization is the place to
// start looking.
func buildError(err error, file string) *object.InputError {
	msg := err.Error()
	ie := &object.InputError{File: file, Msg: "kustomize build failed: " + msg}
	if !strings.Contains(msg, "'") { // no nested file named: a problem in this file
		if m := yamlErrLineRE.FindStringSubmatch(msg); m != nil {
			ie.Line, _ = strconv.Atoi(m[1])
		}
	}
	return ie
}

// add decodes one built resource.
func (res *Result) add(r *resource.Resource, dir string, at *attribution) {
	origin, _ := r.GetOrigin()
	_ = r.SetOrigin(nil)
	_ = r.ClearTransformations()
	doc, err := r.AsYAML()
	if err != nil {
		res.Errors = append(res.Errors, &object.InputError{File: dir, Msg: fmt.Sprintf("cannot encode %s %s: %v", r.GetKind(), r.GetName(), err)})
		return
	}
	gen := generated{kind: r.GetKind(), name: r.GetName(), namespace: r.GetNamespace(), root: dir}
	gen.tree, _ = r.Map()
	display := dir
	if origin != nil {
		switch {
		case origin.Repo != "":
			display = origin.Repo + "//" + origin.Path
			gen.remote = true
		case origin.ConfiguredIn != "":
			display = filepath.Join(dir, origin.ConfiguredIn)
			gen.generator = origin.ConfiguredBy.Kind
		case origin.Path != "":
			display = filepath.Join(dir, origin.Path)
		}
	}
	gen.file = display
	dec := object.Decode(display, doc)
	mapper := &mapper{at: at, gen: gen}
	for _, o := range dec.Objects {
		o.Mapper = mapper
		if org, ok := mapper.Origin(o, ""); ok && org.File == display {
			o.Line = org.Line
		}
	}
	for _, e := range dec.Errors {
		e.Msg += " (in the built output)"
		e.Line = 0
	}
	res.Objects = append(res.Objects, dec.Objects...)
	res.Errors = append(res.Errors, dec.Errors...)
	res.Skipped = append(res.Skipped, dec.Skipped...)
}

// unvendoredCharts checks that every helmCharts entry of the build is in
// its chart home, where kustomize looks before it would download the chart
// with `helm pull`: a scan never downloads.
func unvendoredCharts(dir string) []*object.InputError {
	var errs []*object.InputError
	for _, l := range newAttribution(dir).layers {
		kf := l.kust
		list := kf.nodes["helmCharts"]
		if list == nil || list.Kind != yaml.SequenceNode {
			continue
		}
		home := "charts"
		if h := mapField(kf.nodes["helmGlobals"], "chartHome"); h != nil && h.Value != "" {
			home = h.Value
		}
		if !filepath.IsAbs(home) {
			home = filepath.Join(kf.dir, home)
		}
		for _, c := range list.Content {
			name, version, repo := mapField(c, "name"), mapField(c, "version"), mapField(c, "repo")
			if name == nil {
				continue
			}
			p := home
			if version != nil && version.Value != "" && repo != nil && repo.Value != "" {
				p = filepath.Join(p, name.Value+"-"+version.Value)
			}
			p = filepath.Join(p, name.Value)
			if fi, err := os.Stat(p); err != nil || !fi.IsDir() {
				errs = append(errs, &object.InputError{File: kf.path, Line: name.Line, Msg: fmt.Sprintf(
					"helm chart %q is not vendored at %s; Palisade does not download charts: pull it there (helm pull --untar) and scan again", name.Value, p)})
			}
		}
	}
	return errs
}
