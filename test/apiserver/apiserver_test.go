package apiserver_test

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/palisade-dev/palisade/test/apiserver"
)

func TestMain(m *testing.M) { apiserver.Main(m) }

// TestVersionsAgree keeps the version the harness looks for, the one
// install.sh builds and the one tools/kube-apiserver pins in step.
func TestVersionsAgree(t *testing.T) {
	script, err := os.ReadFile("install.sh")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(script), "KUBE_VERSION="+apiserver.KubeVersion+"\n") {
		t.Errorf("install.sh does not build %s", apiserver.KubeVersion)
	}
	mod, err := os.ReadFile("../../tools/kube-apiserver/go.mod")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(mod), "k8s.io/kubernetes "+apiserver.KubeVersion) {
		t.Errorf("tools/kube-apiserver/go.mod does not require k8s.io/kubernetes %s", apiserver.KubeVersion)
	}
	staging := "v0." + strings.TrimPrefix(apiserver.KubeVersion, "v1.")
	for _, m := range regexp.MustCompile(`(?m)^\s*(k8s\.io/\S+) => \S+ (\S+)$`).FindAllStringSubmatch(string(mod), -1) {
		if m[2] != staging {
			t.Errorf("tools/kube-apiserver/go.mod pins %s to %s, want %s", m[1], m[2], staging)
		}
	}
}

func TestServer(t *testing.T) {
	srv := apiserver.Shared(t)
	ctx := context.Background()

	v, err := srv.Client().Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	if v.GitVersion != apiserver.KubeVersion {
		t.Errorf("server version %s, want %s", v.GitVersion, apiserver.KubeVersion)
	}

	ns := srv.Namespace(t, "smoke")
	if _, err := srv.Client().CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{}); err != nil {
		t.Errorf("Namespace did not create the default ServiceAccount: %v", err)
	}

	// Pods are admitted (the ServiceAccount admission plugin needs the
	// default ServiceAccount) and stay Pending: nothing schedules them.
	srv.Create(t, ns, `
apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
    - name: c
      image: busybox:1.36
      securityContext:
        privileged: true
`)

	// A namespace created from a manifest gets its default ServiceAccount
	// too.
	srv.Create(t, "", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: from-manifest\n")
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := srv.Client().CoreV1().ServiceAccounts("from-manifest").Get(ctx, "default", metav1.GetOptions{})
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no default ServiceAccount in a namespace created from a manifest: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// Low-privilege users authenticate and are refused.
	alice, err := kubernetes.NewForConfig(srv.Config(apiserver.Alice))
	if err != nil {
		t.Fatal(err)
	}
	_, err = alice.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if !apierrors.IsForbidden(err) {
		t.Errorf("alice listing pods: got %v, want forbidden", err)
	}

	// The aggregated built-in roles grant what they grant in a real cluster.
	edit, err := srv.Client().RbacV1().ClusterRoles().Get(ctx, "edit", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(edit.Rules) == 0 {
		t.Error("ClusterRole edit has no rules: aggregation did not run")
	}
}
