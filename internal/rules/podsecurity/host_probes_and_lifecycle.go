package podsecurity

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
)

// HostProbesAndLifecycle runs the PSA baseline check
// "hostProbesAndHostLifecycle".
var HostProbesAndLifecycle = &rule.Rule{
	Meta: rule.Meta{
		ID:       "pss-host-probes-and-lifecycle",
		Title:    "PSS baseline: hosts in probes and lifecycle hooks",
		Severity: rule.High,
		Category: rule.CategoryPodSecurity,
		Doc: "The kubelet runs HTTP and TCP probes and lifecycle hooks from the node, so a host other than the pod's " +
			"own address turns them into requests the node makes on the pod author's behalf, to anything the node " +
			"can reach. This rule gives the verdict of the Pod Security Admission check hostProbesAndHostLifecycle " +
			"(policy v1.34 and later), which rejects a non-empty host in the httpGet or tcpSocket handler of the " +
			"liveness, readiness and startup probes and of the postStart and preStop hooks.",
		Remediation: "Remove host from the httpGet and tcpSocket handlers of probes and lifecycle hooks.",
		References: []framework.Ref{
			framework.PSSRef("baseline", "hostProbesAndHostLifecycle"),
			framework.MITRERef("T1046"),
		},
	},
	Fixable: true,
	Run:     check{id: "hostProbesAndHostLifecycle", containerField: handlerHostField, fix: fixHandlerHosts}.run,
}

// handlerHostField points at the first host set in the container's probes
// and lifecycle hooks.
func handlerHostField(_ object.PodTemplate, c object.Container) object.Path {
	probes := []struct {
		name  string
		probe *corev1.Probe
	}{{"livenessProbe", c.LivenessProbe}, {"readinessProbe", c.ReadinessProbe}, {"startupProbe", c.StartupProbe}}
	for _, p := range probes {
		if p.probe == nil {
			continue
		}
		if at, ok := handlerHost(c.Path.Field(p.name), p.probe.HTTPGet, p.probe.TCPSocket); ok {
			return at
		}
	}
	if lc := c.Lifecycle; lc != nil {
		hooks := []struct {
			name string
			hook *corev1.LifecycleHandler
		}{{"postStart", lc.PostStart}, {"preStop", lc.PreStop}}
		for _, h := range hooks {
			if h.hook == nil {
				continue
			}
			if at, ok := handlerHost(c.Path.Field("lifecycle").Field(h.name), h.hook.HTTPGet, h.hook.TCPSocket); ok {
				return at
			}
		}
	}
	return c.Path
}

// handlerHost returns the path of the host set in a probe's or hook's
// handler at at, if any.
func handlerHost(at object.Path, httpGet *corev1.HTTPGetAction, tcpSocket *corev1.TCPSocketAction) (object.Path, bool) {
	if httpGet != nil && httpGet.Host != "" {
		return at.Field("httpGet").Field("host"), true
	}
	if tcpSocket != nil && tcpSocket.Host != "" {
		return at.Field("tcpSocket").Field("host"), true
	}
	return "", false
}
