package cli

import (
	"strings"

	"github.com/spf13/cobra"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"

	"github.com/palisade-dev/palisade/internal/vap"
)

func newVAPCommand(e *env) *cobra.Command {
	var (
		ruleIDs, actions, exclude []string
		failurePolicy, prefix     string
	)
	cmd := &cobra.Command{
		Use:   "vap",
		Short: "Print ValidatingAdmissionPolicies that enforce the rules CEL can express",
		Long: "vap prints, as a YAML stream for kubectl apply -f -, one ValidatingAdmissionPolicy\n" +
			"(admissionregistration.k8s.io/v1, CEL) and one binding per rule, so that the API server itself\n" +
			"refuses the workloads those rules flag, without an admission webhook. Each policy refuses exactly\n" +
			"what its rule reports with default parameters, on Pods (ephemeral containers included), PodTemplates,\n" +
			"ReplicationControllers, Deployments, ReplicaSets, StatefulSets, DaemonSets, Jobs and CronJobs.\n\n" +
			"Rules covered: " + strings.Join(vap.Covered(), ", ") + ".",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts := vap.Options{
				Rules:         splitList(ruleIDs),
				FailurePolicy: admissionregistrationv1.FailurePolicyType(failurePolicy),
				NamePrefix:    &prefix,
			}
			for _, a := range splitList(actions) {
				opts.Actions = append(opts.Actions, admissionregistrationv1.ValidationAction(a))
			}
			if cmd.Flags().Changed("exclude-namespace") {
				opts.ExcludeNamespaces = splitList(exclude)
				if opts.ExcludeNamespaces == nil {
					opts.ExcludeNamespaces = []string{}
				}
			}
			if _, err := vap.Policies(opts); err != nil {
				return usageError{err}
			}
			return vap.Write(e.stdout, opts)
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&ruleIDs, "rules", nil, "`IDs` of the rules to enforce (default: every covered rule that is on by default)")
	f.StringSliceVar(&actions, "action", []string{"Deny"}, "validation `ACTIONS` of the bindings: Deny, Warn or Audit (Audit combines with either)")
	f.StringVar(&failurePolicy, "failure-policy", "Fail", "`POLICY` when an expression cannot be evaluated: Fail or Ignore")
	f.StringVar(&prefix, "name-prefix", vap.DefaultNamePrefix, "`PREFIX` of the policy and binding names")
	f.StringSliceVar(&exclude, "exclude-namespace", []string{"kube-system"}, "`NAMESPACES` the bindings do not apply to (empty for none)")
	return cmd
}

// splitList drops the empty entries of a comma-separated flag's values and
// trims the others.
func splitList(values []string) []string {
	var out []string
	for _, v := range values {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}
