package lifecycle

import (
	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/rule"
)

// PodSecurityPolicy reports PodSecurityPolicy objects, which Kubernetes no
// longer enforces.
var PodSecurityPolicy = &rule.Rule{
	Meta: rule.Meta{
		ID:       "pod-security-policy",
		Title:    "PodSecurityPolicy in use",
		Severity: rule.High,
		Category: rule.CategoryLifecycle,
		Doc: "Kubernetes v1.25 removed PodSecurityPolicy and its admission controller: on an upgraded cluster the " +
			"policies are not even applied, and every pod they used to reject is admitted. The rule flags " +
			"PodSecurityPolicy objects (policy/v1beta1 and extensions/v1beta1) so that their protection is moved " +
			"to Pod Security Admission, enforced with the pod-security.kubernetes.io/enforce namespace label, and, " +
			"for rules the Pod Security Standards do not express, to an admission webhook such as Palisade's or a " +
			"ValidatingAdmissionPolicy.",
		Remediation: "Replace the PodSecurityPolicy with Pod Security Admission namespace labels and, where needed, an admission webhook or ValidatingAdmissionPolicy.",
		References: []framework.Ref{
			framework.CISRef("5.2.1"),
			framework.NSARef("pod-security-enforcement"),
		},
	},
	Run: func(pass *rule.Pass) error {
		o := pass.Object
		if o.Kind != "PodSecurityPolicy" || (o.Group() != "policy" && o.Group() != "extensions") {
			return nil
		}
		target, err := targetMinor(pass.Options)
		if err != nil {
			return err
		}
		if target >= pspRemovedIn {
			pass.Reportf("kind", nil, "PodSecurityPolicy %q is not enforced: Kubernetes v1.%d removed PodSecurityPolicy; "+
				"enforce Pod Security Admission namespace labels and a policy webhook or ValidatingAdmissionPolicy instead", o.Name, pspRemovedIn)
			return nil
		}
		pass.Reportf("kind", nil, "PodSecurityPolicy %q stops being enforced in Kubernetes v1.%d, which removes PodSecurityPolicy; "+
			"move to Pod Security Admission namespace labels and a policy webhook or ValidatingAdmissionPolicy", o.Name, pspRemovedIn)
		return nil
	},
}

// pspRemovedIn is the minor version of the release that removed
// PodSecurityPolicy.
const pspRemovedIn = 25
