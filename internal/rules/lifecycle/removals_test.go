package lifecycle

import (
	"testing"

	"github.com/palisade-dev/palisade/internal/rule"
)

func TestRemovalsTable(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range removals {
		kinds := r.kinds
		if kinds == nil {
			kinds = []string{"*"}
		}
		for _, k := range kinds {
			if key := r.apiVersion + " " + k; seen[key] {
				t.Errorf("%s listed twice", key)
			} else {
				seen[key] = true
			}
		}
		if (r.replacement == "") == (r.instead == "") {
			t.Errorf("%s %v: need either a replacement or advice instead", r.apiVersion, r.kinds)
		}
		if r.replacement != "" && r.since >= r.removedIn {
			t.Errorf("%s %v: replacement served only from v1.%d, after the removal in v1.%d", r.apiVersion, r.kinds, r.since, r.removedIn)
		}
	}
}

func TestMigrationFor(t *testing.T) {
	for _, tc := range []struct {
		apiVersion, kind string
		target           int
		want             migration
	}{
		{"batch/v1beta1", "CronJob", 37, migration{apiVersion: "batch/v1", since: 21, sameSchema: true}},
		{"batch/v1beta1", "CronJob", 20, migration{}},
		// v1beta2 is served from v1.23 to v1.28, v1beta3 from v1.26 to
		// v1.31, v1 from v1.29.
		{"flowcontrol.apiserver.k8s.io/v1beta1", "FlowSchema", 24, migration{apiVersion: "flowcontrol.apiserver.k8s.io/v1beta2", since: 23, sameSchema: true}},
		{"flowcontrol.apiserver.k8s.io/v1beta1", "FlowSchema", 27, migration{apiVersion: "flowcontrol.apiserver.k8s.io/v1beta3", since: 26}},
		{"flowcontrol.apiserver.k8s.io/v1beta1", "FlowSchema", 30, migration{apiVersion: "flowcontrol.apiserver.k8s.io/v1", since: 29}},
		{"extensions/v1beta1", "PodSecurityPolicy", 20, migration{apiVersion: "policy/v1beta1", since: 10}},
		{"extensions/v1beta1", "PodSecurityPolicy", 25, migration{instead: findRemoval("policy/v1beta1", "PodSecurityPolicy").instead}},
	} {
		got := findRemoval(tc.apiVersion, tc.kind).migrationFor(tc.kind, tc.target)
		if got != tc.want {
			t.Errorf("%s %s at v1.%d: got %+v, want %+v", tc.apiVersion, tc.kind, tc.target, got, tc.want)
		}
	}
}

func TestTargetMinor(t *testing.T) {
	for in, want := range map[string]int{"": latestMinor, "latest": latestMinor, "v1.21": 21, "1.30": 30, "v1.29.4": 29, "v1.28.3-eks-4f4795d": 28} {
		if got, err := targetMinor(rule.Options{KubeVersion: in}); err != nil || got != want {
			t.Errorf("targetMinor(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"v2.0", "1", "v1.x", "stable"} {
		if _, err := targetMinor(rule.Options{KubeVersion: in}); err == nil {
			t.Errorf("targetMinor(%q) succeeded", in)
		}
	}
}
