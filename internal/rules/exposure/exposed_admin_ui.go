package exposure

import (
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
	"github.com/palisade-dev/palisade/internal/rules/internal/selectors"
)

// ExposedAdminUI reports administrative interfaces reachable from outside
// the cluster through a LoadBalancer or NodePort Service or an Ingress.
var ExposedAdminUI = &rule.Rule{
	Meta: rule.Meta{
		ID:       "exposed-admin-ui",
		Title:    "Administrative interface exposed outside the cluster",
		Severity: rule.High,
		Category: rule.CategoryExposure,
		Doc: "Dashboards, CI servers, monitoring consoles, etcd, the Docker API and the kubelet API either hold " +
			"cluster credentials or run code on request, and internet-wide scanners find them within hours of " +
			"being exposed. The rule follows each LoadBalancer or NodePort Service, and each Ingress backend, to the " +
			"workloads it selects and recognises the interface by container image (Kubernetes Dashboard, Argo CD, " +
			"Argo Workflows, Kubeflow, Jenkins, Grafana, Prometheus, Alertmanager, Kibana, Weave Scope, Rancher, " +
			"Portainer, etcd) or by port (etcd 2379/2380, Docker 2375/2376, kubelet 10250/10255, SSH 22); it sees " +
			"only the workloads and Services of the scan.",
		Remediation: "Make the Service ClusterIP and reach the interface through kubectl port-forward, a VPN or an authenticating proxy.",
		References: []framework.Ref{
			framework.MITRERef("T1133"),
			framework.MITRERef("T1190"),
		},
	},
	Fixable: true,
	Run: func(pass *rule.Pass) error {
		if svc, ok := pass.Object.Typed.(*corev1.Service); ok {
			checkExternalService(pass, svc)
			return nil
		}
		checkIngressBackends(pass)
		return nil
	},
}

// checkExternalService reports the interfaces behind a LoadBalancer or
// NodePort Service, on its spec.type.
func checkExternalService(pass *rule.Pass, svc *corev1.Service) {
	if svc.Spec.Type != corev1.ServiceTypeLoadBalancer && svc.Spec.Type != corev1.ServiceTypeNodePort {
		return
	}
	for _, e := range findExposures(pass.Set, pass.Object, svc.Spec.Ports) {
		pass.Report(rule.Finding{
			Path:     object.Path("spec").Field("type"),
			Fix:      func() *rule.Fix { return clusterIPFix(svc) },
			Severity: e.ui.severity,
			Message:  fmt.Sprintf("%s of type %s exposes %s", pass.Object.Ref(), svc.Spec.Type, e),
		})
	}
}

// checkIngressBackends reports the interfaces behind the Services an Ingress
// routes to, on the backend naming the Service. A Service that several
// backends name is reported once, on the first.
func checkIngressBackends(pass *rule.Pass) {
	type key struct {
		ui       *adminUI
		workload *object.Object
		service  string
	}
	seen := map[key]bool{}
	for _, b := range selectors.IngressBackends(pass.Object) {
		svcObj := selectors.Service(pass.Set, pass.Object.Namespace(), b.Service)
		if svcObj == nil {
			continue
		}
		ports := backendPorts(svcObj.Typed.(*corev1.Service), b.Port)
		for _, e := range findExposures(pass.Set, svcObj, ports) {
			k := key{e.ui, e.workload, b.Service}
			if seen[k] {
				continue
			}
			seen[k] = true
			pass.Report(rule.Finding{
				Path:     b.Path,
				Severity: e.ui.severity,
				Message:  fmt.Sprintf("%s routes to %s, which exposes %s", pass.Object.Ref(), svcObj.Ref(), e),
			})
		}
	}
}

// backendPorts returns the ports of svc that an Ingress backend naming port
// reaches: the one with that number or name, or all of them when the backend
// names none.
func backendPorts(svc *corev1.Service, port intstr.IntOrString) []corev1.ServicePort {
	if port == (intstr.IntOrString{}) {
		return svc.Spec.Ports
	}
	for _, p := range svc.Spec.Ports {
		if (port.Type == intstr.Int && p.Port == port.IntVal) || (port.Type == intstr.String && p.Name == port.StrVal) {
			return []corev1.ServicePort{p}
		}
	}
	return nil
}

// exposure is one administrative interface found behind a Service.
type exposure struct {
	ui *adminUI
	// workload runs the interface; nil when a Service port alone
	// identified it.
	workload *object.Object
	// image identified the interface, or else port did.
	image string
	port  int32
}

// String describes the exposure for a message, for example
// `Grafana (Deployment ops/grafana runs image "grafana/grafana:11.2.0")`.
func (e exposure) String() string {
	switch {
	case e.image != "":
		return fmt.Sprintf("%s (%s runs image %q)", e.ui.name, e.workload.Ref(), e.image)
	case e.workload != nil:
		return fmt.Sprintf("%s on port %d (%s)", e.ui.name, e.port, e.workload.Ref())
	}
	return fmt.Sprintf("%s on port %d", e.ui.name, e.port)
}

// findExposures returns the interfaces that Service svc makes reachable on
// ports: those run by the workloads it selects, each recognised by image or
// by port, and those recognised by port alone when the scan holds none of
// its workloads.
func findExposures(set *object.Set, svc *object.Object, ports []corev1.ServicePort) []exposure {
	workloads := selectors.ServiceWorkloads(set, svc)
	var out []exposure
	for _, w := range workloads {
		out = append(out, workloadExposures(servingOf(set, w), ports)...)
	}
	if len(workloads) == 0 {
		seen := map[*adminUI]bool{}
		for _, p := range ports {
			for _, n := range appendTargetPorts(nil, p, nil) {
				if ui := uiByPort(n); ui != nil && !seen[ui] {
					seen[ui] = true
					out = append(out, exposure{ui: ui, port: n})
				}
			}
		}
	}
	return out
}

// serving is what a workload serves: its serving containers and the
// interfaces their images give away (one per interface, first container
// first).
type serving struct {
	workload   *object.Object
	containers []object.Container
	byImage    []exposure
}

func newServing(w *object.Object) *serving {
	pod, _ := w.PodTemplate()
	s := &serving{workload: w, containers: servingContainers(pod)}
	for _, c := range s.containers {
		if ui := uiByImage(c.Image); ui != nil && !slices.ContainsFunc(s.byImage, func(e exposure) bool { return e.ui == ui }) {
			s.byImage = append(s.byImage, exposure{ui: ui, workload: w, image: c.Image})
		}
	}
	return s
}

type servingMemo struct{}

// servingOf returns what workload w of set serves. It is worked out once
// per workload of the set: every Service that selects a workload asks, and
// in a large scan many Services select the same workloads.
func servingOf(set *object.Set, w *object.Object) *serving {
	all := set.Memo(servingMemo{}, func() any {
		m := map[*object.Object]*serving{}
		for _, wl := range set.Workloads() {
			m[wl] = newServing(wl)
		}
		return m
	}).(map[*object.Object]*serving)
	if s, ok := all[w]; ok {
		return s
	}
	return newServing(w)
}

// workloadExposures returns the interfaces that a workload serves on
// ports, at most one finding per interface, preferring the image as
// evidence.
func workloadExposures(s *serving, ports []corev1.ServicePort) []exposure {
	// In a large scan every Service asks this of every workload it
	// selects, and nearly always the answer is empty: allocate only for
	// an interface found.
	out := slices.Clip(s.byImage)
	var buf [4]int32
	for _, p := range ports {
		for _, n := range appendTargetPorts(buf[:0], p, s.containers) {
			if ui := uiByPort(n); ui != nil && !slices.ContainsFunc(out, func(e exposure) bool { return e.ui == ui }) {
				out = append(out, exposure{ui: ui, workload: s.workload, port: n})
			}
		}
	}
	return out
}

// appendTargetPorts appends to out the TCP port numbers a Service port
// involves: its own port and its target port, a named target port resolved
// against the containers' ports.
func appendTargetPorts(out []int32, p corev1.ServicePort, containers []object.Container) []int32 {
	if p.Protocol != "" && p.Protocol != corev1.ProtocolTCP {
		return out
	}
	out = append(out, p.Port)
	add := func(n int32) {
		if n != 0 && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	switch p.TargetPort.Type {
	case intstr.Int:
		add(p.TargetPort.IntVal)
	case intstr.String:
		for _, c := range containers {
			for _, cp := range c.Ports {
				if cp.Name == p.TargetPort.StrVal && (cp.Protocol == "" || cp.Protocol == corev1.ProtocolTCP) {
					add(cp.ContainerPort)
				}
			}
		}
	}
	return out
}

// clusterIPFix makes a Service ClusterIP, removing the fields the API
// server allows only for NodePort and LoadBalancer Services. It is unsafe:
// clients outside the cluster lose the Service.
func clusterIPFix(svc *corev1.Service) *rule.Fix {
	spec := object.Path("spec")
	ops := []rule.PatchOp{rule.Set(spec.Field("type"), string(corev1.ServiceTypeClusterIP))}
	for i, p := range svc.Spec.Ports {
		if p.NodePort != 0 {
			ops = append(ops, rule.Remove(spec.Field("ports").Index(i).Field("nodePort")))
		}
	}
	s := svc.Spec
	for _, f := range []struct {
		name string
		set  bool
	}{
		{"externalTrafficPolicy", s.ExternalTrafficPolicy != ""},
		{"healthCheckNodePort", s.HealthCheckNodePort != 0},
		{"loadBalancerIP", s.LoadBalancerIP != ""},
		{"loadBalancerSourceRanges", s.LoadBalancerSourceRanges != nil},
		{"loadBalancerClass", s.LoadBalancerClass != nil},
		{"allocateLoadBalancerNodePorts", s.AllocateLoadBalancerNodePorts != nil},
	} {
		if f.set {
			ops = append(ops, rule.Remove(spec.Field(f.name)))
		}
	}
	return &rule.Fix{
		Patch:  ops,
		Unsafe: true,
		Note:   "clients outside the cluster lose the Service; reach the interface through kubectl port-forward, a VPN or an authenticating proxy",
	}
}
