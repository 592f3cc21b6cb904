package runtime

import (
	"testing"

	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
	"github.com/palisade-dev/palisade/internal/rule/ruletest"
)

func TestDindImage(t *testing.T) {
	for image, want := range map[string]bool{
		"docker:dind":                            true,
		"docker:27.3-dind":                       true,
		"docker:dind-rootless":                   true,
		"docker.io/library/docker:27-dind":       true,
		"localhost:5000/docker:dind@sha256:abcd": true,
		"docker:27.3":                            false,
		"docker:27.3-cli":                        false,
		"docker":                                 false,
		"example.com/dind:1.0":                   false,
		"example.com/docker-dind:1.0":            false,
		"localhost:5000/docker":                  false,
	} {
		if got := dindImage(image); got != want {
			t.Errorf("dindImage(%q) = %v, want %v", image, got, want)
		}
	}
}

func TestExposedSocket(t *testing.T) {
	for p, want := range map[string]bool{
		"/var/run/docker.sock":                  true,
		"/run/docker.sock":                      true,
		"/var/run/":                             true,
		"/run/containerd":                       true,
		"/var/run/containerd":                   true,
		"/var/snap/microk8s/common/run":         true,
		"/home/ci/.docker/run/podman.sock":      true,
		"/run/containerd/runc":                  false,
		"/var/lib/containerd":                   false,
		"/var/run/secrets":                      false,
		"/run/docker.sock.bak":                  false,
		"/var/lib/kubelet/pod-resources":        false,
		"/var/lib/kubelet/plugins/kubelet.sock": false,
	} {
		if got := exposedSocket(p) != ""; got != want {
			t.Errorf("exposedSocket(%q) reports %v, want %v", p, got, want)
		}
	}
}

// TestSeverities checks the per-finding severities: privileged
// Docker-in-Docker and the plain-text API port are critical, the rest keep
// or lower the rule's severity.
func TestSeverities(t *testing.T) {
	for _, tc := range []struct {
		name string
		rule *rule.Rule
		yaml string
		want []rule.Severity
	}{{
		name: "docker-in-docker",
		rule: DockerInDocker,
		yaml: `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
    - {name: a, image: "docker:dind", securityContext: {privileged: true}}
    - {name: b, image: "docker:dind"}
`,
		want: []rule.Severity{rule.Critical, rule.High},
	}, {
		name: "docker-api-port",
		rule: DockerAPIPort,
		yaml: `apiVersion: v1
kind: Service
metadata: {name: s}
spec:
  ports: [{port: 2375}, {port: 443, targetPort: 2376}]
`,
		want: []rule.Severity{rule.Critical, rule.High},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			res := object.Decode("test.yaml", []byte(tc.yaml))
			findings, err := ruletest.RunRule(tc.rule, res.Objects, rule.Options{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(findings) != len(tc.want) {
				t.Fatalf("got %d findings, want %d", len(findings), len(tc.want))
			}
			for i, f := range findings {
				if f.Severity != tc.want[i] {
					t.Errorf("%s: severity %v, want %v", f.Message, f.Severity, tc.want[i])
				}
			}
		})
	}
}
