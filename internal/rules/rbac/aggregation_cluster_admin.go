package rbac

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
)

// clusterAdminLabels are the labels of the built-in cluster-admin
// ClusterRole, which every cluster has.
var clusterAdminLabels = labels.Set{"kubernetes.io/bootstrapping": "rbac-defaults"}

// AggregationClusterAdmin reports aggregated ClusterRoles whose selectors pull
// in the rules of cluster-admin.
var AggregationClusterAdmin = &rule.Rule{
	Meta: rule.Meta{
		ID:       "rbac-aggregation-cluster-admin",
		Title:    "Aggregated ClusterRole that includes cluster-admin",
		Severity: rule.Critical,
		Category: rule.CategoryRBAC,
		Doc: "The API server fills an aggregated ClusterRole with the rules of every ClusterRole that matches one " +
			"of its aggregationRule.clusterRoleSelectors, whatever rules the role itself lists. A selector that " +
			"matches the labels of the built-in cluster-admin ClusterRole (kubernetes.io/bootstrapping=rbac-defaults), " +
			"an empty selector for one, copies its \"*\" rules and makes the role cluster-admin under another name. " +
			"The rule flags such selectors.",
		Remediation: "Select the ClusterRoles to aggregate with a label of their own, such as rbac.example.com/aggregate-to-monitoring: \"true\".",
		References: []framework.Ref{
			framework.CISRef("5.1.1"),
			framework.NSARef("rbac"),
			framework.MITRERef("T1098"),
		},
	},
	Fixable: true,
	Run: func(pass *rule.Pass) error {
		r, err := checkedRole(pass.Object)
		if r == nil || r.aggregation == nil {
			return err
		}
		base := object.Path("aggregationRule").Field("clusterRoleSelectors")
		var bad []int
		var texts []string
		for i, sel := range r.aggregation.ClusterRoleSelectors {
			s, err := metav1.LabelSelectorAsSelector(&sel)
			if err != nil {
				return fmt.Errorf("%s: %s: %w", pass.Object.Ref(), base.Index(i), err)
			}
			if s.Matches(clusterAdminLabels) {
				bad = append(bad, i)
				texts = append(texts, selectorText(s))
			}
		}
		for j, i := range bad {
			// The API requires at least one selector: removing them all
			// removes the aggregation.
			remove := base.Index(i)
			if len(bad) == len(r.aggregation.ClusterRoleSelectors) {
				remove = object.Path("aggregationRule")
			}
			fix := func() *rule.Fix {
				return &rule.Fix{
					Patch:  []rule.PatchOp{rule.Remove(remove)},
					Unsafe: true,
					Note:   "the role stops aggregating the ClusterRoles this selector matched; give the roles to aggregate a label of their own and select it",
				}
			}
			pass.Reportf(base.Index(i), fix,
				"%s aggregates cluster-admin: selector %q matches its labels, so the role grants every verb on every resource",
				r, texts[j])
		}
		return nil
	},
}

// selectorText renders a label selector for messages; the empty selector,
// which String renders as "", reads as "{}".
func selectorText(s labels.Selector) string {
	if s.Empty() {
		return "{}"
	}
	return s.String()
}
