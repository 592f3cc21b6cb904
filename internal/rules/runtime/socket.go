package runtime

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/rule"
	"github.com/palisade-dev/palisade/internal/rules/internal/hostpath"
)

// runtimeSockets are where container runtimes listen, with /var/run written
// as /run, which it links to on current distributions.
var runtimeSockets = []string{
	"/run/docker.sock",
	"/run/docker/containerd/containerd.sock", // containerd managed by Docker Engine
	"/run/containerd/containerd.sock",
	"/run/k3s/containerd/containerd.sock", // k3s and RKE2
	"/run/crio/crio.sock",
	"/run/dockershim.sock",
	"/run/cri-dockerd.sock",
	"/run/podman/podman.sock",
	"/var/snap/microk8s/common/run/containerd.sock",
}

// runtimeSocketNames are the file names of runtime sockets, which the rule
// recognises in any directory.
var runtimeSocketNames = []string{
	"docker.sock", "containerd.sock", "crio.sock", "dockershim.sock", "cri-dockerd.sock", "podman.sock",
}

// ContainerRuntimeSocket reports hostPath volumes that expose a container
// runtime's socket.
var ContainerRuntimeSocket = &rule.Rule{
	Meta: rule.Meta{
		ID:       "container-runtime-socket",
		Title:    "Container runtime socket mounted",
		Severity: rule.Critical,
		Category: rule.CategoryRuntime,
		Doc: "Whoever can write to a container runtime's socket controls the runtime: it can start a privileged " +
			"container with the node's root filesystem mounted, read every container's environment and files, and " +
			"run commands in them, all outside Kubernetes' admission and audit. The rule flags hostPath volumes named like a " +
			"Docker, containerd, CRI-O, dockershim, cri-dockerd or Podman socket wherever they lie, and those of the " +
			"directories holding these sockets in their standard places (/run or /var/run, /run/containerd, " +
			"/run/crio, /run/k3s/containerd, /var/run/docker and their parents).",
		Remediation: "Remove the hostPath volume of the runtime socket, and use the Kubernetes API or a purpose-built agent instead.",
		References: []framework.Ref{
			framework.PSSRef("baseline", "hostPathVolumes"),
			framework.CISRef("5.2.12"),
			framework.MITRERef("T1611"),
			framework.MITRERef("T1552.007"),
			framework.MITRERef("T1610"),
		},
	},
	Fixable: true,
	Run: func(pass *rule.Pass) error {
		pod, ok := pass.Object.PodTemplate()
		if !ok {
			return nil
		}
		for i, v := range pod.Spec.Volumes {
			if v.HostPath == nil {
				continue
			}
			if what := exposedSocket(v.HostPath.Path); what != "" {
				p := pod.SpecPath.Field("volumes").Index(i).Field("hostPath").Field("path")
				pass.Reportf(p, func() *rule.Fix { return removeVolumeFix(pod, i) }, "volume %q mounts %s (hostPath)", v.Name, what)
			}
		}
		return nil
	},
}

// exposedSocket describes the runtime socket that hostPath p exposes, or
// returns "" when it exposes none.
func exposedSocket(p string) string {
	clean := runDir(hostpath.Clean(p))
	if slices.Contains(runtimeSocketNames, path.Base(clean)) {
		return fmt.Sprintf("the container runtime socket %q", p)
	}
	for _, s := range runtimeSockets {
		if hostpath.Within(s, clean) {
			return fmt.Sprintf("host path %q, which holds the container runtime socket %s", p, path.Base(s))
		}
	}
	return ""
}

// runDir rewrites a clean path under /var/run to /run, the directory
// /var/run links to.
func runDir(p string) string {
	if p == "/var/run" || strings.HasPrefix(p, "/var/run/") {
		return strings.TrimPrefix(p, "/var")
	}
	return p
}
