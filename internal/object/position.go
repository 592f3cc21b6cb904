package object

import (
	"math"
	"slices"
)

// Position is a place in a source file. Line and Column count from 1; zero
// means unknown.
type Position struct {
	Line   int
	Column int
}

// positions maps every field of one object to where it was written. It stores
// a 64-bit hash of each path rather than the path itself, so an index for a
// whole corpus costs a few megabytes instead of a retained YAML tree.
type positions struct {
	entries []posEntry // sorted by hash
}

type posEntry struct {
	hash uint64
	line int32
	col  int32
}

const (
	hashSeed  uint64 = 14695981039346656037
	hashPrime uint64 = 1099511628211
)

func hashKey(h uint64, key string) uint64 {
	h ^= 'k'
	h *= hashPrime
	for i := 0; i < len(key); i++ {
		h ^= uint64(key[i])
		h *= hashPrime
	}
	h ^= 0xff
	h *= hashPrime
	return h
}

func hashIndex(h uint64, i int) uint64 {
	h ^= 'i'
	h *= hashPrime
	u := uint64(0) // indexes are never negative
	if i > 0 {
		u = uint64(i)
	}
	for j := 0; j < 8; j++ {
		h ^= (u >> (8 * j)) & 0xff
		h *= hashPrime
	}
	return h
}

func (ps *positions) add(h uint64, line, col int) {
	ps.entries = append(ps.entries, posEntry{hash: h, line: clampInt32(line), col: clampInt32(col)})
}

// clampInt32 converts a line or column to int32, saturating (no input has
// two billion lines).
func clampInt32(v int) int32 {
	if v > math.MaxInt32 {
		return math.MaxInt32
	}
	if v < 0 {
		return 0
	}
	return int32(v)
}

// sealed returns the positions sorted for lookup, in a slice of their own
// and of exact size; ps may be reused afterwards.
func (ps *positions) sealed() positions {
	slices.SortFunc(ps.entries, func(a, b posEntry) int {
		switch {
		case a.hash < b.hash:
			return -1
		case a.hash > b.hash:
			return 1
		}
		return 0
	})
	return positions{entries: slices.Clone(ps.entries)}
}

func (ps *positions) lookup(h uint64) (Position, bool) {
	i, ok := slices.BinarySearchFunc(ps.entries, h, func(e posEntry, h uint64) int {
		switch {
		case e.hash < h:
			return -1
		case e.hash > h:
			return 1
		}
		return 0
	})
	if !ok {
		return Position{}, false
	}
	e := ps.entries[i]
	return Position{Line: int(e.line), Column: int(e.col)}, true
}

// find returns the position of p, or of its nearest ancestor that exists in
// the source (a missing field is reported where it would be added), and
// whether p itself was found.
func (ps *positions) find(p Path) (Position, bool) {
	h := hashSeed
	best, _ := ps.lookup(h)
	found := true
	err := p.walk(func(e Elem) bool {
		if e.IsIndex {
			h = hashIndex(h, e.Index)
		} else {
			h = hashKey(h, e.Key)
		}
		pos, ok := ps.lookup(h)
		if !ok {
			found = false
			return false
		}
		best = pos
		return true
	})
	if err != nil {
		return Position{}, false
	}
	return best, found
}
