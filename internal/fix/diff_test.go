package fix

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestDiffGolden(t *testing.T) {
	before := "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\n"
	after := "a\nB\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl"
	var buf bytes.Buffer
	if err := Diff(&buf, "x.yaml", []byte(before), []byte(after)); err != nil {
		t.Fatal(err)
	}
	want := `--- x.yaml
+++ x.yaml
@@ -1,5 +1,5 @@
 a
-b
+B
 c
 d
 e
@@ -9,3 +9,4 @@
 i
 j
 k
+l
\ No newline at end of file
`
	if buf.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", buf.String(), want)
	}
	buf.Reset()
	if err := Diff(&buf, "x", []byte(before), []byte(before)); err != nil || buf.Len() != 0 {
		t.Errorf("equal texts: %q, %v", buf.String(), err)
	}
}

// TestDiffApplies checks random edits: the diff applied to the old text
// gives the new one, by a small applier here and by patch(1) when it is
// installed.
func TestDiffApplies(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	patchCmd, _ := exec.LookPath("patch")
	for i := range 300 {
		a := randomLines(rng, rng.IntN(30))
		b := mutate(rng, a)
		before, after := []byte(strings.Join(a, "")), []byte(strings.Join(b, ""))
		if rng.IntN(4) == 0 && len(after) > 0 {
			after = bytes.TrimSuffix(after, []byte("\n"))
		}
		if rng.IntN(4) == 0 && len(before) > 0 {
			before = bytes.TrimSuffix(before, []byte("\n"))
		}
		var buf bytes.Buffer
		if err := Diff(&buf, "f", before, after); err != nil {
			t.Fatal(err)
		}
		got, err := applyUnified(before, buf.String())
		if err != nil || !bytes.Equal(got, after) {
			t.Fatalf("case %d: the diff does not turn the old text into the new (%v):\nold %q\nnew %q\ndiff:\n%s", i, err, before, after, buf.String())
		}
		if patchCmd != "" && i < 30 && buf.Len() > 0 {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "f"), before, 0o600); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(patchCmd, "-p0", "--quiet")
			cmd.Dir, cmd.Stdin = dir, &buf
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("patch(1) rejects the diff: %v\n%s", err, out)
			}
			if got, _ := os.ReadFile(filepath.Join(dir, "f")); !bytes.Equal(got, after) {
				t.Fatalf("patch(1) makes %q of %q, want %q", got, before, after)
			}
		}
	}
}

func randomLines(rng *rand.Rand, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = string(rune('a'+rng.IntN(5))) + "\n"
	}
	return out
}

func mutate(rng *rand.Rand, a []string) []string {
	var b []string
	for _, l := range a {
		switch rng.IntN(8) {
		case 0: // drop
		case 1:
			b = append(b, "new"+strconv.Itoa(rng.IntN(3))+"\n", l)
		case 2:
			b = append(b, "changed\n")
		default:
			b = append(b, l)
		}
	}
	if rng.IntN(3) == 0 {
		b = append(b, "tail\n")
	}
	return b
}

// applyUnified applies a unified diff to text, checking every context and
// removed line.
func applyUnified(text []byte, diff string) ([]byte, error) {
	if diff == "" {
		return text, nil
	}
	old := splitLines(text)
	var out []string
	pos := 0
	lines := strings.SplitAfter(diff, "\n")
	for i := 2; i < len(lines) && lines[i] != ""; {
		var aStart, aLen, bStart, bLen int
		h := lines[i]
		if _, err := fmt.Sscanf(h, "@@ -%s +%s @@", new(string), new(string)); err != nil {
			return nil, fmt.Errorf("bad hunk header %q", h)
		}
		f := strings.Fields(h)
		aStart, aLen = parseRange(f[1][1:])
		bStart, bLen = parseRange(f[2][1:])
		_ = bStart
		_ = bLen
		start := aStart - 1
		if aLen == 0 {
			start = aStart
		}
		out = append(out, old[pos:start]...)
		pos = start
		i++
		for i < len(lines) && lines[i] != "" && !strings.HasPrefix(lines[i], "@@") {
			l := lines[i]
			body := l[1:]
			if i+1 < len(lines) && strings.HasPrefix(lines[i+1], `\ No newline`) {
				body = strings.TrimSuffix(body, "\n")
				i++
			}
			switch l[0] {
			case ' ', '-':
				if pos >= len(old) || old[pos] != body {
					return nil, fmt.Errorf("line %d: have %q, diff says %q", pos+1, at(old, pos), body)
				}
				if l[0] == ' ' {
					out = append(out, body)
				}
				pos++
			case '+':
				out = append(out, body)
			}
			i++
		}
	}
	out = append(out, old[pos:]...)
	return []byte(strings.Join(out, "")), nil
}

func at(lines []string, i int) string {
	if i < len(lines) {
		return lines[i]
	}
	return "<end>"
}

func parseRange(s string) (int, int) {
	start, n, ok := strings.Cut(s, ",")
	a, _ := strconv.Atoi(start)
	if !ok {
		return a, 1
	}
	b, _ := strconv.Atoi(n)
	return a, b
}
