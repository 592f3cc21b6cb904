package servicemesh

import (
	"fmt"

	"github.com/palisade-dev/palisade/internal/object"
)

// istioSecurityGroup is the API group of Istio's PeerAuthentication and
// AuthorizationPolicy, in every version (v1beta1, v1).
const istioSecurityGroup = "security.istio.io"

// isIstioSecurity reports whether o is the Istio security resource kind.
func isIstioSecurity(o *object.Object, kind string) bool {
	return o.Group() == istioSecurityGroup && o.Kind == kind && o.Generic != nil
}

// mapping reads v, found at p in a generic document, as a mapping. Like
// list and str, it returns the zero value for an absent value (nil) and an
// error for a value of another type, because a rule cannot tell what such a
// resource means.
func mapping(v any, p object.Path) (map[string]any, error) {
	m, ok := v.(map[string]any)
	if !ok && v != nil {
		return nil, fmt.Errorf("%s: want a mapping, found %T", p, v)
	}
	return m, nil
}

// list reads v, found at p, as a list; see mapping.
func list(v any, p object.Path) ([]any, error) {
	l, ok := v.([]any)
	if !ok && v != nil {
		return nil, fmt.Errorf("%s: want a list, found %T", p, v)
	}
	return l, nil
}

// str reads v, found at p, as a string; see mapping.
func str(v any, p object.Path) (string, error) {
	s, ok := v.(string)
	if !ok && v != nil {
		return "", fmt.Errorf("%s: want a string, found %T", p, v)
	}
	return s, nil
}
