package exposure

import (
	"reflect"
	"testing"

	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
	"github.com/palisade-dev/palisade/internal/rule/ruletest"
)

func TestRepository(t *testing.T) {
	tests := map[string]string{
		"grafana/grafana":                        "grafana/grafana",
		"grafana/grafana:11.2.0":                 "grafana/grafana",
		"docker.io/grafana/grafana@sha256:abcd":  "grafana/grafana",
		"grafana/grafana:11.2.0@sha256:abcd":     "grafana/grafana",
		"index.docker.io/library/kibana:8.15.0":  "kibana",
		"kibana":                                 "kibana",
		"localhost:5000/prom/prometheus":         "localhost:5000/prom/prometheus",
		"localhost:5000/prom/prometheus:v2.54.1": "localhost:5000/prom/prometheus",
		"quay.io/coreos/etcd:v3.5.15":            "quay.io/coreos/etcd",
	}
	for image, want := range tests {
		if got := repository(image); got != want {
			t.Errorf("repository(%q) = %q, want %q", image, got, want)
		}
	}
}

func TestUIByImage(t *testing.T) {
	tests := map[string]string{
		"kubernetesui/dashboard:v2.7.0":                         "Kubernetes Dashboard",
		"k8s.gcr.io/kubernetes-dashboard-amd64:v1.10.1":         "Kubernetes Dashboard",
		"quay.io/argoproj/argocd:v2.12.3":                       "Argo CD",
		"quay.io/argoproj/argocli:v3.5.10":                      "Argo Workflows",
		"docker.io/kubeflownotebookswg/centraldashboard:v1.9.0": "Kubeflow Central Dashboard",
		"jenkins/jenkins:lts":                                   "Jenkins",
		"grafana/grafana-oss:11.2.0":                            "Grafana",
		"quay.io/prometheus/prometheus:v2.54.1":                 "Prometheus",
		"quay.io/prometheus/alertmanager:v0.27.0":               "Alertmanager",
		"docker.elastic.co/kibana/kibana:8.15.0":                "Kibana",
		"kibana:8.15.0":                                         "Kibana",
		"weaveworks/scope:1.13.2":                               "Weave Scope",
		"rancher/rancher:v2.9.1":                                "Rancher",
		"portainer/portainer-ce:2.21.0":                         "Portainer",
		"registry.k8s.io/etcd:3.5.15-0":                         "etcd",
		"gcr.io/etcd-development/etcd:v3.5.15":                  "etcd",
		"harbor.example.com/dockerhub/grafana/grafana:11.2.0":   "Grafana",
		// Near misses.
		"kubernetesui/metrics-scraper:v1.0.8": "",
		"grafana/loki:3.1.1":                  "",
		"example.com/team/kibana":             "", // one-element signatures match only the official image
		"example.com/etcd":                    "",
		"prom/node-exporter:v1.8.2":           "",
		"jenkins/inbound-agent:latest":        "",
	}
	for image, want := range tests {
		got := ""
		if ui := uiByImage(image); ui != nil {
			got = ui.name
		}
		if got != want {
			t.Errorf("uiByImage(%q) = %q, want %q", image, got, want)
		}
	}
}

func TestAdminUITable(t *testing.T) {
	for _, ui := range adminUIs {
		if ui.name == "" || len(ui.images)+len(ui.ports) == 0 || !ui.severity.Valid() {
			t.Errorf("incomplete signature %+v", ui)
		}
	}
}

func TestHostMatches(t *testing.T) {
	tests := []struct {
		pattern, host string
		want          bool
	}{
		{"shop.example.com", "shop.example.com", true},
		{"Shop.Example.com", "shop.example.COM", true},
		{"shop.example.com", "www.example.com", false},
		{"*.example.com", "a.example.com", true},
		{"*.example.com", "A.Example.com", true},
		{"*.example.com", "example.com", false},
		{"*.example.com", "a.b.example.com", false},
		{"*.example.com", ".example.com", false},
		{"*.example.com", "*.example.com", true},
		{"*example.com", "aexample.com", false},
	}
	for _, tt := range tests {
		if got := hostMatches(tt.pattern, tt.host); got != tt.want {
			t.Errorf("hostMatches(%q, %q) = %v, want %v", tt.pattern, tt.host, got, tt.want)
		}
	}
}

func TestDashboardFlagsFix(t *testing.T) {
	res := object.Decode("test.yaml", []byte(`
apiVersion: v1
kind: Pod
metadata: {name: dashboard}
spec:
  containers:
    - name: dashboard
      image: kubernetesui/dashboard:v2.7.0
      args: [--enable-skip-login, --insecure-bind-address, 0.0.0.0]
`))
	findings, err := ruletest.RunRule(DashboardInsecureFlags, res.Objects, rule.Options{}, nil)
	if err != nil || len(findings) != 2 {
		t.Fatalf("got %d findings (error %v), want 2", len(findings), err)
	}
	want := []*rule.Fix{
		{Patch: []rule.PatchOp{
			{Op: "test", Path: "/spec/containers/0/args/0", Value: "--enable-skip-login"},
			{Op: "remove", Path: "/spec/containers/0/args/0"},
		}},
		{Patch: []rule.PatchOp{
			{Op: "test", Path: "/spec/containers/0/args/1", Value: "--insecure-bind-address"},
			{Op: "test", Path: "/spec/containers/0/args/2", Value: "0.0.0.0"},
			{Op: "remove", Path: "/spec/containers/0/args/2"},
			{Op: "remove", Path: "/spec/containers/0/args/1"},
		}, Unsafe: true, Note: flagNamed(t, "insecure-bind-address").breaks},
	}
	for i, f := range findings {
		if fix := ruletest.Fix(f); !reflect.DeepEqual(fix, want[i]) {
			t.Errorf("finding %d fix = %+v, want %+v", i, fix, want[i])
		}
	}
	if findings[0].Severity != rule.Critical || findings[1].Severity != rule.High {
		t.Errorf("severities = %v, %v; want critical, high", findings[0].Severity, findings[1].Severity)
	}
}

func flagNamed(t *testing.T, name string) dashboardFlag {
	t.Helper()
	for _, f := range dashboardFlags {
		if f.name == name {
			return f
		}
	}
	t.Fatalf("no dashboard flag %q", name)
	return dashboardFlag{}
}

func TestExposedAdminUISeverity(t *testing.T) {
	res := object.Decode("test.yaml", []byte(`
apiVersion: v1
kind: Pod
metadata: {name: tools, labels: {app: tools}}
spec:
  containers:
    - {name: dashboard, image: kubernetesui/dashboard:v2.7.0}
    - {name: grafana, image: grafana/grafana:11.2.0}
---
apiVersion: v1
kind: Service
metadata: {name: tools}
spec:
  type: NodePort
  selector: {app: tools}
  ports: [{port: 443}]
`))
	findings, err := ruletest.RunRule(ExposedAdminUI, res.Objects, rule.Options{}, nil)
	if err != nil || len(findings) != 2 {
		t.Fatalf("got %d findings (error %v), want 2", len(findings), err)
	}
	if findings[0].Severity != rule.Critical || findings[1].Severity != rule.High {
		t.Errorf("severities = %v, %v; want critical (Dashboard), high (Grafana)", findings[0].Severity, findings[1].Severity)
	}
}
