package match

import (
	"bytes"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

type occ struct{ lit, at int }

// naive finds every occurrence with bytes.Index, as the reference.
func naive(lits []Literal, b []byte) []occ {
	var out []occ
	for i, l := range lits {
		hay, needle := b, []byte(l.Text)
		if l.Fold {
			hay, needle = bytes.ToLower(b), bytes.ToLower(needle)
		}
		for off := 0; ; {
			j := bytes.Index(hay[off:], needle)
			if j < 0 {
				break
			}
			out = append(out, occ{i, off + j})
			off += j + 1
		}
	}
	sortOcc(out)
	return out
}

func sortOcc(o []occ) {
	slices.SortFunc(o, func(a, b occ) int {
		if a.at != b.at {
			return a.at - b.at
		}
		return a.lit - b.lit
	})
}

func scanAll(s *Set, b []byte) []occ {
	var out []occ
	s.Scan(b, func(lit, at int) bool { out = append(out, occ{lit, at}); return true })
	sortOcc(out)
	return out
}

func TestScanMatchesNaive(t *testing.T) {
	lits := []Literal{
		{Text: "stratum+tcp://"}, {Text: "xmrig", Fold: true}, {Text: "/dev/tcp/"}, {Text: "aaa"},
		{Text: "abab"}, {Text: "AKIA"}, {Text: "-----BEGIN"}, {Text: "\x7fELF"}, {Text: "Password", Fold: true},
	}
	s := MustCompile(lits)
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte("abAB+:/-tcpxmrigKIAaaPASSWORDpassword\x00\n stratum")
	for round := range 300 {
		n := r.IntN(400)
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		// Plant some literals at random places.
		for range r.IntN(4) {
			l := lits[r.IntN(len(lits))].Text
			if len(b) > len(l) {
				at := r.IntN(len(b) - len(l))
				copy(b[at:], l)
			}
		}
		got, want := scanAll(s, b), naive(lits, b)
		if !slices.Equal(got, want) {
			t.Fatalf("round %d: %q\ngot  %v\nwant %v", round, b, got, want)
		}
	}
}

func TestCompileRejectsShortLiterals(t *testing.T) {
	if _, err := Compile([]Literal{{Text: "ab"}}); err == nil {
		t.Error("want an error")
	}
}

func TestStop(t *testing.T) {
	s := MustCompile([]Literal{{Text: "abc"}})
	n := 0
	s.Scan([]byte(strings.Repeat("abc", 10)), func(int, int) bool { n++; return false })
	if n != 1 {
		t.Errorf("%d calls after stopping", n)
	}
}

// BenchmarkScan measures throughput over the Go toolchain binary, a
// realistic mix of code and strings.
func BenchmarkScan(b *testing.B) {
	goroot, _ := exec.Command("go", "env", "GOROOT").Output()
	data, err := os.ReadFile(strings.TrimSpace(string(goroot)) + "/bin/go")
	if err != nil {
		b.Skip(err)
	}
	var lits []Literal
	for _, w := range []string{"stratum+tcp://", "stratum+ssl://", "xmrig", "cryptonight", "/dev/tcp/", "donate-level", "masscan", "pnscan", "zgrab", "supportxmr.com", "minexmr", "nanopool.org", "-----BEGIN", "AKIA", "ghp_", "xoxb-", "glpat-", "sk_live_", "169.254.169.254", "serviceaccount/token", "ld.so.preload", "pty.spawn", "TCP-LISTEN"} {
		lits = append(lits, Literal{Text: w, Fold: strings.ToLower(w) == w})
	}
	s := MustCompile(lits)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		s.Scan(data, func(int, int) bool { return true })
	}
}
