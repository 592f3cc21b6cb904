package network

import (
	"net/netip"
	"reflect"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
	"github.com/palisade-dev/palisade/internal/rule/ruletest"
)

func decode(t *testing.T, manifest string) []*object.Object {
	t.Helper()
	res := object.Decode("test.yaml", []byte(manifest))
	for _, err := range res.Errors {
		t.Fatal(err)
	}
	return res.Objects
}

func policy(t *testing.T, spec string) *networkingv1.NetworkPolicy {
	t.Helper()
	objs := decode(t, "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\nspec:\n"+spec)
	return objs[0].Typed.(*networkingv1.NetworkPolicy)
}

func TestDeniesByDefault(t *testing.T) {
	tests := []struct {
		name, spec      string
		ingress, egress bool
	}{
		{"no policyTypes means ingress", `  podSelector: {}`, true, false},
		{"egress rules imply egress", "  podSelector: {}\n  egress: [{to: [{ipBlock: {cidr: 10.0.0.0/8}}]}]", true, true},
		{"both", `  {podSelector: {}, policyTypes: [Ingress, Egress]}`, true, true},
		{"egress only", `  {podSelector: {}, policyTypes: [Egress]}`, false, true},
		{"some pods only", `  {podSelector: {matchLabels: {app: web}}, policyTypes: [Ingress, Egress]}`, false, false},
		{"expressions select some pods", `  {podSelector: {matchExpressions: [{key: app, operator: Exists}]}, policyTypes: [Ingress]}`, false, false},
		{"allow rules keep the default deny", `  {podSelector: {}, policyTypes: [Ingress, Egress], ingress: [{from: [{podSelector: {}}]}], egress: [{ports: [{port: 53, protocol: UDP}]}]}`, true, true},
		{"an empty rule allows everything", `  {podSelector: {}, policyTypes: [Ingress, Egress], ingress: [{}], egress: [{}]}`, false, false},
		{"egress rules not enforced", `  {podSelector: {}, policyTypes: [Ingress], egress: [{}]}`, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pol := policy(t, tt.spec)
			if got := deniesByDefault(pol, networkingv1.PolicyTypeIngress); got != tt.ingress {
				t.Errorf("ingress: got %v, want %v", got, tt.ingress)
			}
			if got := deniesByDefault(pol, networkingv1.PolicyTypeEgress); got != tt.egress {
				t.Errorf("egress: got %v, want %v", got, tt.egress)
			}
		})
	}
}

func TestAllowsPort(t *testing.T) {
	tests := []struct {
		ports string
		want  bool
	}{
		{`[]`, true},
		{`[{port: 80}]`, true},
		{`[{port: 80, protocol: TCP}]`, true},
		{`[{port: 80, protocol: UDP}]`, false},
		{`[{port: 443}]`, false},
		{`[{port: 1, endPort: 1024}]`, true},
		{`[{port: 81, endPort: 1024}]`, false},
		{`[{protocol: TCP}]`, true},
		{`[{protocol: SCTP}]`, false},
		{`[{port: http}]`, false},
		{`[{port: 443}, {port: 80}]`, true},
	}
	for _, tt := range tests {
		pol := policy(t, "  podSelector: {}\n  egress: [{ports: "+tt.ports+"}]")
		if got := allowsPort(pol.Spec.Egress[0].Ports, 80); got != tt.want {
			t.Errorf("allowsPort(%s, 80) = %v, want %v", tt.ports, got, tt.want)
		}
	}
}

func TestBlockReaches(t *testing.T) {
	v4, v6 := metadataAddrs[0], metadataAddrs[1]
	tests := []struct {
		block networkingv1.IPBlock
		addr  netip.Addr
		want  bool
	}{
		{networkingv1.IPBlock{CIDR: "0.0.0.0/0"}, v4, true},
		{networkingv1.IPBlock{CIDR: "0.0.0.0/0", Except: []string{"169.254.169.254/32"}}, v4, false},
		{networkingv1.IPBlock{CIDR: "0.0.0.0/0", Except: []string{"169.254.0.0/16"}}, v4, false},
		{networkingv1.IPBlock{CIDR: "0.0.0.0/0", Except: []string{"10.0.0.0/8"}}, v4, true},
		{networkingv1.IPBlock{CIDR: "169.254.169.254/32"}, v4, true},
		{networkingv1.IPBlock{CIDR: "10.0.0.0/8"}, v4, false},
		{networkingv1.IPBlock{CIDR: "0.0.0.0/0"}, v6, false},
		{networkingv1.IPBlock{CIDR: "::/0"}, v6, true},
		{networkingv1.IPBlock{CIDR: "::/0", Except: []string{"fd00:ec2::/64"}}, v6, false},
		{networkingv1.IPBlock{CIDR: "not-a-cidr"}, v4, false},
	}
	for _, tt := range tests {
		if got := blockReaches(&tt.block, tt.addr); got != tt.want {
			t.Errorf("blockReaches(%+v, %s) = %v, want %v", tt.block, tt.addr, got, tt.want)
		}
	}
}

func TestMetadataEgressFix(t *testing.T) {
	objs := decode(t, `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: internet}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
    - to:
        - ipBlock: {cidr: 0.0.0.0/0}
        - ipBlock: {cidr: "::/0", except: ["2001:db8::/32"]}
`)
	findings, err := ruletest.RunRule(MetadataEgressNotBlocked, objs, rule.Options{}, nil)
	if err != nil || len(findings) != 2 {
		t.Fatalf("got %d findings (error %v), want 2", len(findings), err)
	}
	want := [][]rule.PatchOp{
		{{Op: "add", Path: "/spec/egress/0/to/0/ipBlock/except", Value: []string{"169.254.169.254/32"}}},
		{{Op: "add", Path: "/spec/egress/0/to/1/ipBlock/except/1", Value: "fd00:ec2::254/128"}},
	}
	for i, f := range findings {
		if fix := ruletest.Fix(f); fix == nil || !fix.Unsafe || !reflect.DeepEqual(fix.Patch, want[i]) {
			t.Errorf("finding %d fix = %+v, want unsafe %+v", i, fix, want[i])
		}
	}
}
