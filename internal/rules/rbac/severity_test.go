package rbac

import (
	"slices"
	"testing"

	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
	"github.com/palisade-dev/palisade/internal/rule/ruletest"
)

// TestSeverities pins the per-finding severities, which the fixture harness
// does not check.
func TestSeverities(t *testing.T) {
	const clusterRole = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r}\nrules:\n"
	const role = "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r, namespace: ns}\nrules:\n"
	const binding = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: b}\n"
	tests := []struct {
		name string
		rule *rule.Rule
		doc  string
		want []rule.Severity
	}{
		{"wildcard everything in a ClusterRole", Wildcard,
			clusterRole + `- {apiGroups: ["*"], resources: ["*"], verbs: ["*"]}`, []rule.Severity{rule.Critical}},
		{"wildcard everything in a Role", Wildcard,
			role + `- {apiGroups: ["*"], resources: ["*"], verbs: ["*"]}`, []rule.Severity{rule.High}},
		{"secrets list, get, named get", SecretsRead, clusterRole +
			"- {apiGroups: [''], resources: [secrets], verbs: [list]}\n" +
			"- {apiGroups: [''], resources: [secrets], verbs: [get]}\n" +
			"- {apiGroups: [''], resources: [secrets], verbs: [get, list], resourceNames: [a]}",
			[]rule.Severity{rule.High, rule.Medium, rule.Low}},
		{"exec create and get", PodExec, role +
			"- {apiGroups: [''], resources: [pods/exec], verbs: [create]}\n" +
			"- {apiGroups: [''], resources: [pods/attach], verbs: [get]}",
			[]rule.Severity{rule.High, rule.Medium}},
		{"escalation, named and unnamed", EscalateBindImpersonate, clusterRole +
			"- {apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [bind]}\n" +
			"- {apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [bind], resourceNames: [view]}\n" +
			"- {apiGroups: [''], resources: [groups], verbs: [impersonate], resourceNames: ['system:masters']}",
			[]rule.Severity{rule.Critical, rule.High, rule.Critical}},
		{"csr approval, both halves", CSRApproval, clusterRole +
			"- {apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests/approval], verbs: [update]}\n" +
			"- {apiGroups: [certificates.k8s.io], resources: [signers], verbs: [approve]}",
			[]rule.Severity{rule.High, rule.High}},
		{"csr approval, one half", CSRApproval, clusterRole +
			"- {apiGroups: [certificates.k8s.io], resources: [signers], verbs: [approve]}",
			[]rule.Severity{rule.Medium}},
		{"webhook write, named and unnamed", WebhookConfigWrite, clusterRole +
			"- {apiGroups: [admissionregistration.k8s.io], resources: [mutatingwebhookconfigurations], verbs: [patch]}\n" +
			"- {apiGroups: [admissionregistration.k8s.io], resources: [mutatingwebhookconfigurations], verbs: [patch], resourceNames: [mine]}",
			[]rule.Severity{rule.High, rule.Medium}},
		{"cluster-admin to a user", ClusterAdminBinding, binding +
			"roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\n" +
			"subjects: [{kind: User, name: alice}]",
			[]rule.Severity{rule.High}},
		{"cluster-admin to a ServiceAccount", ClusterAdminBinding, binding +
			"roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\n" +
			"subjects: [{kind: User, name: alice}, {kind: ServiceAccount, name: ci, namespace: ci}]",
			[]rule.Severity{rule.Critical}},
		{"anonymous and authenticated", AnonymousBinding, binding +
			"roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}\n" +
			"subjects: [{kind: Group, name: 'system:authenticated'}, {kind: User, name: 'system:anonymous'}]",
			[]rule.Severity{rule.High, rule.Critical}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := object.Decode("test.yaml", []byte(tt.doc))
			if len(res.Errors) > 0 {
				t.Fatal(res.Errors[0])
			}
			findings, err := ruletest.RunRule(tt.rule, res.Objects, rule.Options{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			var got []rule.Severity
			for _, f := range findings {
				got = append(got, f.Severity)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("severities = %v, want %v", got, tt.want)
			}
		})
	}
}
