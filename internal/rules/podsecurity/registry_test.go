package podsecurity

import (
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"

	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"

	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
)

// uniquePods decodes the distinct pods of the PSA conformance suite.
func uniquePods(t *testing.T) []object.PodTemplate {
	t.Helper()
	seen := map[string]bool{}
	var pods []object.PodTemplate
	for _, fx := range conformanceFixtures(t) {
		data, err := os.ReadFile(fx.file)
		if err != nil {
			t.Fatal(err)
		}
		if seen[string(data)] {
			continue
		}
		seen[string(data)] = true
		pod, _ := decodePod(t, fx.file).PodTemplate()
		pods = append(pods, asAdmitted(pod))
	}
	return pods
}

// results renders check results in a canonical order for comparison.
func results(rs []policy.CheckResult) []string {
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		out = append(out, fmt.Sprintf("%t|%s|%s", r.Allowed, r.ForbiddenReason, r.ForbiddenDetail))
	}
	slices.Sort(out)
	return out
}

// TestRegistryMatchesEvaluator runs every distinct conformance pod through
// the checks resolve selects and through the PSA evaluator itself, at every
// level and policy version and for several emulated Kubernetes versions,
// and requires the same results: the same checks, in the same versions,
// with the same overrides.
func TestRegistryMatchesEvaluator(t *testing.T) {
	pods := uniquePods(t)
	reg, err := defaultRegistry()
	if err != nil {
		t.Fatal(err)
	}
	every := []string{"latest"}
	for minor := 0; minor <= reg.latest.Minor()+2; minor++ {
		every = append(every, fmt.Sprintf("v1.%d", minor))
	}
	newest := reg.latest.String()
	emulations := []struct {
		kube     string
		versions []string
	}{
		{"", every},
		{"latest", []string{"latest", newest}},
		{"v1.18", []string{"latest", "v1.17", "v1.18", "v1.19", newest}},
		{"v1.24", []string{"latest", "v1.23", "v1.24", "v1.25", newest}},
		{"v1.34", []string{"latest", "v1.33", "v1.34", "v1.35", newest}},
	}
	for _, em := range emulations {
		kube, versions := em.kube, em.versions
		var emulated *api.Version
		if kube != "" {
			v, err := api.ParseVersion(kube)
			if err != nil {
				t.Fatal(err)
			}
			emulated = &v
		}
		eval, err := policy.NewEvaluator(policy.DefaultChecks(), emulated)
		if err != nil {
			t.Fatal(err)
		}
		for _, level := range []string{"privileged", "baseline", "restricted"} {
			for _, version := range versions {
				opts := rule.Options{PSSLevel: level, PSSVersion: version, KubeVersion: kube}
				p, err := resolve(opts)
				if err != nil {
					t.Fatal(err)
				}
				for _, pod := range pods {
					var ours []policy.CheckResult
					for _, fn := range p.checks {
						ours = append(ours, fn(pod.Meta, pod.Spec))
					}
					theirs := eval.EvaluatePod(p.lv, pod.Meta, pod.Spec)
					if got, want := results(ours), results(theirs); !slices.Equal(got, want) {
						t.Fatalf("%+v, pod %s:\nresolved checks give %q\nPSA evaluator gives  %q", opts, pod.Meta.Name, got, want)
					}
				}
			}
		}
	}
	t.Logf("compared %d distinct pods at %d policy versions", len(pods), len(every))
}

func TestResolveOptions(t *testing.T) {
	tests := []struct {
		opts    rule.Options
		want    string
		wantErr bool
	}{
		{opts: rule.Options{}, want: "restricted:latest"},
		{opts: rule.Options{PSSLevel: "baseline"}, want: "baseline:latest"},
		{opts: rule.Options{PSSLevel: "restricted", PSSVersion: "v1.25"}, want: "restricted:v1.25"},
		{opts: rule.Options{PSSLevel: "privileged", PSSVersion: "latest"}, want: "privileged:latest"},
		{opts: rule.Options{PSSLevel: "Restricted"}, wantErr: true},
		{opts: rule.Options{PSSLevel: "strict"}, wantErr: true},
		{opts: rule.Options{PSSVersion: "1.25"}, wantErr: true},
		{opts: rule.Options{PSSVersion: "v1.25.3"}, wantErr: true},
		{opts: rule.Options{PSSVersion: "v2.0"}, wantErr: true},
		{opts: rule.Options{KubeVersion: "1.30"}, wantErr: true},
		{opts: rule.Options{KubeVersion: "v1.30"}, want: "restricted:latest"},
	}
	for _, tt := range tests {
		p, err := resolve(tt.opts)
		if tt.wantErr {
			if err == nil {
				t.Errorf("resolve(%+v): want an error, got %s", tt.opts, p.lv)
			}
			continue
		}
		if err != nil {
			t.Errorf("resolve(%+v): %v", tt.opts, err)
			continue
		}
		if got := p.lv.String(); got != tt.want {
			t.Errorf("resolve(%+v) = %s, want %s", tt.opts, got, tt.want)
		}
	}
}

// TestInvalidOptionsFailTheRule makes sure a bad level or version is an
// error of every rule, never a pass.
func TestInvalidOptionsFailTheRule(t *testing.T) {
	obj := object.Decode("pod.yaml", []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c, image: nginx}]\n")).Objects[0]
	for _, r := range allRules {
		pass := rule.NewPass(r, obj, object.NewSet([]*object.Object{obj}), rule.Options{PSSLevel: "baseline", PSSVersion: "v1.x"}, nil, func(rule.Finding) {})
		if err := r.Run(pass); err == nil {
			t.Errorf("%s: no error for an invalid PSS version", r.ID)
		}
	}
}

// TestConcurrentResolve runs the rules from several goroutines with
// alternating options, for the race detector to watch the options cache.
func TestConcurrentResolve(t *testing.T) {
	obj := object.Decode("pod.yaml", []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostPID: true\n  containers: [{name: c, image: nginx}]\n")).Objects[0]
	set := object.NewSet([]*object.Object{obj})
	levels := []string{"baseline", "restricted"}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 200 {
				opts := rule.Options{PSSLevel: levels[(g+i)%2], PSSVersion: "latest"}
				found := false
				pass := rule.NewPass(HostNamespaces, obj, set, opts, nil, func(rule.Finding) { found = true })
				if err := HostNamespaces.Run(pass); err != nil || !found {
					t.Errorf("%+v: found %t, err %v", opts, found, err)
					return
				}
			}
		})
	}
	wg.Wait()
}
