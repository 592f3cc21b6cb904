package object

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestPathBuild(t *testing.T) {
	for _, tc := range []struct {
		got  Path
		want string
	}{
		{Path(""), ""},
		{Path("").Field("spec"), "spec"},
		{Path("spec").Field("containers").Index(0).Field("image"), "spec.containers[0].image"},
		{Path("").Index(3), "[3]"},
		{Path("metadata").Field("annotations").Field("palisade.dev/ignore"), `metadata.annotations["palisade.dev/ignore"]`},
		{Path("").Field("a.b"), `["a.b"]`},
		{Path("x").Field("with space"), `x["with space"]`},
		{Path("x").Field(`quo"te`), `x["quo\"te"]`},
		{Path("x").Field("[0]"), `x["[0]"]`},
		{Path("x").Field("a]b"), `x["a]b"]`},
		{Path("x").Field(""), `x[""]`},
		{Path("x").Field("tab\there"), `x["tab\there"]`},
		{Path("x").Field("new\nline"), `x["new\nline"]`},
		// Slashes, tildes and other punctuation need no quotes.
		{Path("x").Field("a/b~c"), "x.a/b~c"},
		{Path("x").Field("it's"), "x.it's"},
		{Path("x").Field("0"), "x.0"},
		{Path("x").Field("café"), "x.café"},
		{Path("x").Field("no\u00a0break"), `x["no\u00a0break"]`},
		{Path("x").Field("bad\xffutf8"), `x["bad\xffutf8"]`},
	} {
		if string(tc.got) != tc.want {
			t.Errorf("got %s, want %s", tc.got, tc.want)
		}
	}
}

func TestPathElems(t *testing.T) {
	key := func(k string) Elem { return Elem{Key: k} }
	idx := func(i int) Elem { return Elem{Index: i, IsIndex: true} }
	for _, tc := range []struct {
		path    Path
		elems   []Elem
		parent  Path
		pointer string
	}{
		{"", nil, "", ""},
		{"spec", []Elem{key("spec")}, "", "/spec"},
		{"spec.containers[0].image", []Elem{key("spec"), key("containers"), idx(0), key("image")}, "spec.containers[0]", "/spec/containers/0/image"},
		{"spec.containers[12]", []Elem{key("spec"), key("containers"), idx(12)}, "spec.containers", "/spec/containers/12"},
		{"[0][1]", []Elem{idx(0), idx(1)}, "[0]", "/0/1"},
		{`metadata.annotations["palisade.dev/ignore"]`, []Elem{key("metadata"), key("annotations"), key("palisade.dev/ignore")}, "metadata.annotations", "/metadata/annotations/palisade.dev~1ignore"},
		{`data["a~b/c"]`, []Elem{key("data"), key("a~b/c")}, "data", "/data/a~0b~1c"},
		{"data.a~b/c", []Elem{key("data"), key("a~b/c")}, "data", "/data/a~0b~1c"},
		{`["a.b"].c`, []Elem{key("a.b"), key("c")}, `["a.b"]`, "/a.b/c"},
		{`x["quo\"te"]`, []Elem{key("x"), key(`quo"te`)}, "x", `/x/quo"te`},
		{`x["[0]"][0]`, []Elem{key("x"), key("[0]"), idx(0)}, `x["[0]"]`, "/x/[0]/0"},
		{`x[""]`, []Elem{key("x"), key("")}, "x", "/x/"},
		{`x["a]b"].y`, []Elem{key("x"), key("a]b"), key("y")}, `x["a]b"]`, "/x/a]b/y"},
		{"x.it's", []Elem{key("x"), key("it's")}, "x", "/x/it's"},
		{"x.0", []Elem{key("x"), key("0")}, "x", "/x/0"},
	} {
		elems, err := tc.path.Elems()
		if err != nil || !reflect.DeepEqual(elems, tc.elems) {
			t.Errorf("%s: Elems() = %v, %v; want %v", tc.path, elems, err, tc.elems)
			continue
		}
		if back := PathOf(elems); back != tc.path && !strings.Contains(string(tc.path), `["`) {
			t.Errorf("%s: PathOf(Elems()) = %s", tc.path, back)
		}
		parent, ok := tc.path.Parent()
		if parent != tc.parent || ok != (tc.path != "") {
			t.Errorf("%s: Parent() = %s, %v; want %s", tc.path, parent, ok, tc.parent)
		}
		if p := tc.path.Pointer(); p != tc.pointer {
			t.Errorf("%s: Pointer() = %q, want %q", tc.path, p, tc.pointer)
		}
	}
}

func TestPathMalformed(t *testing.T) {
	for _, p := range []Path{
		".a", "a.", "a..b", "a.[0]", "[", "[0", "[]", "[x]", "[-1]", "[+1]", "[01]", "[1e3]",
		"[99999999999999999999999]", "a[0]b", `a["b"]c`, `["unterminated]`, `["a"`, `["a"x]`,
		"a]b", `a"b`, "a b", "a\tb", "a\xffb", `["a"].`,
	} {
		if elems, err := p.Elems(); err == nil {
			t.Errorf("%q: Elems() = %v, want an error", p, elems)
		}
		if ptr := p.Pointer(); ptr == "" || strings.HasPrefix(ptr, "/") {
			t.Errorf("%q: Pointer() = %q, want something that is no JSON pointer", p, ptr)
		}
		if _, ok := p.Parent(); ok {
			t.Errorf("%q: Parent() succeeded", p)
		}
	}
}

// FuzzPath checks that every path built from steps parses back into them,
// and that every path that parses is rebuilt into one that parses the same.
func FuzzPath(f *testing.F) {
	for _, s := range []string{"spec.containers[0].image", `metadata.annotations["a.b/c"]`, `x["\"]"][3]`, "[0]", "", "a..b", `["\xff"]`} {
		f.Add(s, "key.with.dots", 7)
	}
	f.Fuzz(func(t *testing.T, s, key string, index int) {
		// Any string: if it parses, rebuilding it gives the same steps.
		if elems, err := Path(s).Elems(); err == nil {
			back := PathOf(elems)
			again, err := back.Elems()
			if err != nil || !reflect.DeepEqual(again, elems) {
				t.Fatalf("%q parses to %v, rebuilt as %q which parses to %v, %v", s, elems, back, again, err)
			}
			if PathOf(again) != back {
				t.Fatalf("%q: rebuilding is not stable: %q, %q", s, back, PathOf(again))
			}
		}
		// Steps: built into a path, they parse back exactly.
		if index < 0 {
			index = -index
			if index < 0 {
				index = 0
			}
		}
		steps := []Elem{{Key: s}, {Index: index, IsIndex: true}, {Key: key}}
		p := PathOf(steps)
		got, err := p.Elems()
		if err != nil || !reflect.DeepEqual(got, steps) {
			t.Fatalf("%v built as %q parses to %v, %v", steps, p, got, err)
		}
		if parent, ok := p.Parent(); !ok || parent != PathOf(steps[:2]) {
			t.Fatalf("%q: Parent() = %q, %v", p, parent, ok)
		}
		ptr := p.Pointer()
		tokens := strings.Split(strings.TrimPrefix(ptr, "/"), "/")
		for i := range tokens {
			tokens[i] = strings.NewReplacer("~1", "/", "~0", "~").Replace(tokens[i])
		}
		if !strings.HasPrefix(ptr, "/") || !reflect.DeepEqual(tokens, []string{s, strconv.Itoa(index), key}) {
			t.Fatalf("%q: Pointer() = %q, tokens %q", p, ptr, tokens)
		}
	})
}
