package exposure

import (
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
)

// adminUI is an administrative interface that must not be reachable from
// outside the cluster, with what identifies it.
type adminUI struct {
	name string
	// images are image repositories, matched as imageMatches describes.
	images []string
	// ports identify the interface on their own, for protocols whose port
	// is unambiguous (etcd, the Docker API, the kubelet, SSH). Optional.
	ports    []int32
	severity rule.Severity
}

// kubernetesDashboard is the Kubernetes Dashboard, named so that
// dashboard-insecure-flags can recognise its containers.
var kubernetesDashboard = &adminUI{
	name: "Kubernetes Dashboard",
	images: []string{
		"kubernetesui/dashboard", "kubernetesui/dashboard-amd64",
		"kubernetesui/dashboard-api", "kubernetesui/dashboard-web",
		"k8s.gcr.io/kubernetes-dashboard-amd64", "gcr.io/google_containers/kubernetes-dashboard-amd64", // before v2
	},
	severity: rule.Critical,
}

// adminUIs is the signature table of exposed-admin-ui. To recognise another
// interface, add an entry; the first entry that matches wins.
var adminUIs = []*adminUI{
	kubernetesDashboard,
	{name: "etcd", images: []string{"quay.io/coreos/etcd", "gcr.io/etcd-development/etcd", "registry.k8s.io/etcd", "k8s.gcr.io/etcd", "bitnami/etcd"}, ports: []int32{2379, 2380}, severity: rule.Critical},
	{name: "Docker API", ports: []int32{2375, 2376}, severity: rule.Critical},
	{name: "kubelet API", ports: []int32{10250, 10255}, severity: rule.Critical},
	{name: "Argo CD", images: []string{"argoproj/argocd", "bitnami/argo-cd"}, severity: rule.High},
	{name: "Argo Workflows", images: []string{"argoproj/argocli"}, severity: rule.High},
	{name: "Kubeflow Central Dashboard", images: []string{"kubeflow-images-public/centraldashboard", "kubeflownotebookswg/centraldashboard", "kubeflow/kubeflow/central-dashboard"}, severity: rule.High},
	{name: "Jenkins", images: []string{"jenkins/jenkins", "jenkinsci/jenkins", "jenkins", "bitnami/jenkins"}, severity: rule.High},
	{name: "Grafana", images: []string{"grafana/grafana", "grafana/grafana-oss", "grafana/grafana-enterprise", "bitnami/grafana"}, severity: rule.High},
	{name: "Prometheus", images: []string{"prom/prometheus", "prometheus/prometheus", "bitnami/prometheus"}, severity: rule.High},
	{name: "Alertmanager", images: []string{"prom/alertmanager", "prometheus/alertmanager", "bitnami/alertmanager"}, severity: rule.High},
	{name: "Kibana", images: []string{"kibana/kibana", "kibana", "bitnami/kibana"}, severity: rule.High},
	{name: "Weave Scope", images: []string{"weaveworks/scope"}, severity: rule.High},
	{name: "Rancher", images: []string{"rancher/rancher"}, severity: rule.High},
	{name: "Portainer", images: []string{"portainer/portainer-ce", "portainer/portainer-ee", "portainer/portainer"}, severity: rule.High},
	{name: "SSH", ports: []int32{22}, severity: rule.High},
}

// uiByImage returns the interface that image runs, or nil.
func uiByImage(image string) *adminUI {
	repo := repository(image)
	for _, ui := range adminUIs {
		for _, sig := range ui.images {
			if imageMatches(repo, sig) {
				return ui
			}
		}
	}
	return nil
}

// uiByPort returns the interface that a TCP port identifies, or nil.
func uiByPort(port int32) *adminUI {
	for _, ui := range adminUIs {
		for _, p := range ui.ports {
			if p == port {
				return ui
			}
		}
	}
	return nil
}

// imageMatches reports whether repository repo is signature sig. A
// signature with a path ("grafana/grafana") also matches at the end of a
// longer repository, so that the image found under another registry or a
// pull-through mirror still matches: "quay.io/prometheus/prometheus" and
// "mirror.example.com/grafana/grafana" match "prometheus/prometheus" and
// "grafana/grafana". A signature of one element is an official Docker Hub
// image ("kibana") and matches only itself. Signatures whose last element is
// generic ("etcd") therefore name their registry.
func imageMatches(repo, sig string) bool {
	if repo == sig {
		return true
	}
	// A signature with a path also matches behind any registry or mirror
	// prefix: repo ends in "/"+sig (checked without building that string).
	n := len(repo) - len(sig)
	return strings.Contains(sig, "/") && n > 0 && repo[n-1] == '/' && repo[n:] == sig
}

// repository returns the repository of an image reference without tag,
// digest or the implicit Docker Hub prefixes, so that "grafana/grafana:11",
// "docker.io/grafana/grafana@sha256:..." and "grafana/grafana" compare equal,
// as do "kibana:8.15.0" and "docker.io/library/kibana".
func repository(image string) string {
	repo, _, _ := strings.Cut(image, "@")
	if i := strings.LastIndexByte(repo, ':'); i > strings.LastIndexByte(repo, '/') {
		repo = repo[:i]
	}
	for _, prefix := range []string{"docker.io/", "index.docker.io/", "registry-1.docker.io/"} {
		repo = strings.TrimPrefix(repo, prefix)
	}
	return strings.TrimPrefix(repo, "library/")
}

// servingContainers returns the containers of pod that run for the pod's
// whole life and so can answer a Service: regular containers and sidecars
// (init containers with restartPolicy Always). Other init containers have
// exited before the pod is ready, and ephemeral containers may not declare
// ports.
func servingContainers(pod object.PodTemplate) []object.Container {
	var out []object.Container
	for _, c := range pod.Containers() {
		sidecar := c.Kind == object.InitContainer && c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
		if c.Kind == object.RegularContainer || sidecar {
			out = append(out, c)
		}
	}
	return out
}
