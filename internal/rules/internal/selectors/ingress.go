package selectors

import (
	extensionsv1beta1 "k8s.io/api/extensions/v1beta1"
	networkingv1 "k8s.io/api/networking/v1"
	networkingv1beta1 "k8s.io/api/networking/v1beta1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/palisade-dev/palisade/internal/object"
)

// Backend is one Service an Ingress sends traffic to.
type Backend struct {
	// Service is the name of the Service, in the Ingress's namespace.
	Service string
	// Port is the Service port by number or by name; the zero value means
	// the backend names no port.
	Port intstr.IntOrString
	// Path locates the field naming the Service inside the Ingress
	// (`service.name` or `serviceName`).
	Path object.Path
}

// IngressBackends returns the Service backends of an Ingress in the
// networking.k8s.io/v1, networking.k8s.io/v1beta1 or extensions/v1beta1
// shape: the default backend first, then each path of each rule. Resource
// backends are left out, and so is every object that is not an Ingress.
func IngressBackends(ing *object.Object) []Backend {
	switch i := ing.Typed.(type) {
	case *networkingv1.Ingress:
		return ingressV1Backends(&i.Spec)
	case *networkingv1beta1.Ingress:
		var out []Backend
		add := func(b *networkingv1beta1.IngressBackend, p object.Path) {
			if b != nil && b.ServiceName != "" {
				out = append(out, Backend{Service: b.ServiceName, Port: b.ServicePort, Path: p.Field("serviceName")})
			}
		}
		add(i.Spec.Backend, object.Path("spec").Field("backend"))
		for r, rule := range i.Spec.Rules {
			if rule.HTTP != nil {
				for p := range rule.HTTP.Paths {
					add(&rule.HTTP.Paths[p].Backend, pathBackend(r, p))
				}
			}
		}
		return out
	case *extensionsv1beta1.Ingress:
		var out []Backend
		add := func(b *extensionsv1beta1.IngressBackend, p object.Path) {
			if b != nil && b.ServiceName != "" {
				out = append(out, Backend{Service: b.ServiceName, Port: b.ServicePort, Path: p.Field("serviceName")})
			}
		}
		add(i.Spec.Backend, object.Path("spec").Field("backend"))
		for r, rule := range i.Spec.Rules {
			if rule.HTTP != nil {
				for p := range rule.HTTP.Paths {
					add(&rule.HTTP.Paths[p].Backend, pathBackend(r, p))
				}
			}
		}
		return out
	}
	return nil
}

func ingressV1Backends(spec *networkingv1.IngressSpec) []Backend {
	var out []Backend
	add := func(b *networkingv1.IngressBackend, p object.Path) {
		if b == nil || b.Service == nil || b.Service.Name == "" {
			return
		}
		var port intstr.IntOrString
		switch {
		case b.Service.Port.Number != 0:
			port = intstr.FromInt32(b.Service.Port.Number)
		case b.Service.Port.Name != "":
			port = intstr.FromString(b.Service.Port.Name)
		}
		out = append(out, Backend{Service: b.Service.Name, Port: port, Path: p.Field("service").Field("name")})
	}
	add(spec.DefaultBackend, object.Path("spec").Field("defaultBackend"))
	for r, rule := range spec.Rules {
		if rule.HTTP != nil {
			for p := range rule.HTTP.Paths {
				add(&rule.HTTP.Paths[p].Backend, pathBackend(r, p))
			}
		}
	}
	return out
}

// pathBackend is the path of the backend of rule r, HTTP path p; it is the
// same in every Ingress version.
func pathBackend(r, p int) object.Path {
	return object.Path("spec").Field("rules").Index(r).Field("http").Field("paths").Index(p).Field("backend")
}
