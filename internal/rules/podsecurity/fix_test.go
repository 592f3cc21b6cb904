package podsecurity

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/pod-security-admission/policy"

	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
	"github.com/palisade-dev/palisade/internal/rule/ruletest"
)

// TestFixes pins the patch each fixable rule proposes.
func TestFixes(t *testing.T) {
	tests := []struct {
		name    string
		rule    *rule.Rule
		version string // the PSS version; latest by default
		pod     string // the pod spec, under "spec:"
		want    string // the patch as JSON, or "null" for no fix
		unsafe  bool
	}{
		{
			name: "privileged removed", rule: Privileged,
			pod:  "{containers: [{name: a, securityContext: {privileged: true}}, {name: b, securityContext: {privileged: false}}]}",
			want: `[{"op":"remove","path":"/spec/containers/0/securityContext/privileged"}]`,
		},
		{
			name: "host PID and IPC removed safely", rule: HostNamespaces,
			pod:  "{hostPID: true, hostIPC: true, containers: [{name: a}]}",
			want: `[{"op":"remove","path":"/spec/hostPID"},{"op":"remove","path":"/spec/hostIPC"}]`,
		},
		{
			name: "host network removed unsafely", rule: HostNamespaces,
			pod:  "{hostNetwork: true, containers: [{name: a}]}",
			want: `[{"op":"remove","path":"/spec/hostNetwork"}]`, unsafe: true,
		},
		{
			name: "host ports removed", rule: HostPorts,
			pod:  "{containers: [{name: a, ports: [{containerPort: 80}, {containerPort: 443, hostPort: 443}]}], initContainers: [{name: i, ports: [{containerPort: 9, hostPort: 9}]}]}",
			want: `[{"op":"remove","path":"/spec/initContainers/0/ports/0/hostPort"},{"op":"remove","path":"/spec/containers/0/ports/1/hostPort"}]`, unsafe: true,
		},
		{
			name: "privilege escalation turned off, creating securityContext where missing", rule: AllowPrivilegeEscalation,
			pod:  "{containers: [{name: a}, {name: b, securityContext: {allowPrivilegeEscalation: true}}, {name: c, securityContext: {allowPrivilegeEscalation: false}}]}",
			want: `[{"op":"add","path":"/spec/containers/0/securityContext","value":{"allowPrivilegeEscalation":false}},{"op":"add","path":"/spec/containers/1/securityContext/allowPrivilegeEscalation","value":false}]`,
		},
		{
			name: "no privilege escalation fix for a privileged container", rule: AllowPrivilegeEscalation,
			pod:  "{containers: [{name: a, securityContext: {privileged: true}}]}",
			want: `null`,
		},
		{
			name: "no privilege escalation fix for SYS_ADMIN", rule: AllowPrivilegeEscalation,
			pod:  "{containers: [{name: a, securityContext: {capabilities: {add: [SYS_ADMIN]}}}]}",
			want: `null`,
		},
		{
			name: "capabilities restricted per container", rule: CapabilitiesRestricted,
			pod: "{containers: [{name: a}, {name: b, securityContext: {runAsUser: 1}}, " +
				"{name: c, securityContext: {capabilities: {drop: [NET_RAW], add: [NET_BIND_SERVICE, SYS_TIME]}}}, " +
				"{name: d, securityContext: {capabilities: {drop: [ALL], add: [SYS_TIME]}}}, " +
				"{name: e, securityContext: {capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}}}]}",
			want: `[{"op":"add","path":"/spec/containers/0/securityContext","value":{"capabilities":{"drop":["ALL"]}}},` +
				`{"op":"add","path":"/spec/containers/1/securityContext/capabilities","value":{"drop":["ALL"]}},` +
				`{"op":"add","path":"/spec/containers/2/securityContext/capabilities/drop","value":["ALL"]},` +
				`{"op":"add","path":"/spec/containers/2/securityContext/capabilities/add","value":["NET_BIND_SERVICE"]},` +
				`{"op":"remove","path":"/spec/containers/3/securityContext/capabilities/add"}]`,
			unsafe: true,
		},
		{
			name: "seccomp RuntimeDefault added at pod level", rule: SeccompProfileRestricted,
			pod:  "{containers: [{name: a}]}",
			want: `[{"op":"add","path":"/spec/securityContext","value":{"seccompProfile":{"type":"RuntimeDefault"}}}]`,
		},
		{
			name: "seccomp added to an existing pod securityContext", rule: SeccompProfileRestricted,
			pod:  "{securityContext: {runAsNonRoot: true}, containers: [{name: a}]}",
			want: `[{"op":"add","path":"/spec/securityContext/seccompProfile","value":{"type":"RuntimeDefault"}}]`,
		},
		{
			name: "explicit Unconfined replaced unsafely", rule: SeccompProfileRestricted,
			pod:  "{securityContext: {seccompProfile: {type: RuntimeDefault}}, containers: [{name: a, securityContext: {seccompProfile: {type: Unconfined}}}]}",
			want: `[{"op":"remove","path":"/spec/containers/0/securityContext/seccompProfile"}]`, unsafe: true,
		},
		{
			name: "no seccomp fix for Windows pods", rule: SeccompProfileRestricted,
			pod:  "{os: {name: windows}, containers: [{name: a}]}",
			want: `null`, version: "v1.24",
		},
		{
			name: "runAsNonRoot safe with a known non-zero UID", rule: RunAsNonRoot,
			pod:  "{securityContext: {runAsUser: 1000}, containers: [{name: a}, {name: b, securityContext: {runAsNonRoot: false}}]}",
			want: `[{"op":"add","path":"/spec/securityContext/runAsNonRoot","value":true},{"op":"remove","path":"/spec/containers/1/securityContext/runAsNonRoot"}]`,
		},
		{
			name: "runAsNonRoot unsafe when the image decides the user", rule: RunAsNonRoot,
			pod:  "{containers: [{name: a, securityContext: {runAsUser: 1000}}, {name: b}]}",
			want: `[{"op":"add","path":"/spec/securityContext","value":{"runAsNonRoot":true}}]`, unsafe: true,
		},
		{
			name: "non-baseline capabilities removed", rule: CapabilitiesBaseline, version: "v1.21",
			pod: "{containers: [{name: a, securityContext: {capabilities: {add: [CHOWN, SYS_ADMIN]}}}, {name: b, securityContext: {capabilities: {add: [NET_ADMIN]}}}]}",
			want: `[{"op":"add","path":"/spec/containers/0/securityContext/capabilities/add","value":["CHOWN"]},` +
				`{"op":"remove","path":"/spec/containers/1/securityContext/capabilities/add"}]`,
			unsafe: true,
		},
		{
			name: "SELinux user, role and forbidden type removed", rule: SELinuxOptions,
			pod: "{securityContext: {seLinuxOptions: {type: spc_t, level: s0}}, " +
				"containers: [{name: a, securityContext: {seLinuxOptions: {user: system_u}}}, {name: b, securityContext: {seLinuxOptions: {type: container_t}}}]}",
			want: `[{"op":"remove","path":"/spec/securityContext/seLinuxOptions/type"},` +
				`{"op":"remove","path":"/spec/containers/0/securityContext/seLinuxOptions"}]`,
			unsafe: true,
		},
		{
			name: "runAsUser 0 removed", rule: RunAsUser,
			pod:    "{securityContext: {runAsUser: 0}, containers: [{name: a, securityContext: {runAsUser: 0}}, {name: b, securityContext: {runAsUser: 5}}]}",
			want:   `[{"op":"remove","path":"/spec/securityContext/runAsUser"},{"op":"remove","path":"/spec/containers/0/securityContext/runAsUser"}]`,
			unsafe: true,
		},
		{
			name: "unmasked procMount removed", rule: ProcMount, version: "v1.34",
			pod:    "{containers: [{name: a, securityContext: {procMount: Unmasked}}, {name: b, securityContext: {procMount: Default}}]}",
			want:   `[{"op":"remove","path":"/spec/containers/0/securityContext/procMount"}]`,
			unsafe: true,
		},
		{
			name: "unconfined AppArmor reset to RuntimeDefault", rule: AppArmorProfile,
			pod:    "{securityContext: {appArmorProfile: {type: Unconfined}}, containers: [{name: a}]}",
			want:   `[{"op":"add","path":"/spec/securityContext/appArmorProfile/type","value":"RuntimeDefault"}]`,
			unsafe: true,
		},
		{
			name: "HostProcess removed", rule: WindowsHostProcess,
			pod:    "{os: {name: windows}, hostNetwork: true, securityContext: {windowsOptions: {hostProcess: true}}, containers: [{name: a}]}",
			want:   `[{"op":"remove","path":"/spec/securityContext/windowsOptions/hostProcess"}]`,
			unsafe: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: " + tt.pod + "\n"
			res := object.Decode("pod.yaml", []byte(doc))
			if len(res.Errors) > 0 || len(res.Objects) != 1 {
				t.Fatalf("decode: %v", res.Errors)
			}
			version := tt.version
			if version == "" {
				version = "latest"
			}
			fs, err := ruletest.RunRule(tt.rule, res.Objects, rule.Options{PSSLevel: "restricted", PSSVersion: version}, nil)
			if err != nil || len(fs) != 1 {
				t.Fatalf("want one finding, got %v (err %v)", fs, err)
			}
			var patch []rule.PatchOp
			if fix := ruletest.Fix(fs[0]); fix != nil {
				patch = fix.Patch
				if fix.Unsafe != tt.unsafe {
					t.Errorf("unsafe = %t, want %t", fix.Unsafe, tt.unsafe)
				}
				if fix.Unsafe && fix.Note == "" {
					t.Error("unsafe fix without a note")
				}
			}
			got, _ := json.Marshal(patch)
			if string(got) != tt.want {
				t.Errorf("patch\n got %s\nwant %s", got, tt.want)
			}
			if patch != nil {
				pod := applyPatch(t, res.Objects[0].Typed.(*corev1.Pod), patch)
				fn := mustResolve(t, rule.Options{PSSLevel: "restricted", PSSVersion: version}).checks[pssCheckOf(t, tt.rule)]
				if r := fn(&pod.ObjectMeta, &pod.Spec); !r.Allowed {
					t.Errorf("the patched pod still fails: %s (%s)", r.ForbiddenReason, r.ForbiddenDetail)
				}
			}
		})
	}
}

func mustResolve(t *testing.T, opts rule.Options) *policyFor {
	t.Helper()
	p, err := resolve(opts)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func pssCheckOf(t *testing.T, r *rule.Rule) policy.CheckID {
	t.Helper()
	_, id := pssCheck(t, r)
	return id
}

// applyPatch applies the "add" and "remove" operations of a JSON Patch to
// members of JSON objects, which is all the fixes use, and returns the
// patched pod.
func applyPatch(t *testing.T, pod *corev1.Pod, patch []rule.PatchOp) *corev1.Pod {
	t.Helper()
	data, err := json.Marshal(pod)
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	for _, op := range patch {
		if err := applyOp(doc, op); err != nil {
			t.Fatalf("applying %+v: %v", op, err)
		}
	}
	data, _ = json.Marshal(doc)
	out := &corev1.Pod{}
	if err := json.Unmarshal(data, out); err != nil {
		t.Fatal(err)
	}
	return out
}

func applyOp(doc any, op rule.PatchOp) error {
	keys := strings.Split(strings.TrimPrefix(op.Path, "/"), "/")
	cur := doc
	for _, k := range keys[:len(keys)-1] {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[k]
		case []any:
			i, err := strconv.Atoi(k)
			if err != nil || i >= len(c) {
				return fmt.Errorf("bad index %q", k)
			}
			cur = c[i]
		default:
			return fmt.Errorf("no parent at %q", k)
		}
	}
	parent, ok := cur.(map[string]any)
	if !ok {
		return fmt.Errorf("parent of %s is not an object", op.Path)
	}
	last := keys[len(keys)-1]
	switch op.Op {
	case "add":
		parent[last] = op.Value
	case "remove":
		if _, ok := parent[last]; !ok {
			return fmt.Errorf("nothing to remove at %s", op.Path)
		}
		delete(parent, last)
	default:
		return fmt.Errorf("unsupported op %q", op.Op)
	}
	return nil
}
