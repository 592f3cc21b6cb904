package rbac

import (
	"fmt"

	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/rule"
)

var secretReads = requests("", false, []string{"get", "list", "watch"}, "secrets")

// SecretsRead reports roles that can read Secrets.
var SecretsRead = &rule.Rule{
	Meta: rule.Meta{
		ID:       "rbac-secrets-read",
		Title:    "Role that reads secrets",
		Severity: rule.High,
		Category: rule.CategoryRBAC,
		Doc: "Secrets hold the credentials of a cluster: ServiceAccount tokens, registry passwords, TLS keys and " +
			"cloud keys. list and watch return every secret in scope with its data, not only names, so they read " +
			"all of them at once. The rule flags get, list and watch on secrets (core API group) in Roles and " +
			"ClusterRoles: high for list or watch, medium for get, and low when resourceNames limits the rule to " +
			"named secrets.",
		Remediation: "Grant read access only to the named secrets a workload needs, with resourceNames and the get verb.",
		References: []framework.Ref{
			framework.CISRef("5.1.2"),
			framework.NSARef("secrets"),
			framework.NSARef("rbac"),
			framework.MITRERef("T1552.007"),
			framework.MITRERef("T1528"),
		},
	},
	Run: func(pass *rule.Pass) error {
		grants, err := roleGrants(pass.Object, secretReads)
		for _, g := range grants {
			sev, consequence := rule.Medium, ""
			switch {
			case g.names != nil:
				sev = rule.Low
			case g.allowsVerb("list") || g.allowsVerb("watch"):
				sev, consequence = rule.High, ", which return the data of every secret in scope"
			}
			pass.Report(rule.Finding{Path: g.path, Severity: sev, Message: fmt.Sprintf("%s grants %s%s", g.role, g, consequence)})
		}
		return err
	},
}
