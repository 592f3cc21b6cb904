package controlplane

import (
	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/rule"
	"github.com/palisade-dev/palisade/internal/rules/internal/cmdline"
)

// KubeletAnonymousAuth reports kubelets that accept requests without
// credentials.
var KubeletAnonymousAuth = &rule.Rule{
	Meta: rule.Meta{
		ID:       "kubelet-anonymous-auth",
		Title:    "Kubelet accepts anonymous requests",
		Severity: rule.High,
		Category: rule.CategoryControlPlane,
		Doc: "The kubelet API on port 10250 runs commands in containers, streams their logs and lists pods; with " +
			"anonymous authentication on, requests without credentials reach it as system:anonymous, and under " +
			"AlwaysAllow authorization anyone who reaches the node can exec into its pods. The rule flags " +
			"authentication.anonymous.enabled=true in a KubeletConfiguration (where it defaults to false), and " +
			"kubelet containers whose --anonymous-auth is true or, without --config, left to its default of true; " +
			"findings are critical when the same configuration authorizes every request.",
		Remediation: "Set authentication.anonymous.enabled: false in the KubeletConfiguration, or --anonymous-auth=false on the kubelet.",
		References: []framework.Ref{
			framework.CISRef("4.2.1"),
			framework.NSARef("authentication"),
			framework.MITRERef("T1609"),
		},
	},
	Fixable: true,
	Run: func(pass *rule.Pass) error {
		if isKubeletConfig(pass.Object) {
			return checkKubeletConfigAnonymous(pass)
		}
		for _, cl := range commandLines(pass, cmdline.Kubelet) {
			anon, err := lookupBool(cl, "anonymous-auth", true)
			if err != nil {
				return err
			}
			if !anon.Value || (!anon.Set && cl.Has("config")) {
				continue
			}
			detail := "--anonymous-auth is not set and defaults to true without --config"
			if anon.Set {
				detail = anon.Flag.String()
			}
			authorizesAll := kubeletFlagsAuthorizeAll(cl)
			pass.Report(rule.Finding{
				Path: anon.path(cl), Container: cl.Container.Name, Severity: kubeletAnonymousSeverity(pass, authorizesAll),
				Message: rule.ContainerMessage(cl.Container) + " lets the kubelet accept anonymous requests (" + detail + ")",
				Fix:     func() *rule.Fix { return anonymousFix(cl.SetFix("anonymous-auth", "false"), authorizesAll) },
			})
		}
		return nil
	},
}

func checkKubeletConfigAnonymous(pass *rule.Pass) error {
	enabled, _, err := genericBool(pass.Object, kubeletAnonymousPath)
	if err != nil || !enabled {
		return err
	}
	authorizesAll, err := kubeletConfigAuthorizesAll(pass.Object)
	if err != nil {
		return err
	}
	pass.Report(rule.Finding{
		Path: kubeletAnonymousPath, Severity: kubeletAnonymousSeverity(pass, authorizesAll),
		Message: "the KubeletConfiguration lets the kubelet accept anonymous requests (authentication.anonymous.enabled=true)",
		Fix: func() *rule.Fix {
			return anonymousFix([]rule.PatchOp{rule.Set(kubeletAnonymousPath, false)}, authorizesAll)
		},
	})
	return nil
}

// kubeletAnonymousSeverity raises the severity when anonymous requests are
// also authorized for everything.
func kubeletAnonymousSeverity(pass *rule.Pass, authorizesAll bool) rule.Severity {
	if authorizesAll {
		return rule.Critical
	}
	return pass.Rule.Severity
}

// anonymousFix wraps the patch that turns anonymous authentication off.
// Under Webhook authorization the kubelet already asks the API server about
// system:anonymous, which is normally refused, so nothing that works stops
// working; under AlwaysAllow, clients without credentials lose access.
func anonymousFix(ops []rule.PatchOp, authorizesAll bool) *rule.Fix {
	if !authorizesAll {
		return safeFix(ops)
	}
	return unsafeFix(ops, "Clients that call the kubelet API without credentials, such as metrics agents, stop "+
		"working: give them a token or certificate before applying.")
}
