package controlplane

import (
	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/rule"
	"github.com/palisade-dev/palisade/internal/rules/internal/cmdline"
)

// APIServerAuditLog reports API servers that record no audit events.
var APIServerAuditLog = &rule.Rule{
	Meta: rule.Meta{
		ID:       "apiserver-audit-log-missing",
		Title:    "API server audit logging disabled",
		Severity: rule.Medium,
		Category: rule.CategoryControlPlane,
		Doc: "Audit events are the only record of who read a secret, created a pod or changed a binding, and what " +
			"incident response reconstructs an attack from. kube-apiserver records them only with a backend " +
			"(--audit-log-path or --audit-webhook-config-file) and a policy (--audit-policy-file); with a backend " +
			"but no policy it records nothing. The rule flags kube-apiserver containers that lack either.",
		Remediation: "Set --audit-policy-file and --audit-log-path (or --audit-webhook-config-file) on kube-apiserver.",
		References: []framework.Ref{
			framework.CISRef("1.2.17"),
			framework.NSARef("audit-logging"),
		},
	},
	Fixable: true,
	Run: func(pass *rule.Pass) error {
		for _, cl := range commandLines(pass, cmdline.APIServer) {
			who := rule.ContainerMessage(cl.Container)
			backend, ok := auditBackend(cl)
			switch {
			case !ok:
				fix := func() *rule.Fix {
					return unsafeFix(cl.AppendFix("--audit-log-path="+auditLogPath, "--audit-policy-file="+auditPolicyPath), auditNote)
				}
				pass.ReportContainer(cl.Container, cl.Anchor(), fix,
					"%s records no audit events (neither --audit-log-path nor --audit-webhook-config-file is set)", who)
			case !hasValue(cl, "audit-policy-file"):
				pass.ReportContainer(cl.Container, backend.Path, nil,
					"%s records no audit events: %s is set but --audit-policy-file is not", who, backend)
			}
		}
		return nil
	},
}

// Where the fix writes audit events and expects the policy, following the
// layout of the Kubernetes auditing documentation.
const (
	auditLogPath    = "/var/log/kubernetes/audit/audit.log"
	auditPolicyPath = "/etc/kubernetes/audit-policy.yaml"
)

const auditNote = "kube-apiserver does not start unless " + auditPolicyPath + " exists in its container: create an " +
	"audit policy on each control-plane node and mount it, and mount /var/log/kubernetes/audit/ from the node " +
	"so that the log survives restarts, before applying."

// auditBackend returns the flag that configures an audit backend, if any:
// a non-empty --audit-log-path ("-" writes to standard output) or
// --audit-webhook-config-file.
func auditBackend(cl *cmdline.CommandLine) (cmdline.Flag, bool) {
	for _, name := range []string{"audit-log-path", "audit-webhook-config-file"} {
		if f, ok := cl.Last(name); ok && f.Value != "" {
			return f, true
		}
	}
	return cmdline.Flag{}, false
}

// hasValue reports whether the flag name is set to a non-empty value.
func hasValue(cl *cmdline.CommandLine, name string) bool {
	f, ok := cl.Last(name)
	return ok && f.Value != ""
}
