package e2e_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	jsonreport "github.com/palisade-dev/palisade/internal/report/json"
	"github.com/palisade-dev/palisade/test/apiserver"
)

const clusterObjects = `
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: NS-policy
webhooks:
  - name: pods.policy.example.com
    failurePolicy: Ignore
    sideEffects: None
    timeoutSeconds: 1
    admissionReviewVersions: ["v1"]
    clientConfig:
      url: https://policy.example.invalid/validate
    # Matches no namespace, so that the server never calls it.
    namespaceSelector:
      matchLabels: {palisade-test: never}
    rules:
      - apiGroups: [""]
        apiVersions: ["v1"]
        operations: ["CREATE"]
        resources: ["pods"]
---
apiVersion: v1
kind: Secret
metadata:
  name: legacy-token
  annotations:
    kubernetes.io/service-account.name: default
type: kubernetes.io/service-account-token
---
apiVersion: v1
kind: Secret
metadata:
  name: forgotten
type: Opaque
stringData:
  key: value
`

// TestClusterChecks creates what only a live cluster has (nodes with their
// status, webhooks, token Secrets, unused Secrets) and scans for it.
func TestClusterChecks(t *testing.T) {
	srv := apiserver.Shared(t)
	ctx := context.Background()
	ns := srv.Namespace(t, "checks")
	srv.Create(t, ns, strings.ReplaceAll(clusterObjects, "NS", ns))
	nodes := []struct{ name, kubelet, runtime string }{
		{ns + "-dockershim", "v1.23.17", "docker://20.10.21"},
		{ns + "-eol", "v1.30.4", "containerd://1.7.20"},
		{ns + "-current", "v1.37.2", "containerd://2.1.4"},
	}
	for _, n := range nodes {
		node, err := srv.Client().CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: n.name}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		node.Status.NodeInfo = corev1.NodeSystemInfo{KubeletVersion: n.kubelet, ContainerRuntimeVersion: n.runtime}
		if _, err := srv.Client().CoreV1().Nodes().UpdateStatus(ctx, node, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}

	d, _ := scanJSON(t, "--cluster", "--kubeconfig", srv.Kubeconfig(t, apiserver.Admin), "-A")
	has := func(rule, kind, name, msg string) bool {
		for _, f := range d.Findings {
			if f.RuleID == rule && f.Object.Kind == kind && f.Object.Name == name && strings.Contains(f.Message, msg) {
				return true
			}
		}
		return false
	}
	for _, want := range []struct{ rule, kind, name, msg string }{
		{"node-docker-runtime", "Node", ns + "-dockershim", "dockershim"},
		{"node-kubelet-end-of-life", "Node", ns + "-dockershim", "v1.23.17"},
		{"node-kubelet-end-of-life", "Node", ns + "-eol", "v1.30.4"},
		{"namespace-pss-label-missing", "Namespace", ns, "enforces no Pod Security Standard"},
		{"webhook-fail-open", "ValidatingWebhookConfiguration", ns + "-policy", "failurePolicy: Ignore"},
		{"service-account-token-secret", "Secret", "legacy-token", `ServiceAccount "default"`},
		{"secret-unused", "Secret", "forgotten", "used by no workload"},
	} {
		if !has(want.rule, want.kind, want.name, want.msg) {
			t.Errorf("no %s finding on %s %s", want.rule, want.kind, want.name)
		}
	}
	for _, f := range d.Findings {
		if f.Object.Name == ns+"-current" {
			t.Errorf("finding on a current node: %s", f.Message)
		}
		if f.Line != 0 {
			t.Errorf("cluster finding with a line number: %+v", f)
		}
	}
}

// TestAttackPathGraph scans the attack-path fixtures from the cluster and
// from files, and writes the graph in both formats.
func TestAttackPathGraph(t *testing.T) {
	srv := apiserver.Shared(t)
	ns := srv.Namespace(t, "paths")
	file, text := writeManifests(t, "paths.yaml", ns)
	srv.Create(t, ns, text)
	kubeconfig := srv.Kubeconfig(t, apiserver.Admin)
	dir := t.TempDir()
	dot, mermaid := filepath.Join(dir, "paths.dot"), filepath.Join(dir, "paths.mmd")
	live, _ := scanJSON(t, "--cluster", "--kubeconfig", kubeconfig, "-A", "--graph", dot)
	scanJSON(t, "--cluster", "--kubeconfig", kubeconfig, "-A", "--graph", mermaid)
	files, _ := scanJSON(t, file)

	paths := func(d jsonreport.Document) map[string]string {
		out := map[string]string{}
		for _, f := range d.Findings {
			if f.RuleID == "attack-path" && f.Object.Namespace == ns {
				out[f.Message] = f.Severity
			}
		}
		return out
	}
	fromCluster, fromFiles := paths(live), paths(files)
	for _, want := range []struct{ msg, severity string }{
		{"attack path from LoadBalancer Service " + ns + "/dashboard through Deployment " + ns + "/dashboard and ServiceAccount " + ns + "/dashboard to cluster-admin-equivalent power", "critical"},
		{"attack path from NodePort Service " + ns + "/debug through Deployment " + ns + "/debug to the node that runs Deployment " + ns + "/debug (and every pod and secret on it)", "critical"},
	} {
		if fromCluster[want.msg] != want.severity {
			t.Errorf("cluster scan: want %s path %q; have %v", want.severity, want.msg, fromCluster)
		}
		if fromFiles[want.msg] != want.severity {
			t.Errorf("file scan: want %s path %q; have %v", want.severity, want.msg, fromFiles)
		}
	}
	for _, f := range []struct{ file, want string }{{dot, "digraph attack_paths"}, {mermaid, "flowchart LR"}} {
		data, err := os.ReadFile(f.file)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(data), f.want) || !strings.Contains(string(data), ns+"/dashboard") {
			t.Errorf("%s:\n%s", f.file, data)
		}
	}
}
