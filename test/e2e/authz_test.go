package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rbac"
	"github.com/palisade-dev/palisade/internal/source/cluster"
	"github.com/palisade-dev/palisade/test/apiserver"
)

const authzRBAC = `
apiVersion: v1
kind: ServiceAccount
metadata:
  name: app
  namespace: NS
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: pod-reader
  namespace: NS
rules:
  - apiGroups: [""]
    resources: ["pods", "pods/log"]
    verbs: ["get", "list"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: alice-pods
  namespace: NS
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-reader}
subjects:
  - {kind: User, name: alice, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: NS-one-secret
rules:
  - apiGroups: [""]
    resources: ["secrets"]
    resourceNames: ["db"]
    verbs: ["get", "update"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: operators-secret
  namespace: NS
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: NS-one-secret}
subjects:
  - {kind: Group, name: operators, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: NS-exec
rules:
  - apiGroups: [""]
    resources: ["pods/exec"]
    verbs: ["create"]
  - apiGroups: ["*"]
    resources: ["*/scale"]
    verbs: ["update", "patch"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: NS-app-exec
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: NS-exec}
subjects:
  - {kind: ServiceAccount, name: app, namespace: NS}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: NS-ops
aggregationRule:
  clusterRoleSelectors:
    - matchLabels: {NS-ops: "true"}
rules: []
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: NS-ops-deployments
  labels: {NS-ops: "true"}
rules:
  - apiGroups: ["apps"]
    resources: ["deployments"]
    verbs: ["get", "list", "update", "delete"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: NS-carol-ops
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: NS-ops}
subjects:
  - {kind: User, name: carol, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: bob-edit
  namespace: NS
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
subjects:
  - {kind: User, name: bob, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: all-sa-configmaps
  namespace: NS
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: NS-configmaps}
subjects:
  - {kind: Group, name: "system:serviceaccounts:NS", apiGroup: rbac.authorization.k8s.io}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: NS-configmaps
rules:
  - apiGroups: [""]
    resources: ["configmaps"]
    verbs: ["list", "watch"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: NS-metrics
rules:
  - nonResourceURLs: ["/metrics", "/debug/*"]
    verbs: ["get"]
  - apiGroups: [""]
    resources: ["nodes"]
    verbs: ["list"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: NS-developers-metrics
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: NS-metrics}
subjects:
  - {kind: Group, name: developers, apiGroup: rbac.authorization.k8s.io}
`

// TestWhoCanMatchesSubjectAccessReview asks the API server and Palisade
// the same questions (subjects × verbs × resources × names × namespaces,
// and non-resource URLs) and requires the same answers.
func TestWhoCanMatchesSubjectAccessReview(t *testing.T) {
	srv := apiserver.Shared(t)
	ns := srv.Namespace(t, "authz")
	srv.Create(t, ns, strings.ReplaceAll(authzRBAC, "NS", ns))
	ctx := context.Background()
	// Wait for the aggregation the controller manager would do.
	deadline := time.Now().Add(30 * time.Second)
	for {
		r, err := srv.Client().RbacV1().ClusterRoles().Get(ctx, ns+"-ops", metav1.GetOptions{})
		if err == nil && len(r.Rules) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the aggregated ClusterRole was not filled in")
		}
		time.Sleep(50 * time.Millisecond)
	}

	res, err := cluster.Load(ctx, srv.Config(apiserver.Admin), cluster.Options{Name: "test", Kinds: []string{"ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "ServiceAccount"}})
	if err != nil {
		t.Fatal(err)
	}
	ix := rbac.New(object.NewSet(res.Objects))

	users := []rbac.User{
		rbac.AuthenticatedUser("alice", "developers"),
		rbac.AuthenticatedUser("bob", "operators"),
		rbac.AuthenticatedUser("carol"),
		rbac.AuthenticatedUser("mallory", "other"),
		rbac.ServiceAccountUser(ns, "app"),
		rbac.ServiceAccountUser(ns, "default"),
		rbac.ServiceAccountUser("elsewhere", "app"),
		rbac.AuthenticatedUser("root", "system:masters"),
	}
	verbs := []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"}
	resources := []string{"pods", "pods/log", "pods/exec", "secrets", "configmaps", "deployments.apps", "deployments.apps/scale", "statefulsets.apps/scale", "nodes", "clusterroles.rbac.authorization.k8s.io", "serviceaccounts/token"}
	names := []string{"", "db"}
	namespaces := []string{ns, "default", ""}
	var reqs []rbac.Request
	for _, v := range verbs {
		for _, r := range resources {
			for _, n := range names {
				for _, space := range namespaces {
					q, err := rbac.ParseResource(v, r)
					if err != nil {
						t.Fatal(err)
					}
					if space != "" && !rbac.Namespaced(q.Group, q.Resource) {
						continue
					}
					q.Name, q.Namespace = n, space
					reqs = append(reqs, q)
				}
			}
		}
	}
	for _, p := range []string{"/metrics", "/debug/pprof", "/healthz", "/api"} {
		reqs = append(reqs, rbac.Request{Verb: "get", Path: p}, rbac.Request{Verb: "post", Path: p})
	}

	type question struct {
		u rbac.User
		q rbac.Request
	}
	questions := make(chan question)
	var mu sync.Mutex
	var mismatches []string
	asked := 0
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for qu := range questions {
				sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{User: qu.u.Name, Groups: qu.u.Groups}}
				if qu.q.ResourceRequest() {
					sar.Spec.ResourceAttributes = &authorizationv1.ResourceAttributes{
						Namespace: qu.q.Namespace, Verb: qu.q.Verb, Group: qu.q.Group, Resource: qu.q.Resource, Subresource: qu.q.Subresource, Name: qu.q.Name,
					}
				} else {
					sar.Spec.NonResourceAttributes = &authorizationv1.NonResourceAttributes{Path: qu.q.Path, Verb: qu.q.Verb}
				}
				got, err := srv.Client().AuthorizationV1().SubjectAccessReviews().Create(ctx, sar, metav1.CreateOptions{})
				mu.Lock()
				asked++
				if err != nil {
					mismatches = append(mismatches, fmt.Sprintf("%s: %s: %v", qu.u.Name, qu.q, err))
				} else if ours, _ := ix.Allowed(qu.u, qu.q); ours != got.Status.Allowed {
					mismatches = append(mismatches, fmt.Sprintf("%s %v may %s: API server says %v (%s), Palisade says %v", qu.u.Name, qu.u.Groups, qu.q, got.Status.Allowed, got.Status.Reason, ours))
				}
				mu.Unlock()
			}
		}()
	}
	for _, u := range users {
		for _, q := range reqs {
			questions <- question{u, q}
		}
	}
	close(questions)
	wg.Wait()
	t.Logf("%d questions asked of the API server and of Palisade", asked)
	for i, m := range mismatches {
		if i == 30 {
			t.Errorf("... and %d more", len(mismatches)-30)
			break
		}
		t.Error(m)
	}

	// The command line gives the same answers: who may exec into pods of
	// the namespace, and who may read the one secret.
	kubeconfig := srv.Kubeconfig(t, apiserver.Admin)
	r := run(t, "who-can", "create", "pods/exec", "-n", ns, "--cluster", "--kubeconfig", kubeconfig, "-o", "json")
	if r.code != 0 {
		t.Fatalf("who-can: exit %d: %s", r.code, r.stderr)
	}
	var doc struct {
		Grants []struct {
			Subject struct{ Kind, Name, Namespace string }
			Names   []string `json:"resourceNames"`
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	subjects := map[string]bool{}
	for _, g := range doc.Grants {
		subjects[g.Subject.Kind+" "+g.Subject.Namespace+"/"+g.Subject.Name] = true
	}
	for _, want := range []string{"ServiceAccount " + ns + "/app", "User /bob", "Group /system:masters"} {
		if !subjects[want] {
			t.Errorf("who-can create pods/exec -n %s: missing %s in %v", ns, want, subjects)
		}
	}
	if subjects["User /alice"] || subjects["User /carol"] {
		t.Errorf("who-can create pods/exec: alice and carol may not: %v", subjects)
	}
	r = run(t, "who-can", "get", "secrets", "db", "-n", ns, "--cluster", "--kubeconfig", kubeconfig)
	if !strings.Contains(r.stdout, "Group operators") || !strings.Contains(r.stdout, `(only "db")`) {
		t.Errorf("who-can get secrets db: want the operators' grant limited to db:\n%s", r.stdout)
	}
}
