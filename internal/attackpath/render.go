package attackpath

import (
	"fmt"
	"io"
	"strings"
)

// Formats are the graph formats WriteGraph writes.
var Formats = []string{"dot", "mermaid"}

// WriteGraph renders the nodes and edges of g's paths as Graphviz DOT or
// Mermaid. Nodes are grouped by kind from left to right (entry points,
// workloads, identities, permissions, targets); edges carry why they
// connect.
func WriteGraph(w io.Writer, g *Graph, format string) error {
	switch format {
	case "dot":
		return writeDOT(w, g)
	case "mermaid":
		return writeMermaid(w, g)
	}
	return fmt.Errorf("unknown graph format %q (want dot or mermaid)", format)
}

var dotShapes = map[NodeKind]string{
	Entry:      `shape=box, style="rounded,filled", fillcolor="#fde2e1"`,
	Workload:   `shape=box, style=filled, fillcolor="#e3ecfa"`,
	Identity:   `shape=ellipse, style=filled, fillcolor="#fff3cd"`,
	Permission: `shape=note, style=filled, fillcolor="#f3e8fd"`,
	Target:     `shape=doubleoctagon, style=filled, fillcolor="#f8d0d0"`,
}

func writeDOT(w io.Writer, g *Graph) error {
	ew := &errWriter{w: w}
	ew.printf("digraph attack_paths {\n  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=11];\n  edge [fontname=\"Helvetica\", fontsize=9];\n")
	for _, n := range g.Nodes {
		ew.printf("  %s [label=%s, %s];\n", dotQuote(n.ID), dotQuote(n.Label), dotShapes[n.Kind])
	}
	for _, e := range g.Edges {
		ew.printf("  %s -> %s [label=%s];\n", dotQuote(e.From.ID), dotQuote(e.To.ID), dotQuote(wrap(e.Why, 40)))
	}
	ew.printf("}\n")
	return ew.err
}

// dotQuote quotes s as a DOT string; "\n" stays a DOT line break.
func dotQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}

var mermaidShapes = map[NodeKind][2]string{
	Entry:      {"([", "])"},
	Workload:   {"[", "]"},
	Identity:   {"(", ")"},
	Permission: {"[/", "/]"},
	Target:     {"{{", "}}"},
}

func writeMermaid(w io.Writer, g *Graph) error {
	ew := &errWriter{w: w}
	ew.printf("flowchart LR\n")
	ids := map[*Node]string{}
	for i, n := range g.Nodes {
		ids[n] = fmt.Sprintf("n%d", i)
		sh := mermaidShapes[n.Kind]
		ew.printf("  %s%s\"%s\"%s\n", ids[n], sh[0], mermaidText(n.Label), sh[1])
	}
	for _, e := range g.Edges {
		ew.printf("  %s -->|\"%s\"| %s\n", ids[e.From], mermaidText(e.Why), ids[e.To])
	}
	for _, k := range []NodeKind{Entry, Workload, Identity, Permission, Target} {
		var members []string
		for _, n := range g.Nodes {
			if n.Kind == k {
				members = append(members, ids[n])
			}
		}
		if len(members) > 0 {
			ew.printf("  class %s %s\n", strings.Join(members, ","), k)
		}
	}
	ew.printf("  classDef entry fill:#fde2e1\n  classDef workload fill:#e3ecfa\n  classDef identity fill:#fff3cd\n  classDef permission fill:#f3e8fd\n  classDef target fill:#f8d0d0\n")
	return ew.err
}

// mermaidText escapes what ends a quoted Mermaid label.
func mermaidText(s string) string {
	return strings.NewReplacer(`"`, "#quot;", "\n", "<br/>").Replace(s)
}

// wrap breaks s into lines of about width characters for edge labels.
func wrap(s string, width int) string {
	var b strings.Builder
	n := 0
	for i, word := range strings.Fields(s) {
		if i > 0 {
			if n+len(word) > width {
				b.WriteString("\n")
				n = 0
			} else {
				b.WriteString(" ")
				n++
			}
		}
		b.WriteString(word)
		n += len(word)
	}
	return b.String()
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}
