package servicemesh

import (
	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
)

// AuthorizationPolicyAllowAll reports Istio AuthorizationPolicies with an
// ALLOW rule that matches every request.
var AuthorizationPolicyAllowAll = &rule.Rule{
	Meta: rule.Meta{
		ID:       "istio-authorization-policy-allow-all",
		Title:    "Istio AuthorizationPolicy that allows every request",
		Severity: rule.High,
		Category: rule.CategoryServiceMesh,
		Doc: "An ALLOW rule without conditions matches every request from every source, so the policy grants " +
			"access to any workload in the mesh or outside it and cancels the default deny that other ALLOW " +
			"policies on the same workloads set up. The rule reports security.istio.io AuthorizationPolicies whose " +
			"action is ALLOW (or absent, which means ALLOW) and which have a rule with no from, to or when (such as " +
			"`- {}`); a policy with no rules at all allows nothing and is not reported.",
		Remediation: "Give each ALLOW rule from, to or when conditions that name the sources and operations it admits.",
		References: []framework.Ref{
			framework.NSARef("network-policies"),
			framework.MITRERef("T1210"),
		},
	},
	Fixable: true,
	Run: func(pass *rule.Pass) error {
		if !isIstioSecurity(pass.Object, "AuthorizationPolicy") {
			return nil
		}
		spec, err := mapping(pass.Object.GenericField("spec"), "spec")
		if err != nil {
			return err
		}
		action, err := str(spec["action"], "spec.action")
		if err != nil {
			return err
		}
		if action != "" && action != "ALLOW" {
			return nil // DENY, AUDIT and CUSTOM rules grant nothing
		}
		rulesPath := object.Path("spec").Field("rules")
		rules, err := list(spec["rules"], rulesPath)
		if err != nil {
			return err
		}
		for i, r := range rules {
			unconditional, err := isUnconditional(r, rulesPath.Index(i))
			if err != nil {
				return err
			}
			if unconditional {
				at := rulesPath.Index(i)
				fix := func() *rule.Fix {
					return &rule.Fix{
						Patch:  []rule.PatchOp{{Op: "test", Path: at.Pointer(), Value: r}, rule.Remove(at)},
						Unsafe: true,
						Note: "requests this rule let through are refused unless another rule or policy allows them; " +
							"write rules that name the sources and operations to admit",
					}
				}
				pass.Reportf(at, fix, "rule %d of %s has no from, to or when and allows every request (spec.rules[%d])", i, pass.Object.Ref(), i)
			}
		}
		return nil
	},
}

// isUnconditional reports whether the AuthorizationPolicy rule at p has no
// from, to or when condition, so that it matches every request.
func isUnconditional(r any, p object.Path) (bool, error) {
	m, err := mapping(r, p)
	if err != nil {
		return false, err
	}
	for _, key := range []string{"from", "to", "when"} {
		conds, err := list(m[key], p.Field(key))
		if err != nil {
			return false, err
		}
		if len(conds) > 0 {
			return false, nil
		}
	}
	return true, nil
}
