// Package attackpath holds the attack-path rule: it reports, on each entry
// point (a LoadBalancer or NodePort Service, an Ingress, a pod reachable on
// its node's addresses), every path internal/attackpath finds from it to a
// crown jewel, with each hop in the finding's Trace.
//
// The graph is built once per scan (Graph) from facts that other rules of
// the catalog establish, so that "this workload can take over its node"
// means exactly what privileged-container, host-pid, host-path-sensitive
// and container-runtime-socket report, "can reach the cloud metadata
// service" what metadata-egress-not-blocked reports, and "the Dashboard
// lets anyone in" what dashboard-insecure-flags reports for
// --enable-skip-login. The CLI renders the same graph with --graph.
package attackpath

import (
	"strings"

	corev1 "k8s.io/api/core/v1"

	ap "github.com/palisade-dev/palisade/internal/attackpath"
	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
	"github.com/palisade-dev/palisade/internal/rules/exposure"
	"github.com/palisade-dev/palisade/internal/rules/internal/selectors"
	"github.com/palisade-dev/palisade/internal/rules/network"
	"github.com/palisade-dev/palisade/internal/rules/runtime"
	"github.com/palisade-dev/palisade/internal/rules/workload"
)

// AttackPath reports the paths from each entry point to a crown jewel.
var AttackPath = &rule.Rule{
	Meta: rule.Meta{
		ID:           "attack-path",
		NeedsContext: true,
		Title:        "Attack path from an exposed entry point to a crown jewel",
		Severity:     rule.High,
		Category:     rule.CategoryExposure,
		Doc: "Single misconfigurations matter most when they chain: a Service exposed to the internet selects a " +
			"Deployment whose pods mount a service-account token, and that service account may read every secret. " +
			"The rule follows such chains across objects: from LoadBalancer and NodePort Services, Ingresses (through " +
			"their backend Services) and pods on the host network or with host ports, to the workloads they reach, the " +
			"service accounts whose tokens those workloads mount (automountServiceAccountToken not false on the pod or " +
			"the ServiceAccount), the permissions RBAC gives them (aggregated ClusterRoles and group bindings included), " +
			"and on to crown jewels: cluster-admin-equivalent power, secrets, node takeover (a privileged, host-PID, " +
			"sensitive-hostPath or runtime-socket workload, or the power to create pods where Pod Security Admission " +
			"admits privileged ones) and the cloud metadata service. Each path is one finding on its entry point, " +
			"critical when it ends in cluster-wide power or a node, or when it starts at a Kubernetes Dashboard that " +
			"skips login; the finding's trace lists every hop and why it connects.",
		Remediation: "Break the path at its weakest hop: stop exposing the workload, set automountServiceAccountToken to false where the API is not needed, narrow the service account's bindings, or remove what lets the pod take over its node.",
		References: []framework.Ref{
			framework.MITRERef("T1190"),
			framework.MITRERef("T1528"),
			framework.MITRERef("T1611"),
			framework.MITRERef("T1552.005"),
			framework.NSARef("authentication"),
		},
	},
	Run: func(pass *rule.Pass) error {
		g := Graph(pass.Set)
		for _, p := range g.PathsFrom(pass.Object) {
			pass.Report(rule.Finding{
				Severity: p.Severity,
				Path:     entryField(pass.Object),
				Message:  p.Summary(),
				Trace:    trace(p),
			})
		}
		return nil
	},
}

type graphMemo struct{}

// Graph returns the attack-path graph of set, built once per set.
func Graph(set *object.Set) *ap.Graph {
	return set.Memo(graphMemo{}, func() any { return ap.Build(set, inputs) }).(*ap.Graph)
}

var inputs = ap.Inputs{
	ServiceWorkloads: selectors.ServiceWorkloads,
	IngressServices:  ingressServices,
	Facts:            facts,
}

// ingressServices returns the Services an Ingress routes to, once each.
func ingressServices(set *object.Set, ing *object.Object) []ap.Route {
	var out []ap.Route
	seen := map[string]bool{}
	for _, b := range selectors.IngressBackends(ing) {
		if seen[b.Service] {
			continue
		}
		svc := selectors.Service(set, ing.Namespace(), b.Service)
		if svc == nil {
			continue
		}
		seen[b.Service] = true
		out = append(out, ap.Route{Service: svc, Why: routeDescription(b.Path)})
	}
	return out
}

// routeDescription says which part of the Ingress a backend is.
func routeDescription(p object.Path) string {
	if strings.HasPrefix(string(p), "spec.defaultBackend") || strings.HasPrefix(string(p), "spec.backend") {
		return "its default backend"
	}
	rule, _, _ := strings.Cut(string(p), ".backend")
	return "the requests of " + rule
}

// takeoverRules establish that a workload can take over its node.
var takeoverRules = []*rule.Rule{workload.Privileged, workload.HostPID, workload.HostPathSensitive, runtime.ContainerRuntimeSocket}

// facts runs the rules that establish what a workload gives away.
func facts(set *object.Set, w *object.Object) []ap.Fact {
	var out []ap.Fact
	run := func(r *rule.Rule, kind ap.FactKind, keep func(rule.Finding) bool) {
		pass := rule.NewPass(r, w, set, rule.Options{PSSLevel: "restricted", PSSVersion: "latest"}, nil, func(f rule.Finding) {
			if keep == nil || keep(f) {
				out = append(out, ap.Fact{Kind: kind, Why: f.Message + " (" + r.ID + ")"})
			}
		})
		_ = r.Run(pass) // a rule error is reported by the rule itself when it runs in the scan
	}
	for _, r := range takeoverRules {
		run(r, ap.NodeTakeover, nil)
	}
	run(network.MetadataEgressNotBlocked, ap.CloudMetadata, nil)
	run(exposure.DashboardInsecureFlags, ap.LoginBypass, func(f rule.Finding) bool {
		return strings.Contains(f.Message, "enable-skip-login")
	})
	return out
}

// entryField is the field a path's finding points at on its entry point.
func entryField(o *object.Object) object.Path {
	if _, ok := o.Typed.(*corev1.Service); ok {
		return object.Path("spec").Field("type")
	}
	if pod, ok := o.PodTemplate(); ok {
		if pod.Spec.HostNetwork {
			return pod.SpecPath.Field("hostNetwork")
		}
		return pod.SpecPath.Field("containers")
	}
	return "spec"
}

func trace(p *ap.Path) []rule.Step {
	out := make([]rule.Step, len(p.Steps))
	for i, s := range p.Steps {
		out[i] = rule.Step{Object: s.Node.Object, Label: s.Node.Label, Why: s.Why}
	}
	return out
}
