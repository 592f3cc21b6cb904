package fix

import (
	"bytes"
	"fmt"
	"io"
)

// Diff writes a unified diff (diff -u, with three lines of context) from
// before to after under the name name on both sides, which `patch -p0` and
// `git apply -p0` apply. It writes nothing when the texts are equal.
func Diff(w io.Writer, name string, before, after []byte) error {
	if bytes.Equal(before, after) {
		return nil
	}
	a, b := splitLines(before), splitLines(after)
	ops := diffLines(a, b)
	var out bytes.Buffer
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", name, name)
	const context = 3
	// Group the edits into hunks with context lines around them.
	for i := 0; i < len(ops); {
		if ops[i].kind == ' ' {
			i++
			continue
		}
		start := max(i-context, 0)
		end := i
		for j := i; j < len(ops); j++ {
			if ops[j].kind != ' ' {
				end = j
				continue
			}
			if j-end > 2*context {
				break
			}
		}
		end = min(end+context, len(ops)-1)
		h := ops[start : end+1]
		aLine, bLine := h[0].a, h[0].b
		aCount, bCount := 0, 0
		for _, op := range h {
			if op.kind != '+' {
				aCount++
			}
			if op.kind != '-' {
				bCount++
			}
		}
		fmt.Fprintf(&out, "@@ -%s +%s @@\n", hunkRange(aLine, aCount), hunkRange(bLine, bCount))
		for _, op := range h {
			line := op.text
			out.WriteByte(op.kind)
			out.WriteString(line)
			if len(line) == 0 || line[len(line)-1] != '\n' {
				out.WriteString("\n\\ No newline at end of file\n")
			}
		}
		i = end + 1
	}
	_, err := w.Write(out.Bytes())
	return err
}

// hunkRange renders a hunk's start and length, as diff -u does: an empty
// range starts at the line before it.
func hunkRange(line, count int) string {
	switch count {
	case 0:
		return fmt.Sprintf("%d,0", line)
	case 1:
		return fmt.Sprintf("%d", line+1)
	}
	return fmt.Sprintf("%d,%d", line+1, count)
}

// splitLines splits text into lines that keep their line breaks.
func splitLines(text []byte) []string {
	var out []string
	for len(text) > 0 {
		i := bytes.IndexByte(text, '\n')
		if i < 0 {
			out = append(out, string(text))
			break
		}
		out = append(out, string(text[:i+1]))
		text = text[i+1:]
	}
	return out
}

// lineOp is one line of an edit script: kept (' '), removed ('-') or added
// ('+'), with its 0-based line numbers in the old (a) and new (b) text
// before it.
type lineOp struct {
	kind byte
	text string
	a, b int
}

// diffLines returns a shortest edit script from a to b (Myers' algorithm,
// after trimming the common prefix and suffix).
func diffLines(a, b []string) []lineOp {
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	var ops []lineOp
	for i := 0; i < pre; i++ {
		ops = append(ops, lineOp{' ', a[i], i, i})
	}
	for _, op := range myers(a[pre:len(a)-suf], b[pre:len(b)-suf]) {
		op.a += pre
		op.b += pre
		ops = append(ops, op)
	}
	for i := 0; i < suf; i++ {
		ai, bi := len(a)-suf+i, len(b)-suf+i
		ops = append(ops, lineOp{' ', a[ai], ai, bi})
	}
	return ops
}

func myers(a, b []string) []lineOp {
	n, m := len(a), len(b)
	maxD := n + m
	offset := maxD + 1
	v := make([]int, 2*maxD+3)
	// trace[d] keeps the frontier before step d, for diagonals -d-1 to
	// d+1 only, which is all backtracking reads: memory grows with the
	// square of the number of changed lines, not with the file's length.
	var trace [][]int
	for d := 0; d <= maxD; d++ {
		trace = append(trace, append([]int(nil), v[offset-d-1:offset+d+2]...))
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[offset+k-1] < v[offset+k+1]) {
				x = v[offset+k+1]
			} else {
				x = v[offset+k-1] + 1
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x++
				y++
			}
			v[offset+k] = x
			if x >= n && y >= m {
				return backtrack(a, b, trace, d)
			}
		}
	}
	return nil
}

// backtrack turns the saved frontiers into an edit script.
func backtrack(a, b []string, trace [][]int, d int) []lineOp {
	var rev []lineOp
	x, y := len(a), len(b)
	for ; d > 0; d-- {
		prev := func(k int) int { return trace[d][k+d+1] }
		k := x - y
		var pk int
		if k == -d || (k != d && prev(k-1) < prev(k+1)) {
			pk = k + 1
		} else {
			pk = k - 1
		}
		px := prev(pk)
		py := px - pk
		for x > px && y > py {
			x--
			y--
			rev = append(rev, lineOp{' ', a[x], x, y})
		}
		if x == px {
			y--
			rev = append(rev, lineOp{'+', b[y], x, y})
		} else {
			x--
			rev = append(rev, lineOp{'-', a[x], x, y})
		}
	}
	for x > 0 && y > 0 {
		x--
		y--
		rev = append(rev, lineOp{' ', a[x], x, y})
	}
	ops := make([]lineOp, len(rev))
	for i, op := range rev {
		ops[len(rev)-1-i] = op
	}
	return ops
}
