package rbac

import (
	"fmt"
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
)

// Wildcard reports policy rules that use "*" for verbs, API groups or
// resources.
var Wildcard = &rule.Rule{
	Meta: rule.Meta{
		ID:       "rbac-wildcard",
		Title:    "Wildcard in a role's rules",
		Severity: rule.High,
		Category: rule.CategoryRBAC,
		Doc: `A "*" grants more than anyone reviewed: every verb, resource or API group, including those that ` +
			`upgrades and CustomResourceDefinitions add later. "*" verbs on "*" resources in "*" groups is ` +
			`cluster-admin under another name. The rule flags "*" in the verbs, apiGroups and resources of each ` +
			`rule of Roles and ClusterRoles, as critical when a ClusterRole has all three.`,
		Remediation: `List the verbs, API groups and resources the role's holders need instead of "*".`,
		References: []framework.Ref{
			framework.CISRef("5.1.3"),
			framework.NSARef("rbac"),
			framework.MITRERef("T1078"),
		},
	},
	Run: func(pass *rule.Pass) error {
		r, err := checkedRole(pass.Object)
		if r == nil {
			return err
		}
		for i, pr := range r.rules {
			fields, path := wildcardFields(pr, rulePath(i))
			if fields == nil {
				continue
			}
			sev := rule.High
			if len(fields) == 3 && r.clusterWide() {
				sev = rule.Critical
			}
			pass.Report(rule.Finding{Path: path, Severity: sev, Message: fmt.Sprintf(`%s grants %s ("*" in %s)`,
				r, describeRule(pr), strings.Join(fields, ", "))})
		}
		return nil
	},
}

// wildcardFields returns the fields of pr that contain "*", in the order
// apiGroups, resources, verbs, and the path of the first such element.
func wildcardFields(pr rbacv1.PolicyRule, base object.Path) ([]string, object.Path) {
	var fields []string
	var first object.Path
	for _, f := range []struct {
		name   string
		values []string
	}{{"apiGroups", pr.APIGroups}, {"resources", pr.Resources}, {"verbs", pr.Verbs}} {
		if k := slices.Index(f.values, "*"); k >= 0 {
			if fields == nil {
				first = base.Field(f.name).Index(k)
			}
			fields = append(fields, f.name)
		}
	}
	return fields, first
}

// describeRule says what a policy rule grants, spelling out wildcards:
// `every verb on deployments in every API group`.
func describeRule(pr rbacv1.PolicyRule) string {
	every := func(values []string, all string) string {
		if slices.Contains(values, "*") {
			return all
		}
		return strings.Join(values, ", ")
	}
	target := every(pr.Resources, "every resource")
	if len(pr.Resources) == 0 {
		target = "non-resource URLs " + strings.Join(pr.NonResourceURLs, ", ")
	}
	s := every(pr.Verbs, "every verb") + " on " + target
	if slices.Contains(pr.APIGroups, "*") {
		s += " in every API group"
	}
	if len(pr.ResourceNames) > 0 {
		s += fmt.Sprintf(" (resourceNames %s)", quoteAll(pr.ResourceNames))
	}
	return s
}
