package rbac

import (
	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/rule"
)

var tokenRequests = requests("", false, []string{"create"}, "serviceaccounts/token")

// ServiceAccountToken reports roles that can issue ServiceAccount tokens.
var ServiceAccountToken = &rule.Rule{
	Meta: rule.Meta{
		ID:       "rbac-serviceaccount-token",
		Title:    "Role that issues ServiceAccount tokens",
		Severity: rule.High,
		Category: rule.CategoryRBAC,
		Doc: "create on serviceaccounts/token issues a new token for a ServiceAccount through the TokenRequest " +
			"API, with an audience and a lifetime (up to the API server's maximum) of the caller's choosing. Its " +
			"holder can act as every ServiceAccount the rule covers, with tokens that outlive any pod. The rule " +
			"flags create on serviceaccounts/token (core API group) in Roles and ClusterRoles.",
		Remediation: "Remove create on serviceaccounts/token from the role, or limit it with resourceNames to the ServiceAccounts whose tokens must be issued.",
		References: []framework.Ref{
			framework.CISRef("5.1.13"),
			framework.NSARef("service-account-tokens"),
			framework.MITRERef("T1528"),
			framework.MITRERef("T1078"),
		},
	},
	Fixable: true,
	Run: func(pass *rule.Pass) error {
		grants, err := roleGrants(pass.Object, tokenRequests)
		for _, g := range grants {
			fix := func() *rule.Fix {
				return removeResourcesFix(g, tokenRequests, "holders of the role can no longer issue ServiceAccount tokens; limit the grant with resourceNames where they must")
			}
			pass.Reportf(g.path, fix, "%s grants %s, which issues tokens for other ServiceAccounts", g.role, g)
		}
		return err
	},
}
