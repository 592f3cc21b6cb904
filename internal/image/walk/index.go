package walk

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Index is the merged filesystem of an image as a path index: for every
// path a container would see, the entry and the layer it comes from. It
// holds no content.
type Index struct {
	root *node
	n    int
}

type node struct {
	children map[string]*node
	// file is nil for directories implied by their contents.
	file  *File
	layer int
}

// BuildIndex merges the layers' file lists, base first, applying each
// layer's whiteouts and opaque markers to the layers below it before
// adding its own entries.
func BuildIndex(layers [][]File) *Index {
	ix := &Index{root: &node{layer: -1}}
	for li, files := range layers {
		for i := range files {
			f := &files[i]
			switch f.Type {
			case Whiteout:
				dir, base := splitPath(f.Path)
				if d := ix.find(dir); d != nil && d.children != nil {
					delete(d.children, base)
				}
			case Opaque:
				if d := ix.find(f.Path); d != nil {
					d.children = nil
				}
			}
		}
		for i := range files {
			f := &files[i]
			if f.Type == Whiteout || f.Type == Opaque {
				continue
			}
			n := ix.create(f.Path, li)
			n.file, n.layer = f, li
			if f.Type != Dir {
				n.children = nil
			}
		}
	}
	ix.root.walk("", func(string, *node) { ix.n++ })
	return ix
}

func (ix *Index) find(p string) *node {
	n := ix.root
	for _, c := range components(p) {
		if n.children == nil {
			return nil
		}
		if n = n.children[c]; n == nil {
			return nil
		}
	}
	return n
}

func (ix *Index) create(p string, layer int) *node {
	n := ix.root
	for _, c := range components(p) {
		if n.children == nil {
			n.children = map[string]*node{}
		}
		next := n.children[c]
		if next == nil {
			next = &node{layer: layer}
			n.children[c] = next
		}
		n = next
	}
	return n
}

func components(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// Len returns the number of paths in the index.
func (ix *Index) Len() int { return ix.n }

// Lookup returns the entry at p and its layer, without following
// symbolic links. ok is false when nothing is there at run time; a
// directory implied by its contents has a nil File.
func (ix *Index) Lookup(p string) (f *File, layer int, ok bool) {
	n := ix.find(p)
	if n == nil {
		return nil, 0, false
	}
	return n.file, n.layer, true
}

// Present reports whether the entry at p from layer is the one a container
// sees: neither deleted nor replaced by a later layer.
func (ix *Index) Present(p string, layer int) bool {
	n := ix.find(p)
	return n != nil && n.file != nil && n.layer == layer
}

// maxHops bounds the symbolic links followed when resolving one path, as
// the kernel does (40).
const maxHops = 40

// ErrLinkLoop is returned when resolving a path follows too many links.
var ErrLinkLoop = errors.New("too many levels of symbolic links")

// Resolve follows symbolic links (absolute ones from the image root,
// relative ones from their directory, never outside the image) and hard
// links, and returns the final entry and its resolved path.
func (ix *Index) Resolve(p string) (resolved string, f *File, layer int, err error) {
	hops := 0
	parts := components(p)
	var done []string
	for len(parts) > 0 {
		c := parts[0]
		parts = parts[1:]
		switch c {
		case ".", "":
			continue
		case "..":
			if len(done) > 0 {
				done = done[:len(done)-1]
			}
			continue
		}
		cur := "/" + strings.Join(append(done, c), "/")
		n := ix.find(cur)
		if n == nil {
			return "", nil, 0, fmt.Errorf("%s: no such file", cur)
		}
		if n.file != nil && n.file.Type == Symlink {
			hops++
			if hops > maxHops {
				return "", nil, 0, fmt.Errorf("%s: %w", p, ErrLinkLoop)
			}
			target := components(n.file.Link)
			if strings.HasPrefix(n.file.Link, "/") {
				done = nil
			}
			parts = append(slices.Clone(target), parts...)
			continue
		}
		done = append(done, c)
	}
	resolved = "/" + strings.Join(done, "/")
	n := ix.find(resolved)
	if n == nil {
		return "", nil, 0, fmt.Errorf("%s: no such file", resolved)
	}
	if n.file != nil && n.file.Type == Hardlink {
		hops++
		if hops > maxHops {
			return "", nil, 0, fmt.Errorf("%s: %w", p, ErrLinkLoop)
		}
		if t := ix.find(n.file.Link); t != nil {
			return n.file.Link, t.file, t.layer, nil
		}
	}
	return resolved, n.file, n.layer, nil
}

// Walk calls fn for every path in the index in lexical order, with its
// entry (nil for implied directories) and layer.
func (ix *Index) Walk(fn func(p string, f *File, layer int)) {
	ix.root.walk("", func(p string, n *node) { fn(p, n.file, n.layer) })
}

func (n *node) walk(prefix string, fn func(string, *node)) {
	names := make([]string, 0, len(n.children))
	for k := range n.children {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		c := n.children[k]
		p := prefix + "/" + k
		fn(p, c)
		c.walk(p, fn)
	}
}
