package e2e_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/dynamic"

	"github.com/palisade-dev/palisade/test/apiserver"
)

// installIstioCRDs serves Istio's two security kinds, as an Istio
// installation does (v1 stored, v1beta1 also served), with open schemas:
// the scanner must read them as any custom resource.
func installIstioCRDs(t *testing.T, srv *apiserver.Server) {
	t.Helper()
	cs, err := apiextensionsclient.NewForConfig(srv.Config(apiserver.Admin))
	if err != nil {
		t.Fatal(err)
	}
	open := &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
		Type: "object", XPreserveUnknownFields: ptrTo(true),
	}}
	for _, k := range []struct{ plural, kind string }{{"authorizationpolicies", "AuthorizationPolicy"}, {"peerauthentications", "PeerAuthentication"}} {
		crd := &apiextensionsv1.CustomResourceDefinition{
			ObjectMeta: metav1.ObjectMeta{Name: k.plural + ".security.istio.io"},
			Spec: apiextensionsv1.CustomResourceDefinitionSpec{
				Group: "security.istio.io",
				Names: apiextensionsv1.CustomResourceDefinitionNames{Plural: k.plural, Kind: k.kind, ListKind: k.kind + "List"},
				Scope: apiextensionsv1.NamespaceScoped,
				Versions: []apiextensionsv1.CustomResourceDefinitionVersion{
					{Name: "v1", Served: true, Storage: true, Schema: open},
					{Name: "v1beta1", Served: true, Schema: open},
				},
			},
		}
		if _, err := cs.ApiextensionsV1().CustomResourceDefinitions().Create(context.Background(), crd, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(time.Minute)
	for {
		ready := 0
		for _, name := range []string{"authorizationpolicies.security.istio.io", "peerauthentications.security.istio.io"} {
			crd, err := cs.ApiextensionsV1().CustomResourceDefinitions().Get(context.Background(), name, metav1.GetOptions{})
			if err == nil && slices.ContainsFunc(crd.Status.Conditions, func(c apiextensionsv1.CustomResourceDefinitionCondition) bool {
				return c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue
			}) {
				ready++
			}
		}
		if ready == 2 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the Istio CRDs were not established within a minute")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func ptrTo[T any](v T) *T { return &v }

// TestIstioFromCluster scans Istio policies read from the cluster: the
// same findings as the same manifests on disk, and nothing missing.
func TestIstioFromCluster(t *testing.T) {
	srv := apiserver.Shared(t)
	installIstioCRDs(t, srv)
	ns := srv.Namespace(t, "istio")
	file, text := writeManifests(t, "istio.yaml", ns)
	dyn, err := dynamic.NewForConfig(srv.Config(apiserver.Admin))
	if err != nil {
		t.Fatal(err)
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(text), 4096)
	for {
		var u unstructured.Unstructured
		if err := dec.Decode(&u.Object); err != nil {
			break
		}
		gvr := schema.GroupVersionResource{Group: "security.istio.io", Version: "v1", Resource: strings.ToLower(u.GetKind()) + "s"}
		if u.GetKind() == "AuthorizationPolicy" {
			gvr.Resource = "authorizationpolicies"
		}
		// Discovery of a new CRD takes a moment: retry until served.
		deadline := time.Now().Add(30 * time.Second)
		for {
			_, err := dyn.Resource(gvr).Namespace(ns).Create(context.Background(), &u, metav1.CreateOptions{})
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("creating %s: %v", u.GetKind(), err)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}

	kubeconfig := srv.Kubeconfig(t, apiserver.Admin)
	live, r := scanJSON(t, "--cluster", "--kubeconfig", kubeconfig, "-n", ns)
	if r.code == 2 {
		t.Fatalf("exit 2: %s", r.stderr)
	}
	onDisk, _ := scanJSON(t, file)
	want, got := map[string]bool{}, map[string]bool{}
	for _, f := range onDisk.Findings {
		want[key(f)] = true
	}
	for _, f := range live.Findings {
		if strings.HasPrefix(f.RuleID, "istio-") {
			got[key(f)] = true
		}
	}
	if len(want) != 2 {
		t.Fatalf("the manifests give %d findings, want the two Istio ones: %v", len(want), want)
	}
	for k := range want {
		if !got[k] {
			t.Errorf("missing from the cluster scan: %s", k)
		}
	}
	for k := range got {
		if !want[k] {
			t.Errorf("only in the cluster scan: %s", k)
		}
	}
}
