package controlplane

import (
	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/rule"
	"github.com/palisade-dev/palisade/internal/rules/internal/cmdline"
)

// APIServerAnonymousAuth reports API servers that accept requests without
// credentials.
var APIServerAnonymousAuth = &rule.Rule{
	Meta: rule.Meta{
		ID:       "apiserver-anonymous-auth",
		Title:    "API server accepts anonymous requests",
		Severity: rule.Medium,
		Category: rule.CategoryControlPlane,
		Doc: "Unless --anonymous-auth=false is set (the flag defaults to true), kube-apiserver serves requests " +
			"without credentials as the user system:anonymous, so only authorization stands between the network " +
			"and the API: one binding to system:unauthenticated, or AlwaysAllow authorization, opens the cluster to " +
			"anyone who can reach it. The rule flags kube-apiserver containers whose last --anonymous-auth is not " +
			"false, at critical severity when authorization is AlwaysAllow; an API server with --authentication-config " +
			"and no --anonymous-auth is skipped, because that file then decides.",
		Remediation: "Set --anonymous-auth=false on kube-apiserver, or allow anonymous requests only to the health endpoints with an AuthenticationConfiguration.",
		References: []framework.Ref{
			framework.CISRef("1.2.1"),
			framework.NSARef("authentication"),
			framework.MITRERef("T1078.001"),
		},
	},
	Fixable: true,
	Run: func(pass *rule.Pass) error {
		for _, cl := range commandLines(pass, cmdline.APIServer) {
			anon, err := lookupBool(cl, "anonymous-auth", true)
			if err != nil {
				return err
			}
			if !anon.Value || (!anon.Set && cl.Has("authentication-config")) {
				continue
			}
			severity := pass.Rule.Severity
			if apiserverAuthorizesAll(cl) {
				severity = rule.Critical
			}
			msg := rule.ContainerMessage(cl.Container) + " accepts anonymous requests to kube-apiserver "
			if anon.Set {
				msg += "(" + anon.Flag.String() + ")"
			} else {
				msg += "(--anonymous-auth is not set and defaults to true)"
			}
			pass.Report(rule.Finding{
				Path: anon.path(cl), Container: cl.Container.Name, Severity: severity, Message: msg,
				Fix: func() *rule.Fix {
					return unsafeFix(cl.SetFix("anonymous-auth", "false"),
						"The kubelet's liveness, readiness and startup probes of kube-apiserver request /livez, /readyz and "+
							"/healthz without credentials and fail once anonymous requests are rejected, which makes the kubelet "+
							"restart the API server: first move the probes off those paths or, from Kubernetes v1.32, replace "+
							"the flag by an AuthenticationConfiguration that allows anonymous requests to those paths only.")
				},
			})
		}
		return nil
	},
}

// apiserverAuthorizesAll reports whether kube-apiserver allows every
// request: --authorization-mode includes AlwaysAllow, or neither it nor
// --authorization-config is set and the mode defaults to AlwaysAllow.
func apiserverAuthorizesAll(cl *cmdline.CommandLine) bool {
	if !cl.Has("authorization-mode") {
		return !cl.Has("authorization-config")
	}
	for _, it := range cl.Items("authorization-mode") {
		if it.Value == alwaysAllow {
			return true
		}
	}
	return false
}

// alwaysAllow is the authorization mode that allows every request, in the
// API server and in the kubelet.
const alwaysAllow = "AlwaysAllow"
