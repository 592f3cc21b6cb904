package workload

import (
	"encoding/json"
	"testing"

	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
	"github.com/palisade-dev/palisade/internal/rule/ruletest"
)

// TestFixes pins the JSON Patches of the fixes whose shape depends on what
// the object already has: missing parents are created, existing lists are
// appended to, and removals of list elements are guarded by a test.
func TestFixes(t *testing.T) {
	for _, tc := range []struct {
		name string
		rule *rule.Rule
		yaml string
		want []string // one JSON Patch per finding, in report order
	}{{
		name: "net-raw without securityContext",
		rule: NetRawNotDropped,
		yaml: pod(`  containers: [{name: a, image: x}]`),
		want: []string{`[{"op":"add","path":"/spec/containers/0/securityContext","value":{"capabilities":{"drop":["NET_RAW"]}}}]`},
	}, {
		name: "net-raw without capabilities",
		rule: NetRawNotDropped,
		yaml: pod(`  containers: [{name: a, image: x, securityContext: {runAsNonRoot: true}}]`),
		want: []string{`[{"op":"add","path":"/spec/containers/0/securityContext/capabilities","value":{"drop":["NET_RAW"]}}]`},
	}, {
		name: "net-raw without drop",
		rule: NetRawNotDropped,
		yaml: pod(`  containers: [{name: a, image: x, securityContext: {capabilities: {add: [CHOWN]}}}]`),
		want: []string{`[{"op":"add","path":"/spec/containers/0/securityContext/capabilities/drop","value":["NET_RAW"]}]`},
	}, {
		name: "net-raw appended to drop",
		rule: NetRawNotDropped,
		yaml: pod(`  initContainers: [{name: a, image: x, securityContext: {capabilities: {drop: [NET_ADMIN]}}}]`),
		want: []string{`[{"op":"add","path":"/spec/initContainers/0/securityContext/capabilities/drop/-","value":"NET_RAW"}]`},
	}, {
		name: "net-raw added back",
		rule: NetRawNotDropped,
		yaml: pod(`  containers: [{name: a, image: x, securityContext: {capabilities: {drop: [ALL], add: [CHOWN, cap_net_raw]}}}]`),
		want: []string{`[{"op":"test","path":"/spec/containers/0/securityContext/capabilities/add/1","value":"cap_net_raw"},` +
			`{"op":"remove","path":"/spec/containers/0/securityContext/capabilities/add/1"}]`},
	}, {
		name: "allowPrivilegeEscalation created with its securityContext",
		rule: AllowPrivilegeEscalation,
		yaml: pod(`  containers: [{name: a, image: x}, {name: b, image: x, securityContext: {allowPrivilegeEscalation: true}}]`),
		want: []string{
			`[{"op":"add","path":"/spec/containers/0/securityContext","value":{"allowPrivilegeEscalation":false}}]`,
			`[{"op":"add","path":"/spec/containers/1/securityContext/allowPrivilegeEscalation","value":false}]`,
		},
	}, {
		name: "dangerous capability removed",
		rule: DangerousCapabilities,
		yaml: pod(`  ephemeralContainers: [{name: a, image: x, securityContext: {capabilities: {add: [SYS_ADMIN]}}}]`),
		want: []string{`[{"op":"test","path":"/spec/ephemeralContainers/0/securityContext/capabilities/add/0","value":"SYS_ADMIN"},` +
			`{"op":"remove","path":"/spec/ephemeralContainers/0/securityContext/capabilities/add/0"}]`},
	}, {
		name: "pod seccomp profile created with its securityContext",
		rule: SeccompProfileMissing,
		yaml: pod(`  containers: [{name: a, image: x}]`),
		want: []string{`[{"op":"add","path":"/spec/securityContext","value":{"seccompProfile":{"type":"RuntimeDefault"}}}]`},
	}, {
		name: "pod seccomp profile added to its securityContext",
		rule: SeccompProfileMissing,
		yaml: pod("  securityContext: {runAsNonRoot: true}\n  containers: [{name: a, image: x}]"),
		want: []string{`[{"op":"add","path":"/spec/securityContext/seccompProfile","value":{"type":"RuntimeDefault"}}]`},
	}, {
		name: "unconfined seccomp annotation replaced by the field",
		rule: SeccompUnconfined,
		yaml: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations: {container.seccomp.security.alpha.kubernetes.io/a: unconfined}\n" +
			"spec:\n  containers: [{name: a, image: x}]\n",
		want: []string{`[{"op":"remove","path":"/metadata/annotations/container.seccomp.security.alpha.kubernetes.io~1a"},` +
			`{"op":"add","path":"/spec/containers/0/securityContext","value":{"seccompProfile":{"type":"RuntimeDefault"}}}]`},
	}, {
		name: "unsafe sysctl removed",
		rule: UnsafeSysctls,
		yaml: pod("  securityContext: {sysctls: [{name: kernel.shm_rmid_forced, value: '1'}, {name: kernel.msgmax, value: '65536'}]}\n  containers: [{name: a, image: x}]"),
		want: []string{`[{"op":"test","path":"/spec/securityContext/sysctls/1/name","value":"kernel.msgmax"},` +
			`{"op":"remove","path":"/spec/securityContext/sysctls/1"}]`},
	}, {
		name: "run-as-non-root set on the container that opts out",
		rule: RunAsNonRootMissing,
		yaml: pod("  securityContext: {runAsNonRoot: true}\n  containers: [{name: a, image: x, securityContext: {runAsNonRoot: false}}]"),
		want: []string{`[{"op":"add","path":"/spec/containers/0/securityContext/runAsNonRoot","value":true}]`},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			res := object.Decode("test.yaml", []byte(tc.yaml))
			if len(res.Errors) > 0 {
				t.Fatal(res.Errors[0])
			}
			findings, err := ruletest.RunRule(tc.rule, res.Objects, rule.Options{PSSVersion: "latest"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(findings) != len(tc.want) {
				t.Fatalf("got %d findings, want %d", len(findings), len(tc.want))
			}
			for i, f := range findings {
				fix := ruletest.Fix(f)
				if fix == nil {
					t.Fatalf("finding %d (%s) has no fix", i, f.Message)
				}
				got, err := json.Marshal(fix.Patch)
				if err != nil {
					t.Fatal(err)
				}
				if string(got) != tc.want[i] {
					t.Errorf("finding %d patch:\n got %s\nwant %s", i, got, tc.want[i])
				}
			}
		})
	}
}

// pod wraps spec lines (indented by two spaces) in a Pod manifest.
func pod(spec string) string {
	return "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n" + spec + "\n"
}
