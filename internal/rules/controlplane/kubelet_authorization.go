package controlplane

import (
	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/rule"
	"github.com/palisade-dev/palisade/internal/rules/internal/cmdline"
)

// KubeletAlwaysAllow reports kubelets that authorize every request to
// their API.
var KubeletAlwaysAllow = &rule.Rule{
	Meta: rule.Meta{
		ID:       "kubelet-authorization-always-allow",
		Title:    "Kubelet authorizes every request",
		Severity: rule.High,
		Category: rule.CategoryControlPlane,
		Doc: "Under the AlwaysAllow authorization mode the kubelet lets every authenticated client, down to any " +
			"service account token it can verify, exec into the node's pods, read their logs and call its debug " +
			"handlers, instead of asking the API server whether the client may. The rule flags " +
			"authorization.mode=AlwaysAllow in a KubeletConfiguration (where it defaults to Webhook), and kubelet " +
			"containers whose --authorization-mode is AlwaysAllow or, without --config, left to its default of AlwaysAllow.",
		Remediation: "Set authorization.mode: Webhook in the KubeletConfiguration, or --authorization-mode=Webhook on the kubelet.",
		References: []framework.Ref{
			framework.CISRef("4.2.2"),
			framework.NSARef("rbac"),
			framework.MITRERef("T1609"),
		},
	},
	Fixable: true,
	Run: func(pass *rule.Pass) error {
		if isKubeletConfig(pass.Object) {
			all, err := kubeletConfigAuthorizesAll(pass.Object)
			if err != nil || !all {
				return err
			}
			fix := func() *rule.Fix {
				return unsafeFix([]rule.PatchOp{rule.Set(kubeletAuthzModePath, "Webhook")}, webhookNote)
			}
			pass.Reportf(kubeletAuthzModePath, fix,
				"the KubeletConfiguration lets the kubelet authorize every request (authorization.mode=AlwaysAllow)")
			return nil
		}
		for _, cl := range commandLines(pass, cmdline.Kubelet) {
			if !kubeletFlagsAuthorizeAll(cl) {
				continue
			}
			path, detail := cl.Anchor(), "--authorization-mode is not set and defaults to AlwaysAllow without --config"
			if f, ok := cl.Last("authorization-mode"); ok {
				path, detail = f.Path, f.String()
			}
			fix := func() *rule.Fix { return unsafeFix(cl.SetFix("authorization-mode", "Webhook"), webhookNote) }
			pass.ReportContainer(cl.Container, path, fix,
				"%s lets the kubelet authorize every request (%s)", rule.ContainerMessage(cl.Container), detail)
		}
		return nil
	},
}

const webhookNote = "The kubelet then authorizes each request with a SubjectAccessReview: it must authenticate " +
	"clients with webhook token authentication or client certificates, and kube-apiserver's kubelet client " +
	"identity needs the system:kubelet-api-admin ClusterRole (kubeadm binds it), or kubectl exec, logs and " +
	"port-forward stop working."
