package blockyaml_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/object/blockyaml"
)

// diff returns how got differs from want, comments aside, or "".
func diff(got, want *yaml.Node, path string) string {
	if got.Kind != want.Kind || got.Style != want.Style || got.Tag != want.Tag || got.Value != want.Value ||
		got.Anchor != want.Anchor || got.Line != want.Line || got.Column != want.Column || len(got.Content) != len(want.Content) {
		return fmt.Sprintf("%s: got %s, want %s", path, describe(got), describe(want))
	}
	for i := range got.Content {
		if d := diff(got.Content[i], want.Content[i], fmt.Sprintf("%s/%d", path, i)); d != "" {
			return d
		}
	}
	return ""
}

func describe(n *yaml.Node) string {
	return fmt.Sprintf("{kind %d style %d tag %q value %q anchor %q at %d:%d, %d children}",
		n.Kind, n.Style, n.Tag, n.Value, n.Anchor, n.Line, n.Column, len(n.Content))
}

// check parses src with both parsers. Whenever the fast path accepts src,
// yaml.v3 must accept it too and build the same tree. It reports whether
// the fast path accepted src.
func check(t testing.TB, src string) bool {
	t.Helper()
	p := blockyaml.Get()
	defer p.Release()
	got, ok := p.Parse([]byte(src))
	if !ok {
		return false
	}
	var want yaml.Node
	if err := yaml.Unmarshal([]byte(src), &want); err != nil {
		t.Fatalf("fast path accepted what yaml.v3 rejects (%v):\n%s", err, src)
	}
	if d := diff(got, &want, ""); d != "" {
		t.Fatalf("trees differ at %s\ninput:\n%s", d, src)
	}
	return true
}

func TestSameTreeAsYAMLv3(t *testing.T) {
	accepted := []string{
		"",
		"# only a comment\n",
		"a: 1\n",
		"---\na: 1\n",
		"--- # comment\na: 1\n...\n",
		"# head\n\napiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n  labels:\n    app: web\n",
		"  a: 1\n  b: 2",
		"a:\nb: ~\nc: null\nd: true\ne: False\nf: 0x1F\ng: 1.5e3\nh: -.inf\ni: yes\nj: 2024-01-02\nk: 012\n",
		"a:   # comment\nb: 1",
		"a:\n- b\n-\n- c: 1\n  d:\n",
		"a:\n  -\n  - x\n",
		"-   \n- x\n",
		"- a: 1\n  b:\n  - c\n- d\n",
		"- name: x\n  image: nginx:1.25 # pinned\n  args: [\"--port\", '8080', a b]\n",
		"a: {}\nb: []\nc: [1, \"x\", {d: e}]\nd: [ ]\ne: {f: [g, h], 'i': \"j\"}\n",
		"a: \"x\" # c\nb: 'it''s'\nc: \"q\\\"uote\\\\ \\n\"\n\"d e\": 1\n'f': 2\n",
		"a: |\n  x\n\n",
		"a: |-\n  x\n  y\n\n\nb: >+\n  folded\n  text\n\n  more\n    indented\n  back\n\n\n",
		"a: >\n  x\n  y\n\n  z\n   w\n  v\n",
		"a: |\n\n  \n   first\n   second\n    third\n",
		"a: |\nb: 1\n",
		"a: |\n  last line without feed",
		"a: |+\n  x\n  \n   \n",
		"- |\n  in a sequence\n- >-\n   folded\n   in a sequence\n",
		"k:\n  # c\n\nz: 1",
		"url: http://example.com/a#frag\nport: 80:8080\nhash: a #comment\n",
		"a: b\n  # indented comment\nc: d\n",
		"1: one\ntrue: yes\n~: null key\n",
		"a: -1\nb: -x\nc: ?y\nd: :z\ne: x:y\nf: [-1, -x]\n",
		"spec:\n  containers:\n  - name: app\n    securityContext:\n      capabilities:\n        drop: [\"ALL\"]\n",
		"a: 1\n...\n",
		"a: 'x'    # trailing comment\nb: [a]   \n",
		"a: \"\\t\\r\\ \\'\"\n",
		"a one-line scalar document\n",
		"a one-line scalar document\n...\n",
	}
	for _, src := range accepted {
		if !check(t, src) {
			t.Errorf("fast path declined input it should accept:\n%s", src)
		}
		// The same with CRLF line breaks.
		if crlf := strings.ReplaceAll(src, "\n", "\r\n"); !check(t, crlf) {
			t.Errorf("fast path declined input with CRLF breaks it should accept:\n%q", crlf)
		}
	}
}

// TestDeclines lists input the fast path must leave to yaml.v3: outside
// its subset, or invalid.
func TestDeclines(t *testing.T) {
	declined := []string{
		"a: &x 1\nb: *x\n",         // anchor, alias
		"a: !!str 1\n",             // tag
		"<<: {a: 1}\n",             // merge key
		"? a\n: b\n",               // complex key
		"a: multi\n  line plain\n", // multi-line plain
		"- multi\n  line\n",        // multi-line plain in a sequence
		"multi\n  line document\n", // multi-line plain at the top
		"a: [1]\n  b: 2\n",         // a line after a flow value
		"a: 'multi\n  line'\n",     // multi-line quoted
		"a: [1,\n  2]\n",           // multi-line flow
		"a: \"\\u00e9\"\n",         // escape for a non-ASCII character
		"a: caf\xc3\xa9\n",         // non-ASCII
		"a:\tb\n",                  // tab
		"a: b\rc: d\n",             // a lone CR
		"a: b\r",                   // a CR at the end
		"%YAML 1.1\n---\na: 1\n",   // directive
		"--- a\n",                  // content on the marker line
		"---\n",                    // empty explicit document
		"a: |2\n   x\n",            // indentation indicator
		"a: b: c\n",                // invalid: a mapping value on the value's line
		"a: 1\n - b\n",             // invalid indentation
		"a: 1\n  b: 2\n",           // invalid indentation
		"a: [1, 2, ]\n",            // trailing comma
		"a: {b}\n",                 // flow key without a value
		"a: [b: c]\n",              // single-pair mapping in a flow sequence
		"a: \"x\" y\n",             // content after a quoted scalar
		"a: 1\na: 2\nhello\n",      // a scalar among keys
		"- - a\n",                  // nested sequence on one line
		"a: @x\n",                  // reserved indicator
		"key: " + strings.Repeat("x", 9) + "\n" + strings.Repeat("k", 1100) + ": v\n", // a key over 1024 characters
	}
	for _, src := range declined {
		if check(t, src) {
			t.Errorf("fast path accepted input it should leave to yaml.v3:\n%s", src)
		}
	}
}

// documents returns the documents of the YAML files under dirs, cut as
// object.Decode cuts them.
func documents(t testing.TB, dirs ...string) []string {
	var docs []string
	for _, dir := range dirs {
		files, _ := filepath.Glob(filepath.Join(dir, "*"))
		for _, f := range files {
			ext := strings.ToLower(filepath.Ext(f))
			if ext != ".yaml" && ext != ".yml" && ext != ".json" {
				continue
			}
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range object.SplitDocuments(data) {
				docs = append(docs, string(object.HideYAML12Directive(d.Text)))
			}
		}
	}
	return docs
}

// TestCorpus holds the fast path to yaml.v3 on real manifests, and checks
// that it takes nearly all of them: a fast path that declines everything
// would pass every other test.
func TestCorpus(t *testing.T) {
	corpus := filepath.Join("..", "..", "..", "..", "shared", "corpus", "k8s-examples")
	if _, err := os.Stat(corpus); err != nil {
		t.Skip("shared corpus not found")
	}
	docs := documents(t, corpus)
	accepted := 0
	for _, d := range docs {
		if check(t, d) {
			accepted++
		}
	}
	t.Logf("fast path took %d of %d documents", accepted, len(docs))
	if accepted*100 < len(docs)*90 {
		t.Errorf("fast path took only %d of %d documents, want at least 90%%", accepted, len(docs))
	}
}

func FuzzParse(f *testing.F) {
	for _, d := range documents(f, "testdata", filepath.Join("..", "testdata")) {
		f.Add(d)
	}
	f.Add("a: |\n  x\n")
	f.Add("a: 1\r\nb:\r\n- c: |\r\n    d\r\n\r\n")
	f.Add("- a: [1, 'b', {c: d}]\n  e: >-\n    f\n")
	f.Fuzz(func(t *testing.T, src string) {
		check(t, src)
	})
}

// TestDeepNesting checks that nesting beyond the fast path's depth limit is
// declined rather than followed (each level is a Go stack frame).
func TestDeepNesting(t *testing.T) {
	nested := func(levels int) string {
		var b strings.Builder
		for i := range levels {
			b.WriteString(strings.Repeat(" ", 2*i))
			b.WriteString("- a:\n")
		}
		return b.String()
	}
	if !check(t, nested(20)) {
		t.Fatal("fast path declined 40 levels of nesting")
	}
	if check(t, nested(5000)) {
		t.Error("fast path accepted 10,000 levels of nesting")
	}
	if !check(t, "a: "+strings.Repeat("[", 50)+strings.Repeat("]", 50)+"\n") {
		t.Fatal("fast path declined 50 nested flow sequences")
	}
	if check(t, "a: "+strings.Repeat("[", 5000)+strings.Repeat("]", 5000)+"\n") {
		t.Error("fast path accepted 5,000 nested flow sequences")
	}
}

// gen writes random documents in and around the fast path's subset: the
// coverage-guided fuzzer mostly finds input the fast path declines, while
// these are mostly accepted, so they test the trees it builds.
type gen struct {
	r *rand.Rand
	b strings.Builder
}

func (g *gen) pick(s ...string) string { return s[g.r.IntN(len(s))] }

func (g *gen) scalar() string {
	switch g.r.IntN(12) {
	case 0:
		return g.pick("1", "-2", "0x1F", "1.5", "1e3", "true", "False", "null", "~", "yes", "off", "2024-01-02", "012", ".inf", "+1", "-.5")
	case 1:
		return "'" + g.pick("a", "it''s", "", " b ", "#x", "a: b") + "'"
	case 2:
		return `"` + g.pick("a", `q\"q`, `\\`, `\n`, `\t`, "", " sp ", "a: b", `\x41`) + `"`
	case 3:
		return g.pick("a b", "a#b", "a:b", "http://x/y?z=1#f", "-x", "?x", ":x", "a  b", "<<", "x ")
	case 4:
		return g.pick("[a, b]", "[]", "[ ]", "{}", "{a: b}", "[1, 'x', {c: d}]", "{a: [b, c], 'd': \"e\"}", "[a,b]", "[-1, -x]", "[a: b]", "{a}", "[a, ]")
	default:
		return g.pick("nginx", "web", "app.kubernetes.io/name", "ALL", "v1", "Deployment", "x", "80", "8080", "TCP")
	}
}

func (g *gen) comment() {
	if g.r.IntN(8) == 0 {
		g.b.WriteString(strings.Repeat(" ", g.r.IntN(6)) + "# c\n")
	}
	if g.r.IntN(10) == 0 {
		g.b.WriteString(strings.Repeat(" ", g.r.IntN(6)) + "\n")
	}
}

func (g *gen) blockScalar(ind int) {
	g.b.WriteString(g.pick("|", ">", "|-", ">-", "|+", ">+", "| # c"))
	g.b.WriteString("\n")
	in := ind + 1 + g.r.IntN(3)
	for range 1 + g.r.IntN(5) {
		switch g.r.IntN(6) {
		case 0:
			g.b.WriteString("\n")
		case 1:
			g.b.WriteString(strings.Repeat(" ", in+g.r.IntN(3)) + "more " + g.scalar() + "\n")
		case 2:
			g.b.WriteString(strings.Repeat(" ", g.r.IntN(in+3)) + "\n")
		default:
			g.b.WriteString(strings.Repeat(" ", in) + "text " + g.scalar() + "\n")
		}
	}
}

func (g *gen) value(ind, depth int) {
	switch n := g.r.IntN(10); {
	case depth > 4 || n < 5:
		g.b.WriteString(" " + g.scalar() + g.pick("", "", " # c", "  ") + "\n")
	case n == 5:
		g.b.WriteString(" ")
		g.blockScalar(ind)
	case n == 6:
		g.b.WriteString(g.pick("", " # c") + "\n")
	default:
		g.b.WriteString(g.pick("", " # c") + "\n")
		g.comment()
		child := ind + 1 + g.r.IntN(3)
		if g.r.IntN(3) == 0 {
			g.sequence(ind+g.r.IntN(2)*(child-ind), depth+1)
		} else {
			g.mapping(child, depth+1)
		}
	}
}

func (g *gen) mapping(ind, depth int) {
	for i := range 1 + g.r.IntN(4) {
		if i > 0 {
			g.b.WriteString(strings.Repeat(" ", ind))
		}
		g.b.WriteString(g.pick("name", "image", "'quoted'", `"dq"`, "a b", "1", "true", "x.y/z", "-k", "k") + ":")
		g.value(ind, depth)
		g.comment()
	}
}

func (g *gen) sequence(ind, depth int) {
	for range 1 + g.r.IntN(3) {
		g.b.WriteString(strings.Repeat(" ", ind) + "-")
		switch g.r.IntN(5) {
		case 0:
			g.b.WriteString(g.pick("", " ", " # c") + "\n")
			if g.r.IntN(2) == 0 {
				g.mapping(ind+1+g.r.IntN(3), depth+1)
			}
		case 1, 2:
			g.b.WriteString(" ")
			g.mapping(ind+2, depth+1)
		default:
			g.value(ind, depth+1)
		}
		g.comment()
	}
}

func TestGeneratedDocuments(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	accepted, total := 0, 20000
	for range total {
		g := &gen{r: r}
		g.b.WriteString(g.pick("", "---\n", "# head\n", "--- # c\n"))
		g.mapping(0, 0)
		g.b.WriteString(g.pick("", "", "...\n", "# tail\n"))
		doc := g.b.String()
		if r.IntN(4) == 0 {
			doc = strings.ReplaceAll(doc, "\n", "\r\n")
		}
		if check(t, doc) {
			accepted++
		}
	}
	t.Logf("fast path took %d of %d generated documents", accepted, total)
	if accepted < total/4 {
		t.Errorf("fast path took only %d of %d generated documents", accepted, total)
	}
}

// BenchmarkParse and BenchmarkYAMLv3 parse the documents of the shared
// corpus, each the way object.Decode would with and without the fast path.
func BenchmarkParse(b *testing.B) {
	docs := corpusDocs(b)
	p := blockyaml.Get()
	defer p.Release()
	b.ReportAllocs()
	for b.Loop() {
		for _, d := range docs {
			if _, ok := p.Parse(d); !ok {
				var n yaml.Node
				_ = yaml.Unmarshal(d, &n)
			}
		}
	}
}

func BenchmarkYAMLv3(b *testing.B) {
	docs := corpusDocs(b)
	b.ReportAllocs()
	for b.Loop() {
		for _, d := range docs {
			var n yaml.Node
			_ = yaml.Unmarshal(d, &n)
		}
	}
}

func corpusDocs(b *testing.B) [][]byte {
	corpus := filepath.Join("..", "..", "..", "..", "shared", "corpus", "k8s-examples")
	if _, err := os.Stat(corpus); err != nil {
		b.Skip("shared corpus not found")
	}
	var docs [][]byte
	size := 0
	for _, d := range documents(b, corpus) {
		docs = append(docs, []byte(d))
		size += len(d)
	}
	b.SetBytes(int64(size))
	return docs
}
