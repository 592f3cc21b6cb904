package secrets

import (
	"fmt"
	"strings"

	"github.com/palisade-dev/palisade/internal/secretscan"
)

// summarise describes the first of the credentials found in one value
// (there must be at least one) and how many lines hold others, for
// example `a password "hu…" (8 chars) on line 3, and 2 more lines`. Line
// numbers are given only for multi-line values.
func summarise(creds []secretscan.Credential, value string) string {
	first := creds[0]
	s := first.Describe()
	if strings.Contains(value, "\n") {
		s += fmt.Sprintf(" on line %d", first.Line)
	}
	switch n := len(creds) - 1; n {
	case 0:
	case 1:
		s += ", and 1 more line"
	default:
		s += fmt.Sprintf(", and %d more lines", n)
	}
	return s
}
