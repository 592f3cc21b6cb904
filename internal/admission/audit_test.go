package admission

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/palisade-dev/palisade/internal/engine"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
)

// TestAuditFindingsValue checks the findings annotation: every item
// "rule:severity:path[:container]" that fits in maxAuditValue, then
// ",+N more" for the N that do not, whatever the item lengths.
func TestAuditFindingsValue(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 200 {
		v := &Verdict{Profile: &Profile{Name: "p", Mode: Enforce}}
		var items []string
		for i := range 1 + r.IntN(150) {
			f := engine.Finding{Finding: rule.Finding{
				RuleID:   "rule-" + strings.Repeat("x", r.IntN(40)),
				Severity: rule.Severity(r.IntN(5)),
				Path:     object.Path(fmt.Sprintf("spec.containers[%d]", i) + strings.Repeat(".f", r.IntN(20))),
			}}
			if r.IntN(2) == 0 {
				f.Container = "c" + fmt.Sprint(i)
			}
			item := fmt.Sprintf("%s:%s:%s", f.RuleID, f.Severity, f.Path)
			if f.Container != "" {
				item += ":" + f.Container
			}
			items = append(items, item)
			v.Audited = append(v.Audited, f)
		}
		want, length := "", 0
		for i, item := range items {
			if length+len(item)+1 > maxAuditValue {
				want += fmt.Sprintf(",+%d more", len(items)-i)
				break
			}
			if i > 0 {
				want += ","
				length++
			}
			want += item
			length += len(item)
		}
		if got := auditAnnotations(v)["findings"]; got != want {
			t.Fatalf("findings annotation for %d items:\n got %q\nwant %q", len(items), got, want)
		}
	}
}
