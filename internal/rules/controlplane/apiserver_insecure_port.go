package controlplane

import (
	"fmt"
	"strconv"

	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/rule"
	"github.com/palisade-dev/palisade/internal/rules/internal/cmdline"
)

// APIServerInsecurePort reports API servers that serve plain HTTP without
// authentication or authorization.
var APIServerInsecurePort = &rule.Rule{
	Meta: rule.Meta{
		ID:       "apiserver-insecure-port",
		Title:    "API server serves the insecure port",
		Severity: rule.Critical,
		Category: rule.CategoryControlPlane,
		Doc: "Before Kubernetes v1.20, kube-apiserver also served the API over plain HTTP on --insecure-port " +
			"(default 8080) at --insecure-bind-address (default 127.0.0.1), bypassing authentication and " +
			"authorization: whoever reaches that address is cluster-admin. The rule flags a non-zero " +
			"--insecure-port, and an --insecure-bind-address that is set while --insecure-port is not 0; both flags " +
			"were removed in v1.24.",
		Remediation: "Set --insecure-port=0 on kube-apiserver and remove --insecure-bind-address.",
		References: []framework.Ref{
			framework.CISRef("1.2.19"),
			framework.NSARef("control-plane"),
			framework.MITRERef("T1133"),
		},
	},
	Fixable: true,
	Run: func(pass *rule.Pass) error {
		for _, cl := range commandLines(pass, cmdline.APIServer) {
			who := rule.ContainerMessage(cl.Container)
			port, portSet := cl.Last("insecure-port")
			if portSet {
				n, err := strconv.Atoi(port.Value)
				if err != nil {
					return fmt.Errorf("%s: %s is not a port number", port.Path, port)
				}
				if n == 0 {
					continue
				}
				fix := func() *rule.Fix { return unsafeFix(cmdline.Rewrite(port, "0"), insecurePortNote) }
				pass.ReportContainer(cl.Container, port.Path, fix,
					"%s serves the API without authentication or authorization on insecure port %d (%s)", who, n, port)
				continue
			}
			if addr, ok := cl.Last("insecure-bind-address"); ok {
				fix := func() *rule.Fix { return unsafeFix(cl.AppendFix("--insecure-port=0"), insecurePortNote) }
				pass.ReportContainer(cl.Container, addr.Path, fix,
					"%s sets %s without --insecure-port=0: before Kubernetes v1.20 it serves the API without "+
						"authentication or authorization on %s:8080", who, addr, addr.Value)
			}
		}
		return nil
	},
}

const insecurePortNote = "Clients that reach the API server over the insecure port, such as an older " +
	"kube-controller-manager or kube-scheduler started with --master=http://127.0.0.1:8080, stop working: " +
	"switch them to the secure port with a kubeconfig first."
