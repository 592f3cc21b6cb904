package object

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

const setManifest = `apiVersion: v1
kind: Namespace
metadata: {name: empty}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: a}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: a, namespace: default}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: a, namespace: prod}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: prod}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: x}]}
---
apiVersion: v1
kind: Pod
metadata: {name: p}
spec: {containers: [{name: c, image: x}]}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly, namespace: prod}
spec:
  schedule: "@daily"
  jobTemplate:
    spec:
      template:
        spec: {containers: [{name: c, image: x}], restartPolicy: Never}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: reader}
---
apiVersion: example.com/v1
kind: Deployment
metadata: {name: web, namespace: prod}
`

func names(objs []*Object) string {
	var out []string
	for _, o := range objs {
		out = append(out, o.Kind+":"+o.Namespace()+"/"+o.Name+"@"+fmt.Sprint(o.Line))
	}
	return strings.Join(out, " ")
}

func TestSet(t *testing.T) {
	res := decodeOK(t, "set.yaml", []byte(setManifest))
	s := NewSet(res.Objects)
	if len(s.All()) != 9 {
		t.Fatalf("All() has %d objects", len(s.All()))
	}
	for _, tc := range []struct{ name, got, want string }{
		{"Kind(ConfigMap)", names(s.Kind("ConfigMap")), "ConfigMap:default/a@5 ConfigMap:default/a@9 ConfigMap:prod/a@13"},
		// Kind ignores the group: a custom resource named Deployment is
		// listed with the real ones.
		{"Kind(Deployment)", names(s.Kind("Deployment")), "Deployment:prod/web@17 Deployment:prod/web@45"},
		{"InNamespace(ConfigMap, default)", names(s.InNamespace("ConfigMap", "default")), "ConfigMap:default/a@5 ConfigMap:default/a@9"},
		{"InNamespace(ConfigMap, prod)", names(s.InNamespace("ConfigMap", "prod")), "ConfigMap:prod/a@13"},
		{"InNamespace(ConfigMap, nope)", names(s.InNamespace("ConfigMap", "nope")), ""},
		{"InNamespace(ClusterRole, default)", names(s.InNamespace("ClusterRole", DefaultNamespace)), "ClusterRole:default/reader@41"},
		{"WorkloadsIn(prod)", names(s.WorkloadsIn("prod")), "Deployment:prod/web@17 CronJob:prod/nightly@31"},
		{"WorkloadsIn(default)", names(s.WorkloadsIn("default")), "Pod:default/p@26"},
		{"WorkloadsIn(empty)", names(s.WorkloadsIn("empty")), ""},
		{"Workloads()", names(s.Workloads()), "Deployment:prod/web@17 Pod:default/p@26 CronJob:prod/nightly@31"},
		{"Namespaces()", strings.Join(s.Namespaces(), " "), "default empty prod"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %q, want %q", tc.name, tc.got, tc.want)
		}
	}
	for _, tc := range []struct {
		kind, ns, name string
		line           int
	}{
		{"ConfigMap", "default", "a", 5}, // the first of two
		{"ConfigMap", "prod", "a", 13},
		{"ConfigMap", "prod", "b", 0},
		{"ConfigMap", "", "a", 0},
		{"Deployment", "prod", "web", 17},
		{"ClusterRole", DefaultNamespace, "reader", 41},
		{"Namespace", DefaultNamespace, "empty", 1},
		{"Secret", "default", "a", 0},
	} {
		o := s.Lookup(tc.kind, tc.ns, tc.name)
		if (o == nil) != (tc.line == 0) || (o != nil && o.Line != tc.line) {
			t.Errorf("Lookup(%s, %s, %s) = %v, want line %d", tc.kind, tc.ns, tc.name, o, tc.line)
		}
	}
	empty := NewSet(nil)
	if len(empty.All()) != 0 || empty.Lookup("Pod", "default", "p") != nil || len(empty.Namespaces()) != 0 || empty.Workloads() != nil {
		t.Error("empty set is not empty")
	}
}

// TestSetOfOne: a set of one object answers from the object, without
// indexes. Each query must answer as an indexed set does that holds the
// same object and one more that matches no query.
func TestSetOfOne(t *testing.T) {
	res := decodeOK(t, "set.yaml", []byte(setManifest))
	other := decodeOK(t, "other.yaml", []byte("apiVersion: v1\nkind: Other\nmetadata: {name: zz, namespace: elsewhere}\n")).Objects[0]
	kinds := []string{"ConfigMap", "Deployment", "Pod", "CronJob", "ClusterRole", "Namespace", "Secret"}
	namespaces := []string{"default", "prod", "empty", "", "nope"}
	objNames := []string{"a", "web", "p", "nightly", "reader", "empty", "b"}
	for _, o := range res.Objects {
		one, indexed := NewSet([]*Object{o}), NewSet([]*Object{o, other})
		check := func(query string, got, want []*Object) {
			t.Helper()
			if names(got) != names(want) {
				t.Errorf("%s of {%s} = %q, indexed %q", query, names([]*Object{o}), names(got), names(want))
			}
		}
		for _, k := range kinds {
			check("Kind("+k+")", one.Kind(k), indexed.Kind(k))
			for _, ns := range namespaces {
				check("InNamespace("+k+", "+ns+")", one.InNamespace(k, ns), indexed.InNamespace(k, ns))
				for _, n := range objNames {
					got, want := one.Lookup(k, ns, n), indexed.Lookup(k, ns, n)
					if got != want {
						t.Errorf("Lookup(%s, %s, %s) of {%s} = %v, indexed %v", k, ns, n, names([]*Object{o}), got, want)
					}
				}
			}
		}
		for _, ns := range namespaces {
			check("WorkloadsIn("+ns+")", one.WorkloadsIn(ns), indexed.WorkloadsIn(ns))
		}
		check("Workloads()", one.Workloads(), indexed.Workloads())
	}
}

type memoKey struct{ n int }

// TestSetMemo runs many goroutines asking for the same keys: each build
// must run once, and every caller must see its value.
func TestSetMemo(t *testing.T) {
	res := decodeOK(t, "set.yaml", []byte(setManifest))
	s := NewSet(res.Objects)
	const keys, goroutines = 16, 64
	var builds [keys]atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for i := range keys * 4 {
				k := (i + g) % keys
				v := s.Memo(memoKey{k}, func() any {
					builds[k].Add(1)
					return map[string]int{"key": k, "workloads": len(s.WorkloadsIn("prod"))}
				})
				if m := v.(map[string]int); m["key"] != k || m["workloads"] != 2 {
					t.Errorf("Memo(%d) = %v", k, m)
					return
				}
				_ = s.Lookup("ConfigMap", "prod", "a")
				_ = s.InNamespace("ConfigMap", "default")
			}
		}()
	}
	close(start)
	wg.Wait()
	for k := range keys {
		if n := builds[k].Load(); n != 1 {
			t.Errorf("key %d built %d times", k, n)
		}
	}
	// Keys of different types never collide.
	if v := s.Memo(struct{ n int }{0}, func() any { return "other" }); v != "other" {
		t.Errorf("a key of another type got %v", v)
	}
	// A nil value is remembered like any other.
	calls := 0
	for range 3 {
		if v := s.Memo("nil", func() any { calls++; return nil }); v != nil {
			t.Errorf("got %v", v)
		}
	}
	if calls != 1 {
		t.Errorf("nil value built %d times", calls)
	}
}

func TestSetMemoPanic(t *testing.T) {
	s := NewSet(nil)
	catch := func() (r any) {
		defer func() { r = recover() }()
		s.Memo("boom", func() any { panic("build failed") })
		return nil
	}
	if r := catch(); r != "build failed" {
		t.Errorf("first call recovered %v", r)
	}
	// Later calls do not get a silent nil.
	if r := catch(); r == nil || !strings.Contains(fmt.Sprint(r), "panicked") {
		t.Errorf("second call recovered %v", r)
	}
}
