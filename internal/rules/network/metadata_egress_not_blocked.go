package network

import (
	"net/netip"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
	"github.com/palisade-dev/palisade/internal/rules/internal/selectors"
)

// metadataAddrs are the addresses of the cloud instance metadata services:
// the link-local address that AWS, Azure, GCP, OCI and others use, and
// AWS's IPv6 endpoint. Both answer on TCP port 80.
var metadataAddrs = []netip.Addr{
	netip.MustParseAddr("169.254.169.254"),
	netip.MustParseAddr("fd00:ec2::254"),
}

const metadataPort = 80

// MetadataEgressNotBlocked reports egress paths to the cloud instance
// metadata service: NetworkPolicy egress rules that allow it, and workloads
// whose egress no NetworkPolicy restricts.
var MetadataEgressNotBlocked = &rule.Rule{
	Meta: rule.Meta{
		ID:           "metadata-egress-not-blocked",
		NeedsContext: true,
		Title:        "Egress to the cloud metadata service not blocked",
		Severity:     rule.High,
		Category:     rule.CategoryNetwork,
		Doc: "The instance metadata service hands out the node's cloud credentials to anything that can reach it, " +
			"so a pod that can reach 169.254.169.254 (or fd00:ec2::254 on AWS IPv6) can act as the node in the cloud " +
			"account. The rule reports NetworkPolicy egress rules that allow TCP port 80 to every destination (no " +
			"`to`) or to an ipBlock containing a metadata address that its except list does not exclude, and " +
			"workloads whose pods no policy with Egress in its policyTypes selects; pods on the host network are " +
			"skipped. It matters where pods can reach the node's metadata endpoint, and judges only the " +
			"NetworkPolicies of the scan.",
		Remediation: "Add 169.254.169.254/32 (and fd00:ec2::254/128) to the except list of every egress ipBlock that contains it, and give every workload an egress policy.",
		References: []framework.Ref{
			framework.MITRERef("T1552.005"),
			framework.NSARef("cloud-infrastructure"),
			framework.NSARef("network-policies"),
		},
	},
	Fixable: true,
	Run: func(pass *rule.Pass) error {
		if pol, ok := pass.Object.Typed.(*networkingv1.NetworkPolicy); ok {
			checkEgressRules(pass, pol)
			return nil
		}
		pod, ok := pass.Object.PodTemplate()
		if !ok || pod.Spec.HostNetwork {
			return nil
		}
		for _, pol := range selectors.PoliciesFor(pass.Set, pass.Object) {
			if affects(pol, networkingv1.PolicyTypeEgress) {
				return nil
			}
		}
		pass.Reportf(pod.MetaPath.Field("labels"), nil, "no egress NetworkPolicy selects the pods of %s, so they can reach the cloud metadata service at %s", pass.Object.Ref(), metadataAddrs[0])
		return nil
	},
}

// checkEgressRules reports the egress rules of pol that let its pods reach a
// metadata address.
func checkEgressRules(pass *rule.Pass, pol *networkingv1.NetworkPolicy) {
	if !affects(pol, networkingv1.PolicyTypeEgress) {
		return
	}
	for i, r := range pol.Spec.Egress {
		if !allowsPort(r.Ports, metadataPort) {
			continue
		}
		rp := object.Path("spec").Field("egress").Index(i)
		if len(r.To) == 0 {
			pass.Reportf(rp, nil, "%s allows egress to every destination in spec.egress[%d], including the cloud metadata service at %s", pass.Object.Ref(), i, metadataAddrs[0])
			continue
		}
		for j, peer := range r.To {
			if peer.IPBlock == nil {
				continue
			}
			bp := rp.Field("to").Index(j).Field("ipBlock")
			for _, addr := range metadataAddrs {
				if blockReaches(peer.IPBlock, addr) {
					host := netip.PrefixFrom(addr, addr.BitLen())
					block := peer.IPBlock
					fix := func() *rule.Fix { return exceptFix(bp, block, host) }
					pass.Reportf(bp.Field("cidr"), fix,
						"%s allows egress to %s without excepting the cloud metadata service %s (spec.egress[%d].to[%d].ipBlock)", pass.Object.Ref(), peer.IPBlock.CIDR, host, i, j)
				}
			}
		}
	}
}

// blockReaches reports whether ipBlock b lets traffic to addr through. A
// CIDR the API server would reject lets nothing through.
func blockReaches(b *networkingv1.IPBlock, addr netip.Addr) bool {
	cidr, err := netip.ParsePrefix(b.CIDR)
	if err != nil || !cidr.Contains(addr) {
		return false
	}
	for _, e := range b.Except {
		if ex, err := netip.ParsePrefix(e); err == nil && ex.Contains(addr) {
			return false
		}
	}
	return true
}

// allowsPort reports whether an egress rule with ports lets TCP traffic to
// port through: no ports means all, a port without a number means every port
// of its protocol, and a named port names a pod's container port, never an
// external address's.
func allowsPort(ports []networkingv1.NetworkPolicyPort, port int32) bool {
	if len(ports) == 0 {
		return true
	}
	for _, p := range ports {
		if p.Protocol != nil && *p.Protocol != corev1.ProtocolTCP {
			continue
		}
		if p.Port == nil {
			return true
		}
		if p.Port.Type != intstr.Int {
			continue
		}
		end := p.Port.IntVal
		if p.EndPort != nil {
			end = *p.EndPort
		}
		if p.Port.IntVal <= port && port <= end {
			return true
		}
	}
	return false
}

// exceptFix adds host to the except list of the ipBlock at p. Pods that
// take cloud credentials from the metadata service lose them, so the fix is
// unsafe.
func exceptFix(p object.Path, b *networkingv1.IPBlock, host netip.Prefix) *rule.Fix {
	op := rule.Set(p.Field("except"), []string{host.String()})
	if len(b.Except) > 0 {
		op = rule.Set(p.Field("except").Index(len(b.Except)), host.String())
	}
	return &rule.Fix{
		Patch:  []rule.PatchOp{op},
		Unsafe: true,
		Note:   "pods that take cloud credentials from the instance metadata service, rather than from workload identity, lose them",
	}
}
