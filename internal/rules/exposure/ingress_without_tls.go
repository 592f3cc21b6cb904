package exposure

import (
	"strings"

	extensionsv1beta1 "k8s.io/api/extensions/v1beta1"
	networkingv1 "k8s.io/api/networking/v1"
	networkingv1beta1 "k8s.io/api/networking/v1beta1"

	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
)

// IngressWithoutTLS reports Ingress hosts that spec.tls does not cover, so
// that they are served over plain HTTP.
var IngressWithoutTLS = &rule.Rule{
	Meta: rule.Meta{
		ID:       "ingress-without-tls",
		Title:    "Ingress host served without TLS",
		Severity: rule.Medium,
		Category: rule.CategoryExposure,
		Doc: "A host that an Ingress serves without TLS sends credentials, session cookies and data in clear text " +
			"to anyone on the path, who can also alter them. The rule reports each spec.rules[].host that no " +
			"spec.tls[].hosts entry lists (a wildcard such as *.example.com covers one label), rules without a host " +
			"unless a spec.tls entry without hosts covers every host, and an Ingress with only a default backend and " +
			"no spec.tls. Ingresses whose load balancer terminates TLS with a certificate named in an annotation " +
			"(alb.ingress.kubernetes.io/certificate-arn, networking.gke.io/managed-certificates, " +
			"ingress.gcp.kubernetes.io/pre-shared-cert, appgw.ingress.kubernetes.io/appgw-ssl-certificate) are not " +
			"reported.",
		Remediation: "List every host of the Ingress under spec.tls with a Secret holding its certificate.",
		References: []framework.Ref{
			framework.MITRERef("T1557"),
			framework.MITRERef("T1040"),
		},
	},
	Run: func(pass *rule.Pass) error {
		ing, ok := ingressHostsOf(pass.Object)
		if !ok || terminatesTLSByAnnotation(pass.Object.Annotations()) {
			return nil
		}
		rules := object.Path("spec").Field("rules")
		for i, host := range ing.hosts {
			switch {
			case host == "" && !ing.coversAllHosts():
				pass.Reportf(rules.Index(i), nil, "%s serves spec.rules[%d], which has no host, over plain HTTP: no spec.tls entry without hosts covers it", pass.Object.Ref(), i)
			case host != "" && !ing.covers(host):
				pass.Reportf(rules.Index(i).Field("host"), nil, "%s serves host %q over plain HTTP: no spec.tls entry lists it", pass.Object.Ref(), host)
			}
		}
		if len(ing.hosts) == 0 && ing.defaultBackend != "" && len(ing.tls) == 0 {
			pass.Reportf(ing.defaultBackend, nil, "%s serves its default backend over plain HTTP: spec.tls is empty", pass.Object.Ref())
		}
		return nil
	},
}

// tlsAnnotations name certificates that a cloud load balancer uses to
// terminate TLS for every host of the Ingress, without spec.tls.
var tlsAnnotations = []string{
	"alb.ingress.kubernetes.io/certificate-arn",         // AWS Load Balancer Controller
	"networking.gke.io/managed-certificates",            // GKE
	"ingress.gcp.kubernetes.io/pre-shared-cert",         // GKE
	"appgw.ingress.kubernetes.io/appgw-ssl-certificate", // Azure Application Gateway
}

// terminatesTLSByAnnotation reports whether one of tlsAnnotations is set.
func terminatesTLSByAnnotation(annotations map[string]string) bool {
	for _, a := range tlsAnnotations {
		if annotations[a] != "" {
			return true
		}
	}
	return false
}

// ingressHosts is what ingress-without-tls reads of an Ingress, in any API
// version.
type ingressHosts struct {
	// hosts are spec.rules[].host, "" for a rule without one.
	hosts []string
	// tls are spec.tls[].hosts.
	tls [][]string
	// defaultBackend locates the default backend, or is "" without one.
	defaultBackend object.Path
}

// ingressHostsOf reads an Ingress of any supported version, and reports
// false for other objects.
func ingressHostsOf(o *object.Object) (ingressHosts, bool) {
	var h ingressHosts
	switch i := o.Typed.(type) {
	case *networkingv1.Ingress:
		for _, r := range i.Spec.Rules {
			h.hosts = append(h.hosts, r.Host)
		}
		for _, t := range i.Spec.TLS {
			h.tls = append(h.tls, t.Hosts)
		}
		if i.Spec.DefaultBackend != nil {
			h.defaultBackend = object.Path("spec").Field("defaultBackend")
		}
	case *networkingv1beta1.Ingress:
		for _, r := range i.Spec.Rules {
			h.hosts = append(h.hosts, r.Host)
		}
		for _, t := range i.Spec.TLS {
			h.tls = append(h.tls, t.Hosts)
		}
		if i.Spec.Backend != nil {
			h.defaultBackend = object.Path("spec").Field("backend")
		}
	case *extensionsv1beta1.Ingress:
		for _, r := range i.Spec.Rules {
			h.hosts = append(h.hosts, r.Host)
		}
		for _, t := range i.Spec.TLS {
			h.tls = append(h.tls, t.Hosts)
		}
		if i.Spec.Backend != nil {
			h.defaultBackend = object.Path("spec").Field("backend")
		}
	default:
		return h, false
	}
	return h, true
}

// coversAllHosts reports whether a spec.tls entry lists no hosts, which the
// API defines as the load balancer's wildcard host: every host name.
func (h ingressHosts) coversAllHosts() bool {
	for _, hosts := range h.tls {
		if len(hosts) == 0 {
			return true
		}
	}
	return false
}

// covers reports whether spec.tls covers host.
func (h ingressHosts) covers(host string) bool {
	if h.coversAllHosts() {
		return true
	}
	for _, hosts := range h.tls {
		for _, t := range hosts {
			if hostMatches(t, host) {
				return true
			}
		}
	}
	return false
}

// hostMatches reports whether TLS host pattern covers host, case-
// insensitively. A wildcard pattern "*.example.com" covers exactly one
// label in its place: "a.example.com" but neither "example.com" nor
// "a.b.example.com".
func hostMatches(pattern, host string) bool {
	if strings.EqualFold(pattern, host) {
		return true
	}
	suffix, ok := strings.CutPrefix(pattern, "*")
	if !ok || !strings.HasPrefix(suffix, ".") {
		return false
	}
	label, rest, ok := strings.Cut(host, ".")
	return ok && label != "" && label != "*" && strings.EqualFold("."+rest, suffix)
}
