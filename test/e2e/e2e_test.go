// Package e2e runs the palisade command line against the real API server
// of test/apiserver: a cluster scan gives the same findings as the same
// manifests on disk, the scanner's ClusterRole is enough for a full scan,
// who-can agrees with the API server's own SubjectAccessReview, and the
// cluster-only checks and attack paths work on live objects.
package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/palisade-dev/palisade/internal/cli"
	jsonreport "github.com/palisade-dev/palisade/internal/report/json"
	"github.com/palisade-dev/palisade/test/apiserver"
)

func TestMain(m *testing.M) { apiserver.Main(m) }

type result struct {
	code           int
	stdout, stderr string
}

func run(t *testing.T, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	code := cli.Main(args, strings.NewReader(""), &out, &errOut)
	return result{code, out.String(), errOut.String()}
}

func scanJSON(t *testing.T, args ...string) (jsonreport.Document, result) {
	t.Helper()
	r := run(t, append([]string{"scan", "--no-config", "-o", "json", "--fail-on", "critical"}, args...)...)
	if r.code == 2 {
		t.Fatalf("palisade scan %v: exit 2\nstderr: %s\nstdout: %.2000s", args, r.stderr, r.stdout)
	}
	var d jsonreport.Document
	if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
		t.Fatalf("decoding the report: %v\n%.2000s", err, r.stdout)
	}
	return d, r
}

// key identifies a finding independently of where the object came from.
func key(f jsonreport.Finding) string {
	return fmt.Sprintf("%s %s %s/%s %s [%s] %s: %s", f.Severity, f.Object.Kind, f.Object.Namespace, f.Object.Name, f.RuleID, f.Container, f.Path, f.Message)
}

// writeManifests writes testdata/NAME with NAMESPACE replaced, and
// returns the file and the text.
func writeManifests(t *testing.T, name, ns string) (string, string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(data), "NAMESPACE", ns)
	file := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return file, text
}

// TestScanParity applies a set of manifests to the API server and scans
// it both ways: every finding on those objects must be the same, field
// path and message included.
func TestScanParity(t *testing.T) {
	srv := apiserver.Shared(t)
	const ns = "parity"
	file, text := writeManifests(t, "parity.yaml", ns)
	created := srv.Create(t, "", text)
	objects := map[string]bool{}
	for _, o := range created {
		objects[o.GetKind()+" "+o.GetNamespace()+"/"+o.GetName()] = true
	}
	// The cluster has what a controller adds: the namespace's default
	// ServiceAccount. The files get it too.
	ctxFile := filepath.Join(filepath.Dir(file), "context.yaml")
	if err := os.WriteFile(ctxFile, []byte("apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: default\n  namespace: "+ns+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	objects["ServiceAccount "+ns+"/default"] = true

	fromFiles, _ := scanJSON(t, file, ctxFile)
	kubeconfig := srv.Kubeconfig(t, apiserver.Admin)
	fromCluster, r := scanJSON(t, "--cluster", "--kubeconfig", kubeconfig, "-n", ns)
	if len(fromCluster.Notices) > 0 {
		t.Errorf("notices: %+v", fromCluster.Notices)
	}
	if !strings.Contains(r.stdout, `"file": "cluster://`+apiserver.Admin.Name+`/`+ns+`/Deployment/web"`) {
		t.Errorf("cluster findings do not name their source as cluster://CONTEXT/NAMESPACE/KIND/NAME")
	}

	// Findings must match one for one: same rule, severity, object and
	// container, and the same field path and message, except where the API
	// server fills in a field the manifest leaves out (defaulted), which
	// changes how a rule describes the same problem.
	defaulted := func(f jsonreport.Finding) bool {
		return strings.HasSuffix(f.Path, ".imagePullPolicy") || // IfNotPresent or Always
			strings.HasSuffix(f.Path, "spec.serviceAccountName") || // "default", by the ServiceAccount admission plugin
			(f.Object.Kind == "Namespace" && strings.HasPrefix(f.Path, "metadata.labels")) // kubernetes.io/metadata.name
	}
	collect := func(d jsonreport.Document) []string {
		var out []string
		for _, f := range d.Findings {
			ref := f.Object.Kind + " " + f.Object.Namespace + "/" + f.Object.Name
			if !objects[ref] {
				continue
			}
			k := key(f)
			if defaulted(f) {
				k = fmt.Sprintf("%s %s %s/%s %s [%s] (defaulted field)", f.Severity, f.Object.Kind, f.Object.Namespace, f.Object.Name, f.RuleID, f.Container)
			}
			out = append(out, k)
		}
		slices.Sort(out)
		return out
	}
	files, live := collect(fromFiles), collect(fromCluster)
	if len(files) < 30 {
		t.Fatalf("only %d findings from files: the manifest set should exercise many rules", len(files))
	}
	if !slices.Equal(files, live) {
		for _, k := range files {
			if !slices.Contains(live, k) {
				t.Errorf("only from files: %s", k)
			}
		}
		for _, k := range live {
			if !slices.Contains(files, k) {
				t.Errorf("only from the cluster: %s", k)
			}
		}
	}
	t.Logf("%d findings on %d objects agree", len(files), len(objects))
	// The attack path is among them, with its hops.
	for _, f := range fromCluster.Findings {
		if f.RuleID == "attack-path" && strings.Contains(f.Message, "LoadBalancer Service "+ns+"/web") && len(f.Trace) < 3 {
			t.Errorf("attack path without its hops: %+v", f)
		}
	}
}

// TestScannerRole scans the whole cluster as the service account of
// deploy/rbac/palisade-scanner.yaml: nothing may be forbidden.
func TestScannerRole(t *testing.T) {
	srv := apiserver.Shared(t)
	data, err := os.ReadFile("../../deploy/rbac/palisade-scanner.yaml")
	if err != nil {
		t.Fatal(err)
	}
	srv.Create(t, "", string(data))
	checkScannerCronJob(t, srv)
	ns := srv.Namespace(t, "role")
	srv.Create(t, ns, `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: role-test-ops-admin
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects:
  - {kind: User, name: ops, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers: [{name: web, image: "nginx:latest"}]
`)
	tok, err := srv.Client().CoreV1().ServiceAccounts("palisade").CreateToken(context.Background(), "palisade-scanner",
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["test"] = &clientcmdapi.Cluster{Server: srv.URL, CertificateAuthorityData: srv.CA}
	cfg.AuthInfos["scanner"] = &clientcmdapi.AuthInfo{Token: tok.Status.Token}
	cfg.Contexts["scanner"] = &clientcmdapi.Context{Cluster: "test", AuthInfo: "scanner"}
	cfg.CurrentContext = "scanner"
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, kubeconfig); err != nil {
		t.Fatal(err)
	}
	d, r := scanJSON(t, "--cluster", "--kubeconfig", kubeconfig, "-A")
	if len(d.Notices) > 0 || strings.Contains(r.stderr, "forbidden") {
		t.Errorf("the scanner role is not enough: notices %+v, stderr %s", d.Notices, r.stderr)
	}
	kinds := map[string]bool{}
	for _, f := range d.Findings {
		kinds[f.Object.Kind] = true
	}
	for _, k := range []string{"Namespace", "ClusterRoleBinding", "Deployment"} {
		if !kinds[k] {
			t.Errorf("no findings on any %s: the scan did not read them", k)
		}
	}

	// A user without the role is told what was skipped, and the scan
	// carries on.
	_, r = scanJSON(t, "--cluster", "--kubeconfig", srv.Kubeconfig(t, apiserver.Carol), "-A")
	if !strings.Contains(r.stdout, "skipped pods: forbidden") {
		t.Errorf("no note about skipped pods for a user without permissions:\n%.3000s", r.stdout)
	}
}

// checkScannerCronJob creates deploy/scanner/cronjob.yaml in the namespace
// the RBAC file made, and a pod from its template with a server-side dry
// run: the namespace enforces the restricted Pod Security Standard, so the
// API server's own Pod Security Admission must admit it.
func checkScannerCronJob(t *testing.T, srv *apiserver.Server) {
	t.Helper()
	data, err := os.ReadFile("../../deploy/scanner/cronjob.yaml")
	if err != nil {
		t.Fatal(err)
	}
	objs := srv.Create(t, "", string(data))
	var cj batchv1.CronJob
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(objs[0].Object, &cj); err != nil {
		t.Fatal(err)
	}
	tmpl := cj.Spec.JobTemplate.Spec.Template
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{GenerateName: "palisade-scan-", Namespace: "palisade", Labels: tmpl.Labels, Annotations: tmpl.Annotations}, Spec: tmpl.Spec}
	if _, err := srv.Client().CoreV1().Pods("palisade").Create(context.Background(), pod, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}); err != nil {
		t.Fatalf("the scanner's pod is not admitted in its restricted namespace: %v", err)
	}
}
