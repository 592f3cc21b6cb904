// Package match finds many literal strings in a byte stream at once, fast
// enough to run over every byte of an image's layers.
//
// A Set compiles literals (case-sensitive or ASCII case-insensitive, at
// least three bytes long) into a table of two-byte anchors: for every
// literal, the rarest pair of adjacent bytes among its first ones, chosen
// with a fixed estimate of byte frequencies in text and binaries. Scan
// looks at every other position of the input, tests the pair there against
// a 64 Kib bitmap that fits in the L1 cache, and only at the rare hits
// compares the literals anchored at that pair. Registering each literal's
// anchor at two consecutive offsets makes the stride of two safe.
package match

import (
	"bytes"
	"fmt"
)

// Literal is one string to find.
type Literal struct {
	Text string
	// Fold makes the match ASCII case-insensitive.
	Fold bool
}

// Set is a compiled set of literals. It is safe for concurrent use.
type Set struct {
	lits []Literal
	low  [][]byte // lower-cased text of folded literals
	bits [1024]uint64
	// slot maps a pair (b0 | b1<<8) to its list in anchors, plus one;
	// zero means no literal is anchored there.
	slot    [1 << 16]uint16
	anchors [][]anchor
	maxLen  int
}

type anchor struct {
	lit int
	off int // offset of the pair inside the literal
}

// Compile builds a Set. Literals shorter than three bytes are an error.
func Compile(lits []Literal) (*Set, error) {
	s := &Set{lits: lits, low: make([][]byte, len(lits)), anchors: [][]anchor{nil}}
	for i, l := range lits {
		if len(l.Text) < 3 {
			return nil, fmt.Errorf("literal %q is shorter than 3 bytes", l.Text)
		}
		if len(s.anchors) > 1<<15 {
			return nil, fmt.Errorf("too many literals (%d)", len(lits))
		}
		s.maxLen = max(s.maxLen, len(l.Text))
		t := []byte(l.Text)
		if l.Fold {
			t = bytes.ToLower(t)
		}
		s.low[i] = t
		best, bestScore := 0, 1e18
		for off := 0; off+2 < len(t); off++ {
			// Pairs at off and off+1 are both registered: score both.
			sc := pairScore(t[off], t[off+1]) + pairScore(t[off+1], t[off+2])
			if sc < bestScore {
				best, bestScore = off, sc
			}
		}
		for _, off := range []int{best, best + 1} {
			for _, k := range variants(t[off], t[off+1], l.Fold) {
				s.bits[k>>6] |= 1 << (k & 63)
				if s.slot[k] == 0 {
					s.slot[k] = uint16(len(s.anchors)) //nolint:gosec // G115: bounded by the check above (at most 4 pairs per literal)
					s.anchors = append(s.anchors, nil)
				}
				s.anchors[s.slot[k]] = appendUnique(s.anchors[s.slot[k]], anchor{lit: i, off: off})
			}
		}
	}
	return s, nil
}

// MustCompile is Compile for literals known to be valid.
func MustCompile(lits []Literal) *Set {
	s, err := Compile(lits)
	if err != nil {
		panic(err)
	}
	return s
}

func appendUnique(as []anchor, a anchor) []anchor {
	for _, x := range as {
		if x == a {
			return as
		}
	}
	return append(as, a)
}

func variants(a, b byte, fold bool) []uint16 {
	as, bs := []byte{a}, []byte{b}
	if fold {
		as, bs = cases(a), cases(b)
	}
	var out []uint16
	for _, x := range as {
		for _, y := range bs {
			out = append(out, uint16(x)|uint16(y)<<8)
		}
	}
	return out
}

func cases(c byte) []byte {
	switch {
	case 'a' <= c && c <= 'z':
		return []byte{c, c - 32}
	case 'A' <= c && c <= 'Z':
		return []byte{c, c + 32}
	}
	return []byte{c}
}

// freq estimates how common a byte is in the files of an image, from 0
// (never) to about 10 (NUL in binaries, space in text).
func freq(c byte) float64 {
	switch {
	case c == 0:
		return 10
	case c == ' ' || c == 0xff:
		return 6
	case 'a' <= c && c <= 'z':
		return letterFreq[c-'a']
	case 'A' <= c && c <= 'Z':
		return letterFreq[c-'A'] * 0.3
	case '0' <= c && c <= '9':
		return 1.5
	case c == '\n' || c == '.' || c == '_' || c == '/' || c == '-' || c == '\t':
		return 1.5
	case c < 0x20:
		return 1
	case c >= 0x80:
		return 0.6
	}
	return 0.4
}

var letterFreq = [26]float64{
	5, 1.3, 3, 3, 6, 2, 2, 3, 5, 0.2, 0.8, 3.5, 2.5, 5, 5, 2, 0.15, 4.5, 5, 5, 2.5, 1, 1.5, 0.4, 1.5, 0.15,
}

func pairScore(a, b byte) float64 { return freq(a) * freq(b) }

// Len returns the number of literals.
func (s *Set) Len() int { return len(s.lits) }

// MaxLen returns the length of the longest literal: a caller scanning a
// stream in chunks overlaps them by MaxLen-1 bytes.
func (s *Set) MaxLen() int { return s.maxLen }

// Scan calls fn for every occurrence of every literal in b, with the
// literal's index and the offset of the occurrence, in no particular
// order. An occurrence is reported once. fn returns false to stop.
func (s *Set) Scan(b []byte, fn func(lit, at int) bool) {
	n := len(b)
	if n < 3 {
		return
	}
	bits := &s.bits
	// Every literal has anchors at two consecutive offsets, so exactly one
	// of them falls on an even position of each occurrence: checking even
	// positions only finds every occurrence, and finds it once.
	for i := 0; i+1 < n; i += 2 {
		k := uint16(b[i]) | uint16(b[i+1])<<8
		if bits[k>>6]&(1<<(k&63)) == 0 {
			continue
		}
		for _, a := range s.anchors[s.slot[k]] {
			start := i - a.off
			l := s.low[a.lit]
			if start < 0 || start+len(l) > n {
				continue
			}
			if s.equal(a.lit, b[start:start+len(l)]) && !fn(a.lit, start) {
				return
			}
		}
	}
}

func (s *Set) equal(lit int, b []byte) bool {
	if !s.lits[lit].Fold {
		return string(b) == s.lits[lit].Text
	}
	l := s.low[lit]
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 32
		}
		if c != l[i] {
			return false
		}
	}
	return true
}
