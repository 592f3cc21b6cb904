package lifecycle

import (
	"fmt"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
)

// NodeDockerRuntime reports nodes that run containers with Docker Engine.
var NodeDockerRuntime = &rule.Rule{
	Meta: rule.Meta{
		ID:       "node-docker-runtime",
		Title:    "Node running containers with Docker Engine",
		Severity: rule.Medium,
		Category: rule.CategoryLifecycle,
		Doc: "The kubelet's built-in Docker support (dockershim) was removed in Kubernetes 1.24; a node that " +
			"still reports a docker:// container runtime runs either a kubelet older than 1.24, long past its end " +
			"of life and without security fixes (high), or Docker Engine through the out-of-tree cri-dockerd " +
			"adapter (medium), which adds the Docker daemon and its root-equivalent socket to every node's attack " +
			"surface and is not what the Kubernetes project tests. The rule reads status.nodeInfo of Node objects, " +
			"as a live cluster reports them.",
		Remediation: "Drain the node and move it to containerd or CRI-O with a supported kubelet.",
		References: []framework.Ref{
			framework.NSARef("upgrading"),
			framework.MITRERef("T1611"),
		},
	},
	Run: func(pass *rule.Pass) error {
		n, ok := pass.Object.Typed.(*corev1.Node)
		if !ok {
			return nil
		}
		rt := n.Status.NodeInfo.ContainerRuntimeVersion
		if !strings.HasPrefix(rt, "docker://") {
			return nil
		}
		p := object.Path("status").Field("nodeInfo").Field("containerRuntimeVersion")
		if minor, ok := kubeletMinor(n.Status.NodeInfo.KubeletVersion); ok && minor < 24 {
			pass.Report(rule.Finding{Path: p, Severity: rule.High, Message: fmt.Sprintf(
				"node %q runs containers through dockershim (kubelet %s, runtime %s), which Kubernetes removed in v1.24",
				n.Name, n.Status.NodeInfo.KubeletVersion, rt)})
			return nil
		}
		pass.Reportf(p, nil, "node %q runs containers with Docker Engine through cri-dockerd (runtime %s)", n.Name, rt)
		return nil
	},
}

// supportedMinors is how many minor releases the Kubernetes project
// supports at a time: the newest three.
const supportedMinors = 3

// NodeKubeletEOL reports nodes whose kubelet is older than every release
// the Kubernetes project still supports.
var NodeKubeletEOL = &rule.Rule{
	Meta: rule.Meta{
		ID:       "node-kubelet-end-of-life",
		Title:    "Node running an end-of-life kubelet",
		Severity: rule.High,
		Category: rule.CategoryLifecycle,
		Doc: "The Kubernetes project patches the three newest minor releases; a kubelet older than that gets no " +
			"security fixes, so known vulnerabilities in it (and in the container runtime integration it ships " +
			"with) stay open on the node. The rule compares status.nodeInfo.kubeletVersion of each Node with the " +
			"newest release Palisade knows (v1." + strconv.Itoa(latestMinor) + ") and flags kubelets more than two minor " +
			"releases older. Providers' extended support is not taken into account.",
		Remediation: "Upgrade the node to a supported Kubernetes release.",
		References: []framework.Ref{
			framework.NSARef("upgrading"),
			framework.MITRERef("T1068"),
		},
	},
	Run: func(pass *rule.Pass) error {
		n, ok := pass.Object.Typed.(*corev1.Node)
		if !ok {
			return nil
		}
		v := n.Status.NodeInfo.KubeletVersion
		minor, ok := kubeletMinor(v)
		oldest := latestMinor - supportedMinors + 1
		if !ok || minor >= oldest {
			return nil
		}
		pass.Reportf(object.Path("status").Field("nodeInfo").Field("kubeletVersion"), nil,
			"node %q runs kubelet %s, which is past its end of life (supported releases are v1.%d to v1.%d)", n.Name, v, oldest, latestMinor)
		return nil
	},
}

// kubeletMinor returns the minor version of a kubelet version such as
// v1.29.3 or v1.29.3-eks-1.
func kubeletMinor(v string) (int, bool) {
	m := kubeVersionRE.FindStringSubmatch(v)
	if m == nil {
		return 0, false
	}
	n, err := strconv.Atoi(m[1])
	return n, err == nil
}
