package controlplane

import (
	"fmt"
	"strconv"

	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/rule"
	"github.com/palisade-dev/palisade/internal/rules/internal/cmdline"
)

// KubeletReadOnlyPort reports kubelets that serve their unauthenticated
// read-only API.
var KubeletReadOnlyPort = &rule.Rule{
	Meta: rule.Meta{
		ID:       "kubelet-read-only-port",
		Title:    "Kubelet read-only port open",
		Severity: rule.Medium,
		Category: rule.CategoryControlPlane,
		Doc: "The kubelet's read-only port serves /pods, /spec and metrics without authentication or " +
			"authorization: anyone who reaches the node learns every pod spec on it, environment variable values " +
			"included. The rule flags a non-zero readOnlyPort in a KubeletConfiguration (where it defaults to 0), " +
			"and kubelet containers that set a non-zero --read-only-port or, without --config, leave it to its " +
			"default of 10255.",
		Remediation: "Set readOnlyPort: 0 in the KubeletConfiguration, or --read-only-port=0 on the kubelet.",
		References: []framework.Ref{
			framework.CISRef("4.2.4"),
			framework.NSARef("worker-node-segmentation"),
			framework.MITRERef("T1613"),
		},
	},
	Fixable: true,
	Run: func(pass *rule.Pass) error {
		if isKubeletConfig(pass.Object) {
			port, set, err := genericInt(pass.Object, kubeletReadOnlyPortPath)
			if err != nil || !set || port == 0 {
				return err
			}
			fix := func() *rule.Fix {
				return unsafeFix([]rule.PatchOp{rule.Set(kubeletReadOnlyPortPath, 0)}, readOnlyPortNote)
			}
			pass.Reportf(kubeletReadOnlyPortPath, fix,
				"the KubeletConfiguration opens the kubelet's unauthenticated read-only port (readOnlyPort=%d)", port)
			return nil
		}
		for _, cl := range commandLines(pass, cmdline.Kubelet) {
			f, set, decides := kubeletFlag(cl, "read-only-port")
			if !decides {
				continue
			}
			path, detail := cl.Anchor(), "--read-only-port is not set and defaults to 10255 without --config"
			if set {
				port, err := strconv.Atoi(f.Value)
				if err != nil {
					return fmt.Errorf("%s: %s is not a port number", f.Path, f)
				}
				if port == 0 {
					continue
				}
				path, detail = f.Path, f.String()
			}
			fix := func() *rule.Fix { return unsafeFix(cl.SetFix("read-only-port", "0"), readOnlyPortNote) }
			pass.ReportContainer(cl.Container, path, fix,
				"%s opens the kubelet's unauthenticated read-only port (%s)", rule.ContainerMessage(cl.Container), detail)
		}
		return nil
	},
}

const readOnlyPortNote = "Monitoring agents that scrape the read-only port (10255) lose access: move them to the " +
	"authenticated port 10250 with a token allowed to get nodes/metrics and nodes/stats before applying."
