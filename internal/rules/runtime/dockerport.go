package runtime

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
)

// The Docker Engine API's registered ports.
const (
	dockerAPIPlain = 2375 // HTTP, and unauthenticated unless a plugin says otherwise
	dockerAPITLS   = 2376 // HTTPS, authenticated only when client certificates are enforced
)

// DockerAPIPort reports workloads and Services that expose the Docker Engine
// API's ports.
var DockerAPIPort = &rule.Rule{
	Meta: rule.Meta{
		ID:       "docker-api-port",
		Title:    "Docker Engine API port exposed",
		Severity: rule.Critical,
		Category: rule.CategoryRuntime,
		Doc: "The Docker Engine API controls its daemon completely: whoever reaches it starts privileged " +
			"containers on the daemon's host and reads every container's secrets. Port 2375 serves it over plain " +
			"HTTP, normally without authentication, and port 2376 over TLS, which keeps intruders out only if " +
			"client certificates are enforced. The rule flags containerPort and hostPort 2375 or 2376 in init, " +
			"regular and ephemeral containers and Service port or targetPort 2375 or 2376, reporting 2375 as " +
			"critical and 2376 as high.",
		Remediation: "Stop exposing the Docker Engine API on a TCP port, and keep it on a local socket if it must run at all.",
		References: []framework.Ref{
			framework.MITRERef("T1552.007"),
			framework.MITRERef("T1610"),
			framework.MITRERef("T1133"),
		},
	},
	Fixable: true,
	Run: func(pass *rule.Pass) error {
		if svc, ok := pass.Object.Typed.(*corev1.Service); ok {
			checkServicePorts(pass, svc)
			return nil
		}
		pod, ok := pass.Object.PodTemplate()
		if !ok {
			return nil
		}
		for _, c := range pod.Containers() {
			for j, port := range c.Ports {
				p := c.Path.Field("ports").Index(j)
				switch {
				case isDockerAPIPort(port.HostPort):
					f := dockerAPIFinding(p.Field("hostPort"), c.Name, port.HostPort,
						"%s publishes the Docker API on the node's port %d, %s (ports[%d].hostPort)",
						rule.ContainerMessage(c), port.HostPort, transport(port.HostPort), j)
					f.Fix = func() *rule.Fix {
						return &rule.Fix{
							Patch:  []rule.PatchOp{rule.Remove(p.Field("hostPort"))},
							Unsafe: true,
							Note:   "clients that reach the Docker API on the node's address lose it; they should use a local socket instead",
						}
					}
					pass.Report(f)
				case isDockerAPIPort(port.ContainerPort):
					pass.Report(dockerAPIFinding(p.Field("containerPort"), c.Name, port.ContainerPort,
						"%s exposes the Docker API on port %d, %s (ports[%d].containerPort)",
						rule.ContainerMessage(c), port.ContainerPort, transport(port.ContainerPort), j))
				}
			}
		}
		return nil
	},
}

// checkServicePorts reports the Service's ports that are, or forward to, a
// Docker API port. A named targetPort is left alone: the container port it
// names is reported on the workload.
func checkServicePorts(pass *rule.Pass, svc *corev1.Service) {
	exposing := 0
	for _, port := range svc.Spec.Ports {
		if servesDockerAPI(port) {
			exposing++
		}
	}
	for i, port := range svc.Spec.Ports {
		p := object.Path("spec").Field("ports").Index(i)
		var f rule.Finding
		switch target := port.TargetPort; {
		case isDockerAPIPort(port.Port):
			f = dockerAPIFinding(p.Field("port"), "", port.Port,
				"service port %d serves the Docker API, %s (ports[%d].port)", port.Port, transport(port.Port), i)
		case target.Type == intstr.Int && isDockerAPIPort(target.IntVal):
			f = dockerAPIFinding(p.Field("targetPort"), "", target.IntVal,
				"service port %d forwards to the Docker API on port %d, %s (ports[%d].targetPort)",
				port.Port, target.IntVal, transport(target.IntVal), i)
		default:
			continue
		}
		// A Service needs a port: when every port leads to the Docker
		// API, the remedy is to delete the Service, which is no field
		// change.
		if exposing < len(svc.Spec.Ports) {
			number := port.Port
			f.Fix = func() *rule.Fix {
				return &rule.Fix{
					Patch:  []rule.PatchOp{{Op: "test", Path: p.Field("port").Pointer(), Value: number}, rule.Remove(p)},
					Unsafe: true,
					Note:   "clients of this Service port lose the Docker API; they should use a local socket instead",
				}
			}
		}
		pass.Report(f)
	}
}

// servesDockerAPI reports whether a Service port is, or forwards to, a
// Docker API port.
func servesDockerAPI(port corev1.ServicePort) bool {
	return isDockerAPIPort(port.Port) || (port.TargetPort.Type == intstr.Int && isDockerAPIPort(port.TargetPort.IntVal))
}

func isDockerAPIPort(port int32) bool {
	return port == dockerAPIPlain || port == dockerAPITLS
}

// transport says how the Docker API travels on a port, for messages.
func transport(port int32) string {
	if port == dockerAPIPlain {
		return "unencrypted"
	}
	return "over TLS"
}

// dockerAPIFinding builds a finding about a Docker API port: critical for
// the plain-text port, high for the TLS one.
func dockerAPIFinding(p object.Path, container string, port int32, format string, args ...any) rule.Finding {
	severity := rule.Critical
	if port == dockerAPITLS {
		severity = rule.High
	}
	return rule.Finding{Path: p, Container: container, Severity: severity, Message: fmt.Sprintf(format, args...)}
}
