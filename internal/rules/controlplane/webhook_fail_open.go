package controlplane

import (
	"fmt"
	"slices"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"

	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
)

// WebhookFailOpen reports admission webhooks that let pods through when
// they cannot be reached.
var WebhookFailOpen = &rule.Rule{
	Meta: rule.Meta{
		ID:       "webhook-fail-open",
		Title:    "Admission webhook for pods that fails open",
		Severity: rule.Medium,
		Category: rule.CategoryControlPlane,
		Doc: "An admission webhook with failurePolicy: Ignore admits every request it could not check: when its " +
			"service is down, overloaded, or made unreachable on purpose (a NetworkPolicy, a deleted endpoint, a " +
			"crashed pod), pods are created without the policy it enforces or the mutation it applies. For policy " +
			"engines and image verifiers that is a bypass an attacker can provoke. The rule reports each webhook " +
			"of a ValidatingWebhookConfiguration or MutatingWebhookConfiguration whose failurePolicy is Ignore and " +
			"whose rules cover creating or updating pods (or every resource) in the core group; failurePolicy " +
			"defaults to Fail in admissionregistration.k8s.io/v1.",
		Remediation: "Set failurePolicy to Fail and run the webhook with enough replicas to stay available.",
		References: []framework.Ref{
			framework.CISRef("5.2.1"),
			framework.MITRERef("T1562.001"),
		},
	},
	Fixable: true,
	Run: func(pass *rule.Pass) error {
		switch c := pass.Object.Typed.(type) {
		case *admissionregistrationv1.ValidatingWebhookConfiguration:
			for i, w := range c.Webhooks {
				checkWebhook(pass, i, w.Name, w.FailurePolicy, w.Rules)
			}
		case *admissionregistrationv1.MutatingWebhookConfiguration:
			for i, w := range c.Webhooks {
				checkWebhook(pass, i, w.Name, w.FailurePolicy, w.Rules)
			}
		}
		return nil
	},
}

func checkWebhook(pass *rule.Pass, i int, name string, policy *admissionregistrationv1.FailurePolicyType, rules []admissionregistrationv1.RuleWithOperations) {
	if policy == nil || *policy != admissionregistrationv1.Ignore || !coversPods(rules) {
		return
	}
	p := object.Path("webhooks").Index(i).Field("failurePolicy")
	pass.Report(rule.Finding{
		Path: p,
		Message: fmt.Sprintf("webhook %q of %s %q ignores its own failures (failurePolicy: Ignore), so pods are admitted unchecked whenever it cannot be reached",
			name, pass.Object.Kind, pass.Object.Name),
		Fix: func() *rule.Fix {
			return &rule.Fix{
				Patch:  []rule.PatchOp{{Op: "replace", Path: p.Pointer(), Value: string(admissionregistrationv1.Fail)}},
				Unsafe: true,
				Note:   "while the webhook is unavailable, creating and updating the pods it covers fails; make sure it runs with several replicas first",
			}
		},
	})
}

// coversPods reports whether any rule matches creating or updating pods.
func coversPods(rules []admissionregistrationv1.RuleWithOperations) bool {
	for _, r := range rules {
		ops := slices.ContainsFunc(r.Operations, func(op admissionregistrationv1.OperationType) bool {
			return op == admissionregistrationv1.OperationAll || op == admissionregistrationv1.Create || op == admissionregistrationv1.Update
		})
		group := slices.Contains(r.APIGroups, "") || slices.Contains(r.APIGroups, "*")
		res := slices.ContainsFunc(r.Resources, func(s string) bool { return s == "pods" || s == "*" || s == "*/*" || s == "pods/*" })
		if ops && group && res {
			return true
		}
	}
	return false
}
