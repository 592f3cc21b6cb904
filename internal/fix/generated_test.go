package fix

import (
	"strings"
	"testing"

	"github.com/palisade-dev/palisade/internal/engine"
	"github.com/palisade-dev/palisade/internal/object"
)

// chartMapper says every field of an object comes from a chart value.
type chartMapper struct{ key string }

func (m chartMapper) Origin(_ *object.Object, _ object.Path) (object.Origin, bool) {
	if m.key == "" {
		return object.Origin{Generator: "helm", File: "chart/templates/web.yaml", Line: 12}, true
	}
	return object.Origin{Generator: "helm", File: "chart/templates/web.yaml", Line: 12,
		ValuesKey: m.key, ValuesFile: "chart/values.yaml", ValuesLine: 4}, true
}

// TestGeneratedNotEdited checks that objects rendered from a chart are not
// rewritten and that the reason says what to change instead.
func TestGeneratedNotEdited(t *testing.T) {
	src := []byte("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: a\n    image: x\n    securityContext:\n      privileged: true\n")
	scan := scanner(t)
	for _, tc := range []struct {
		mapper object.OriginMapper
		want   string
	}{
		{chartMapper{key: "securityContext.privileged"}, "set the value securityContext.privileged (chart/values.yaml:4) instead"},
		{chartMapper{}, "edit chart/templates/web.yaml:12 instead"},
	} {
		res := File("rendered.yaml", src, Options{
			Scan: func(objs []*object.Object) *engine.Result {
				for _, o := range objs {
					o.Mapper = tc.mapper
				}
				return scan(objs)
			},
			Editable: Generated,
		})
		if res.Err != nil || res.Changed() {
			t.Fatalf("generated object edited (err %v)", res.Err)
		}
		found := false
		for _, c := range res.Skipped {
			found = found || (c.Finding.RuleID == "privileged-container" && strings.Contains(c.Reason, tc.want))
		}
		if !found {
			t.Errorf("no skip saying %q: %+v", tc.want, res.Skipped)
		}
	}
}
