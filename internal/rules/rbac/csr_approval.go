package rbac

import (
	"fmt"
	"slices"

	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/rule"
)

const certificatesGroup = "certificates.k8s.io"

// csrApprovalRequests are the two halves of approving a certificate signing
// request: updating its approval condition, and approving for its signer.
var csrApprovalRequests = slices.Concat(
	requests(certificatesGroup, true, []string{"update", "patch"}, "certificatesigningrequests/approval"),
	requests(certificatesGroup, true, []string{"approve"}, "signers"),
)

// CSRApproval reports ClusterRoles that can approve certificate signing
// requests.
var CSRApproval = &rule.Rule{
	Meta: rule.Meta{
		ID:       "rbac-csr-approval",
		Title:    "Role that approves certificate requests",
		Severity: rule.High,
		Category: rule.CategoryRBAC,
		Doc: "Approving a CertificateSigningRequest takes update on its approval subresource and approve on its " +
			"signer (the signers resource, limited by resourceNames to signer names). Whoever holds both can " +
			"approve requests for client certificates naming any user and group, which the " +
			"kubernetes.io/kube-apiserver-client signer turns into credentials the API server trusts until they " +
			"expire. The rule flags each half in ClusterRoles, as high when the role grants both and medium when " +
			"it grants one.",
		Remediation: "Leave certificate approval to the controllers that need it and limit approve on signers with resourceNames to their signers.",
		References: []framework.Ref{
			framework.CISRef("5.1.11"),
			framework.NSARef("rbac"),
			framework.MITRERef("T1078"),
			framework.MITRERef("T1098"),
		},
	},
	Run: func(pass *rule.Pass) error {
		grants, err := roleGrants(pass.Object, csrApprovalRequests)
		both := slices.ContainsFunc(grants, func(g grant) bool { return g.allowsVerb("update") || g.allowsVerb("patch") }) &&
			slices.ContainsFunc(grants, func(g grant) bool { return g.allowsVerb("approve") })
		for _, g := range grants {
			sev, consequence := rule.High, " and can approve certificate signing requests"
			if !both {
				sev, consequence = rule.Medium, missingHalf(g)
			}
			pass.Report(rule.Finding{Path: g.path, Severity: sev, Message: fmt.Sprintf("%s grants %s%s", g.role, g, consequence)})
		}
		return err
	},
}

// missingHalf says what a role that grants only g still lacks to approve
// certificate signing requests.
func missingHalf(g grant) string {
	if g.allowsVerb("approve") {
		return " (approval also takes update on certificatesigningrequests/approval)"
	}
	return " (approval also takes approve on signers)"
}
