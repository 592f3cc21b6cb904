package controlplane

import (
	"encoding/json"
	"testing"

	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
	"github.com/palisade-dev/palisade/internal/rule/ruletest"
)

// TestFixes pins the patches of representative findings; the fixtures pin
// messages and lines.
func TestFixes(t *testing.T) {
	const apiserver = `apiVersion: v1
kind: Pod
metadata: {name: kube-apiserver}
spec:
  containers:
    - name: kube-apiserver
      image: registry.k8s.io/kube-apiserver:v1.30.0
      command: ["kube-apiserver"]
      args: ["--anonymous-auth=true", "--authorization-mode=Node,AlwaysAllow", "--disable-admission-plugins=NodeRestriction"]
`
	for _, tc := range []struct {
		name   string
		r      *rule.Rule
		doc    string
		want   string
		unsafe bool
	}{
		{"rewrite a flag", APIServerAnonymousAuth, apiserver,
			`[{"op":"test","path":"/spec/containers/0/args/0","value":"--anonymous-auth=true"},{"op":"replace","path":"/spec/containers/0/args/0","value":"--anonymous-auth=false"}]`, true},
		{"drop AlwaysAllow from the list", APIServerAlwaysAllow, apiserver,
			`[{"op":"test","path":"/spec/containers/0/args/1","value":"--authorization-mode=Node,AlwaysAllow"},{"op":"replace","path":"/spec/containers/0/args/1","value":"--authorization-mode=Node"}]`, true},
		{"remove a flag left empty", APIServerNodeRestriction, apiserver,
			`[{"op":"test","path":"/spec/containers/0/args/2","value":"--disable-admission-plugins=NodeRestriction"},{"op":"remove","path":"/spec/containers/0/args/2"}]`, false},
		{"append flags", APIServerAuditLog, apiserver,
			`[{"op":"add","path":"/spec/containers/0/args/-","value":"--audit-log-path=/var/log/kubernetes/audit/audit.log"},{"op":"add","path":"/spec/containers/0/args/-","value":"--audit-policy-file=/etc/kubernetes/audit-policy.yaml"}]`, true},
		{"set an environment variable", EtcdClientCertAuth, `apiVersion: v1
kind: Pod
metadata: {name: etcd}
spec:
  containers:
    - name: etcd
      image: quay.io/coreos/etcd:v3.5.0
      env: [{name: ETCD_CLIENT_CERT_AUTH, value: "false"}]
`, `[{"op":"add","path":"/spec/containers/0/env/0/value","value":"true"}]`, true},
		{"set a configuration field", KubeletAnonymousAuth, `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
authentication: {anonymous: {enabled: true}}
`, `[{"op":"add","path":"/authentication/anonymous/enabled","value":false}]`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := object.Decode("test.yaml", []byte(tc.doc))
			findings, err := ruletest.RunRule(tc.r, res.Objects, rule.Options{}, nil)
			if err != nil || len(findings) != 1 || ruletest.Fix(findings[0]) == nil {
				t.Fatalf("want one finding with a fix, got %+v, %v", findings, err)
			}
			fix := ruletest.Fix(findings[0])
			got, _ := json.Marshal(fix.Patch)
			if string(got) != tc.want || fix.Unsafe != tc.unsafe || fix.Unsafe != (fix.Note != "") {
				t.Errorf("fix = %s (unsafe %v, note %q)\nwant %s (unsafe %v)", got, fix.Unsafe, fix.Note, tc.want, tc.unsafe)
			}
		})
	}
}
