package exposure

import (
	"net/netip"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
)

// sourceRangesAnnotation is the older way to restrict a load balancer's
// clients; cloud providers read it when spec.loadBalancerSourceRanges is
// empty.
const sourceRangesAnnotation = "service.beta.kubernetes.io/load-balancer-source-ranges"

// LoadBalancerSourceRanges reports internet-facing LoadBalancer Services
// that accept connections from any address.
var LoadBalancerSourceRanges = &rule.Rule{
	Meta: rule.Meta{
		ID:       "load-balancer-source-ranges",
		Title:    "LoadBalancer Service open to any source address",
		Severity: rule.Medium,
		Category: rule.CategoryExposure,
		Doc: "A LoadBalancer Service without source ranges gets a public address that the whole internet can " +
			"connect to, so every weakness of the application behind it is one scan away. The rule reports " +
			"Services of type LoadBalancer that set neither spec.loadBalancerSourceRanges nor the " +
			"service.beta.kubernetes.io/load-balancer-source-ranges annotation, or whose ranges include a /0. " +
			"Internal load balancers (the GKE, AWS, Azure, OCI and OpenStack annotations that keep the address " +
			"private) are not reported: they are not reachable from the internet, and the network they sit in " +
			"already limits their clients.",
		Remediation: "Set spec.loadBalancerSourceRanges to the address ranges of the clients that need the Service.",
		References: []framework.Ref{
			framework.MITRERef("T1190"),
			framework.MITRERef("T1133"),
		},
	},
	Fixable: true,
	Run: func(pass *rule.Pass) error {
		svc, ok := pass.Object.Typed.(*corev1.Service)
		if !ok || svc.Spec.Type != corev1.ServiceTypeLoadBalancer || isInternalLoadBalancer(svc.Annotations) {
			return nil
		}
		ranges := object.Path("spec").Field("loadBalancerSourceRanges")
		if len(svc.Spec.LoadBalancerSourceRanges) > 0 {
			narrow := 0
			for _, r := range svc.Spec.LoadBalancerSourceRanges {
				if !isAnyAddress(r) {
					narrow++
				}
			}
			for i, r := range svc.Spec.LoadBalancerSourceRanges {
				if isAnyAddress(r) {
					// Only the other ranges can say who the clients are:
					// without them there is no fix.
					var fix func() *rule.Fix
					if narrow > 0 {
						fix = func() *rule.Fix {
							return &rule.Fix{
								Patch: []rule.PatchOp{
									{Op: "test", Path: ranges.Index(i).Pointer(), Value: r},
									rule.Remove(ranges.Index(i)),
								},
								Unsafe: true,
								Note:   "only clients in the other ranges reach the Service; make sure they are all the clients it has",
							}
						}
					}
					pass.Reportf(ranges.Index(i), fix, "%s of type LoadBalancer accepts connections from any address (spec.loadBalancerSourceRanges[%d]=%s)", pass.Object.Ref(), i, r)
				}
			}
			return nil
		}
		if a, ok := svc.Annotations[sourceRangesAnnotation]; ok {
			for _, r := range strings.Split(a, ",") {
				if r = strings.TrimSpace(r); isAnyAddress(r) {
					pass.Reportf(object.Path("metadata").Field("annotations").Field(sourceRangesAnnotation), nil,
						"%s of type LoadBalancer accepts connections from any address (annotation %s lists %s)", pass.Object.Ref(), sourceRangesAnnotation, r)
				}
			}
			return nil
		}
		pass.Reportf(ranges, nil, "%s of type LoadBalancer accepts connections from any address (no spec.loadBalancerSourceRanges)", pass.Object.Ref())
		return nil
	},
}

// isAnyAddress reports whether CIDR r matches every address of its family.
func isAnyAddress(r string) bool {
	p, err := netip.ParsePrefix(r)
	return err == nil && p.Bits() == 0
}

// internalLoadBalancer says how a cloud provider is told to give a load
// balancer a private address.
type internalLoadBalancer struct {
	annotation string
	internal   func(value string) bool
}

var internalLoadBalancers = []internalLoadBalancer{
	{"networking.gke.io/load-balancer-type", equalFold("Internal")},
	{"cloud.google.com/load-balancer-type", equalFold("Internal")},
	// The in-tree AWS provider treats every value but "false" as internal;
	// old guides set it to 0.0.0.0/0.
	{"service.beta.kubernetes.io/aws-load-balancer-internal", func(v string) bool { return v != "" && v != "false" }},
	{"service.beta.kubernetes.io/aws-load-balancer-scheme", equalFold("internal")},
	{"service.beta.kubernetes.io/azure-load-balancer-internal", equalFold("true")},
	{"service.beta.kubernetes.io/oci-load-balancer-internal", equalFold("true")},
	{"service.beta.kubernetes.io/openstack-internal-load-balancer", equalFold("true")},
}

// equalFold returns a predicate matching want case-insensitively.
func equalFold(want string) func(string) bool {
	return func(v string) bool { return strings.EqualFold(v, want) }
}

// isInternalLoadBalancer reports whether annotations ask the cloud provider
// for a load balancer with a private address.
func isInternalLoadBalancer(annotations map[string]string) bool {
	for _, lb := range internalLoadBalancers {
		if v, ok := annotations[lb.annotation]; ok && lb.internal(v) {
			return true
		}
	}
	return false
}
