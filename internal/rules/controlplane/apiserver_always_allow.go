package controlplane

import (
	"slices"
	"strings"

	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/rule"
	"github.com/palisade-dev/palisade/internal/rules/internal/cmdline"
)

// APIServerAlwaysAllow reports API servers that authorize every request.
var APIServerAlwaysAllow = &rule.Rule{
	Meta: rule.Meta{
		ID:       "apiserver-always-allow-authorization",
		Title:    "API server authorizes every request",
		Severity: rule.Critical,
		Category: rule.CategoryControlPlane,
		Doc: "With the AlwaysAllow authorization mode anywhere in --authorization-mode, kube-apiserver allows " +
			"every authenticated request, and every anonymous one while anonymous authentication is on: any " +
			"service account token or node credential is cluster-admin. The rule flags each --authorization-mode " +
			"that lists AlwaysAllow, and kube-apiserver containers that set neither --authorization-mode nor " +
			"--authorization-config, where the mode defaults to AlwaysAllow.",
		Remediation: "Set --authorization-mode=Node,RBAC on kube-apiserver.",
		References: []framework.Ref{
			framework.CISRef("1.2.6"),
			framework.NSARef("rbac"),
			framework.MITRERef("T1078"),
		},
	},
	Fixable: true,
	Run: func(pass *rule.Pass) error {
		for _, cl := range commandLines(pass, cmdline.APIServer) {
			who := rule.ContainerMessage(cl.Container)
			if !cl.Has("authorization-mode") {
				if !cl.Has("authorization-config") {
					fix := func() *rule.Fix { return unsafeFix(cl.AppendFix("--authorization-mode=Node,RBAC"), rbacNote) }
					pass.ReportContainer(cl.Container, cl.Anchor(), fix,
						"%s authorizes every request to kube-apiserver (--authorization-mode is not set and defaults to AlwaysAllow)", who)
				}
				continue
			}
			for _, f := range cl.Lookup("authorization-mode") {
				if !slices.Contains(f.List(), alwaysAllow) {
					continue
				}
				fix := func() *rule.Fix { return unsafeFix(cmdline.Rewrite(f, withoutAlwaysAllow(f.List())), rbacNote) }
				pass.ReportContainer(cl.Container, f.Path, fix,
					"%s authorizes every request to kube-apiserver (%s)", who, f)
			}
		}
		return nil
	},
}

const rbacNote = "Requests that AlwaysAllow let through now need a grant: before applying, make sure " +
	"kube-controller-manager, kube-scheduler, the kubelets (through the Node authorizer) and every add-on " +
	"and user have the RBAC roles they need, as kubeadm creates them."

// withoutAlwaysAllow returns the authorization modes without AlwaysAllow,
// or Node,RBAC when no other mode is left.
func withoutAlwaysAllow(modes []string) string {
	var keep []string
	for _, m := range modes {
		if m != alwaysAllow {
			keep = append(keep, m)
		}
	}
	if len(keep) == 0 {
		return "Node,RBAC"
	}
	return strings.Join(keep, ",")
}
