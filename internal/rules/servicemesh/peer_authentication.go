package servicemesh

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
)

// PeerAuthenticationPermissive reports Istio PeerAuthentications that let
// workloads accept plain-text connections.
var PeerAuthenticationPermissive = &rule.Rule{
	Meta: rule.Meta{
		ID:       "istio-peer-authentication-permissive",
		Title:    "Istio PeerAuthentication without strict mutual TLS",
		Severity: rule.Medium,
		Category: rule.CategoryServiceMesh,
		Doc: "Mutual TLS is what lets a mesh workload know which workload is calling it and keeps the traffic " +
			"private; a workload that also accepts plain text can be reached by any pod, without an identity, and " +
			"its traffic can be read or altered on the way. The rule reports security.istio.io PeerAuthentications " +
			"whose spec.mtls.mode or spec.portLevelMtls[port].mode is PERMISSIVE (medium) or DISABLE (high). An " +
			"absent or UNSET mode inherits from the namespace or mesh policy and is not reported.",
		Remediation: "Set the PeerAuthentication's mtls mode to STRICT once every client of its workloads runs in the mesh.",
		References: []framework.Ref{
			framework.MITRERef("T1557"),
			framework.MITRERef("T1040"),
		},
	},
	Fixable: true,
	Run: func(pass *rule.Pass) error {
		if !isIstioSecurity(pass.Object, "PeerAuthentication") {
			return nil
		}
		spec, err := mapping(pass.Object.GenericField("spec"), "spec")
		if err != nil {
			return err
		}
		p := object.Path("spec").Field("mtls")
		mtls, err := mapping(spec["mtls"], p)
		if err != nil {
			return err
		}
		if err := checkMode(pass, mtls, p.Field("mode")); err != nil {
			return err
		}
		return checkPortModes(pass, spec)
	},
}

// checkPortModes checks spec.portLevelMtls, in port order.
func checkPortModes(pass *rule.Pass, spec map[string]any) error {
	p := object.Path("spec").Field("portLevelMtls")
	ports, err := mapping(spec["portLevelMtls"], p)
	if err != nil {
		return err
	}
	keys := make([]string, 0, len(ports))
	for k := range ports {
		keys = append(keys, k)
	}
	// Port keys are decimal numbers: shorter is smaller.
	slices.SortFunc(keys, func(a, b string) int { return cmp.Or(cmp.Compare(len(a), len(b)), cmp.Compare(a, b)) })
	for _, port := range keys {
		mtls, err := mapping(ports[port], p.Field(port))
		if err != nil {
			return err
		}
		if err := checkMode(pass, mtls, p.Field(port).Field("mode")); err != nil {
			return err
		}
	}
	return nil
}

// checkMode reports the mode field of one MutualTLS setting at p.
func checkMode(pass *rule.Pass, mtls map[string]any, p object.Path) error {
	mode, err := str(mtls["mode"], p)
	if err != nil {
		return err
	}
	var severity rule.Severity
	var effect string
	switch mode {
	case "PERMISSIVE":
		severity, effect = rule.Medium, "also accept plain-text connections"
	case "DISABLE":
		severity, effect = rule.High, "accept plain-text connections without mutual TLS"
	default:
		return nil
	}
	pass.Report(rule.Finding{
		Path:     p,
		Severity: severity,
		Message:  fmt.Sprintf("the workloads of %s %s (%s=%s)", pass.Object.Ref(), effect, p, mode),
		Fix: func() *rule.Fix {
			return &rule.Fix{
				Patch:  []rule.PatchOp{rule.Set(p, "STRICT")},
				Unsafe: true,
				Note:   "clients without a sidecar (outside the mesh, or in namespaces without injection) can no longer connect",
			}
		},
	})
	return nil
}
