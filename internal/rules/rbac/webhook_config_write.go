package rbac

import (
	"fmt"

	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/rule"
)

var admissionWrites = requests("admissionregistration.k8s.io", true,
	[]string{"create", "update", "patch", "delete", "deletecollection"},
	"validatingwebhookconfigurations", "mutatingwebhookconfigurations",
	"validatingadmissionpolicies", "validatingadmissionpolicybindings",
	"mutatingadmissionpolicies", "mutatingadmissionpolicybindings")

// WebhookConfigWrite reports ClusterRoles that can change admission webhooks
// and policies.
var WebhookConfigWrite = &rule.Rule{
	Meta: rule.Meta{
		ID:       "rbac-webhook-config-write",
		Title:    "Role that changes admission control",
		Severity: rule.High,
		Category: rule.CategoryRBAC,
		Doc: "Admission webhooks and policies decide what the API server accepts and may rewrite it. Whoever can " +
			"change them can switch off the policies that enforce pod security or image provenance, or register a " +
			"mutating webhook that receives the objects it selects, secrets included, and injects containers into " +
			"pods. The rule flags create, update, patch, delete and deletecollection on validating and mutating " +
			"webhook configurations, admission policies and policy bindings in ClusterRoles: high, or medium when " +
			"resourceNames limits the grant to named objects.",
		Remediation: "Reserve write access to admission configuration for cluster administrators and the operators that own it, limited with resourceNames to their own objects.",
		References: []framework.Ref{
			framework.CISRef("5.1.12"),
			framework.NSARef("rbac"),
			framework.MITRERef("T1562.001"),
			framework.MITRERef("T1557"),
		},
	},
	Run: func(pass *rule.Pass) error {
		grants, err := roleGrants(pass.Object, admissionWrites)
		for _, g := range grants {
			sev := rule.High
			if g.names != nil {
				sev = rule.Medium
			}
			pass.Report(rule.Finding{Path: g.path, Severity: sev, Message: fmt.Sprintf("%s grants %s", g.role, g)})
		}
		return err
	},
}
