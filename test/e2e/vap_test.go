package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/restmapper"
	"sigs.k8s.io/yaml"

	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
	"github.com/palisade-dev/palisade/internal/rule/ruletest"
	"github.com/palisade-dev/palisade/internal/rules"
	"github.com/palisade-dev/palisade/internal/vap"
	"github.com/palisade-dev/palisade/test/apiserver"
)

// vapTestLabel marks the namespaces a test's bindings apply to: the e2e
// tests share one API server, and the policies must not refuse the other
// tests' workloads.
const vapTestLabel = "palisade.dev/vap-e2e"

// activationTimeout bounds the wait for a new policy to take effect: the
// API server picks policies and bindings up asynchronously.
const activationTimeout = 90 * time.Second

// vapSettle is how long a policy is given to take effect when no workload
// can show that it has.
const vapSettle = 5 * time.Second

func countFlagged(cs []vapCase) int {
	n := 0
	for _, k := range cs {
		if k.flagged {
			n++
		}
	}
	return n
}

// outcome is what the API server did with one object.
type outcome int

const (
	admitted outcome = iota
	denied           // by the policy under test
	rejected         // for another reason (validation, unserved version)
)

// vapClient creates objects of any kind by dry run.
type vapClient struct {
	dyn    dynamic.Interface
	mapper meta.RESTMapper
}

func newVAPClient(t *testing.T, srv *apiserver.Server) *vapClient {
	t.Helper()
	cfg := srv.Config(apiserver.Admin)
	dc, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &vapClient{dyn: dc, mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disc))}
}

func (c *vapClient) resource(u *unstructured.Unstructured) (dynamic.ResourceInterface, error) {
	gvk := u.GroupVersionKind()
	m, err := c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return nil, err
	}
	return c.dyn.Resource(m.Resource).Namespace(u.GetNamespace()), nil
}

// dryRun submits u to the API server without storing it and returns the
// object the server would have stored, or the error. Pods with ephemeral
// containers, which cannot be created with them, go through the
// ephemeralcontainers subresource of an existing pod, as `kubectl debug`
// does: existing names the pod, created beforehand.
func (c *vapClient) dryRun(ctx context.Context, u *unstructured.Unstructured, existing string) (*unstructured.Unstructured, error) {
	ri, err := c.resource(u)
	if err != nil {
		return nil, err
	}
	dry := []string{metav1.DryRunAll}
	if existing == "" {
		return ri.Create(ctx, u, metav1.CreateOptions{DryRun: dry})
	}
	pod, err := ri.Get(ctx, existing, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	eph, _, _ := unstructured.NestedSlice(u.Object, "spec", "ephemeralContainers")
	if err := unstructured.SetNestedSlice(pod.Object, eph, "spec", "ephemeralContainers"); err != nil {
		return nil, err
	}
	return ri.Update(ctx, pod, metav1.UpdateOptions{DryRun: dry}, "ephemeralcontainers")
}

// classify says what an error from dryRun means for policy.
func classify(err error, policy string) outcome {
	switch {
	case err == nil:
		return admitted
	case strings.Contains(err.Error(), "ValidatingAdmissionPolicy '"+policy+"'"):
		return denied
	}
	return rejected
}

// vapCase is one workload of a rule's fixtures.
type vapCase struct {
	file      string
	obj       *object.Object
	u         *unstructured.Unstructured
	ephemeral string // the pre-created pod, for pods with ephemeral containers
	flagged   bool
}

func (c vapCase) String() string { return fmt.Sprintf("%s: %s", c.file, c.obj.Ref()) }

// flags reports whether rule r reports anything on o alone, with the
// default options, as the policies assume.
func flags(t *testing.T, r *rule.Rule, o *object.Object) bool {
	t.Helper()
	fs, err := ruletest.RunRule(r, []*object.Object{o}, rule.Options{PSSLevel: "restricted", PSSVersion: "latest"}, nil)
	if err != nil {
		t.Fatalf("%s on %s: %v", r.ID, o.Ref(), err)
	}
	return len(fs) > 0
}

var fixtureOptionsRE = regexp.MustCompile(`(?m)#\s*palisade-test:`)

// vapFixtures returns the files parity is checked on for a rule: its own
// fixtures that use the default options, and the extra cases of
// internal/vap/testdata/parity.
func vapFixtures(t *testing.T, id string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "internal", "rules", "*", "testdata", id, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	files = slices.DeleteFunc(files, func(f string) bool {
		data, err := os.ReadFile(f)
		return err != nil || fixtureOptionsRE.Match(data)
	})
	extra := filepath.Join("..", "..", "internal", "vap", "testdata", "parity", id+".yaml")
	if _, err := os.Stat(extra); err == nil {
		files = append(files, extra)
	}
	if len(files) == 0 {
		t.Fatalf("no fixtures for %s", id)
	}
	return files
}

// loadCases decodes the workloads of a rule's fixtures into namespace ns.
func loadCases(t *testing.T, r *rule.Rule, ns string) []vapCase {
	t.Helper()
	var out []vapCase
	for _, file := range vapFixtures(t, r.ID) {
		for _, o := range ruletest.Workloads(t, file) {
			raw, err := json.Marshal(o.Typed)
			if err != nil {
				t.Fatal(err)
			}
			u := &unstructured.Unstructured{}
			if err := json.Unmarshal(raw, &u.Object); err != nil {
				t.Fatalf("%s: %s: %v", file, o.Ref(), err)
			}
			u.SetAPIVersion(o.APIVersion)
			u.SetKind(o.Kind)
			u.SetNamespace(ns)
			out = append(out, vapCase{file: filepath.Base(filepath.Dir(file)) + "/" + filepath.Base(file), obj: o, u: u, flagged: flags(t, r, o)})
		}
	}
	return out
}

// bindTo restricts a generated binding to the namespaces labelled for the
// test, keeping its own exclusions.
func bindTo(b *admissionregistrationv1.ValidatingAdmissionPolicyBinding, value string) {
	if b.Spec.MatchResources == nil {
		b.Spec.MatchResources = &admissionregistrationv1.MatchResources{}
	}
	if b.Spec.MatchResources.NamespaceSelector == nil {
		b.Spec.MatchResources.NamespaceSelector = &metav1.LabelSelector{}
	}
	b.Spec.MatchResources.NamespaceSelector.MatchLabels = map[string]string{vapTestLabel: value}
}

// applyPolicies creates the policies and bindings and deletes them when
// the test ends.
func applyPolicies(t *testing.T, srv *apiserver.Server, ps []vap.Policy) {
	t.Helper()
	ctx := context.Background()
	api := srv.Client().AdmissionregistrationV1()
	for _, p := range ps {
		if _, err := api.ValidatingAdmissionPolicies().Create(ctx, p.Policy, metav1.CreateOptions{}); err != nil {
			t.Fatalf("creating policy %s: %v", p.Policy.Name, err)
		}
		if _, err := api.ValidatingAdmissionPolicyBindings().Create(ctx, p.Binding, metav1.CreateOptions{}); err != nil {
			t.Fatalf("creating binding %s: %v", p.Binding.Name, err)
		}
		t.Cleanup(func() {
			_ = api.ValidatingAdmissionPolicyBindings().Delete(ctx, p.Binding.Name, metav1.DeleteOptions{})
			_ = api.ValidatingAdmissionPolicies().Delete(ctx, p.Policy.Name, metav1.DeleteOptions{})
		})
	}
}

// TestVAPParity applies every covered rule's policy to a real API server
// and checks, on the rule's own fixtures, that the server denies exactly
// the workloads the Go rule flags. Each policy is bound to a namespace of
// its own, so that one policy's denials never stand in for another's.
func TestVAPParity(t *testing.T) {
	srv := apiserver.Shared(t)
	ctx := context.Background()
	c := newVAPClient(t, srv)
	prefix := "e2e-"
	ps, err := vap.Policies(vap.Options{Rules: vap.Covered(), NamePrefix: &prefix})
	if err != nil {
		t.Fatal(err)
	}
	free := srv.Namespace(t, "vap-unbound")

	// Namespaces, the ServiceAccounts fixtures name, and the pods that
	// ephemeral containers are added to must exist before the policies do.
	namespaces := map[string]string{}
	cases := map[string][]vapCase{}
	for _, p := range ps {
		ns := srv.Namespace(t, "vap", map[string]string{vapTestLabel: p.RuleID})
		namespaces[p.RuleID] = ns
		bindTo(p.Binding, p.RuleID)
		cs := loadCases(t, rules.ByID(p.RuleID), ns)
		for i := range cs {
			pod, _ := cs[i].obj.PodTemplate()
			if sa := pod.Spec.ServiceAccountName; sa != "" {
				_, err := srv.Client().CoreV1().ServiceAccounts(ns).Create(ctx,
					&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: sa}}, metav1.CreateOptions{})
				if err != nil && !apierrors.IsAlreadyExists(err) {
					t.Fatal(err)
				}
			}
			if cs[i].u.GetKind() == "Pod" && len(pod.Spec.EphemeralContainers) > 0 {
				base := cs[i].u.DeepCopy()
				unstructured.RemoveNestedField(base.Object, "spec", "ephemeralContainers")
				base.SetName(fmt.Sprintf("eph-%d", i))
				ri, err := c.resource(base)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := ri.Create(ctx, base, metav1.CreateOptions{}); err != nil {
					t.Logf("%s: cannot create the pod to add ephemeral containers to: %v", cs[i], err)
					continue
				}
				cs[i].ephemeral = base.GetName()
			}
		}
		cases[p.RuleID] = cs
	}
	applyPolicies(t, srv, ps)

	var totalDenied, totalAdmitted, totalDefaulted, totalRejected int
	for _, p := range ps {
		t.Run(p.RuleID, func(t *testing.T) {
			r := rules.ByID(p.RuleID)
			cs := cases[p.RuleID]
			// Wait until the policy is in force: one of the workloads the
			// rule flags is denied. Workloads the API server refuses
			// whatever the policy cannot show it.
			deadline := time.Now().Add(activationTimeout)
			for active := false; !active; {
				refused := 0
				for _, k := range cs {
					if !k.flagged {
						continue
					}
					_, err := c.dryRun(ctx, k.u, k.ephemeral)
					switch classify(err, p.Policy.Name) {
					case denied:
						active = true
					case rejected:
						refused++
					}
					if active {
						break
					}
				}
				if !active && refused == countFlagged(cs) {
					t.Logf("the API server refuses every workload %s flags; waiting %v for the policy instead", p.RuleID, vapSettle)
					time.Sleep(vapSettle)
					break
				}
				if !active && time.Now().After(deadline) {
					t.Fatalf("policy %s denied none of the flagged workloads within %v", p.Policy.Name, activationTimeout)
				}
				if !active {
					time.Sleep(250 * time.Millisecond)
				}
			}
			var nDenied, nAdmitted, nDefaulted, nRejected int
			for _, k := range cs {
				_, err := c.dryRun(ctx, k.u, k.ephemeral)
				got := classify(err, p.Policy.Name)
				if got == rejected || (k.u.GetKind() == "Pod" && len(k.obj.Typed.(*corev1.Pod).Spec.EphemeralContainers) > 0 && k.ephemeral == "") {
					t.Logf("%s: not checked, the API server refuses it whatever the policy: %v", k, err)
					nRejected++
					continue
				}
				if err != nil && got == denied && !strings.Contains(err.Error(), p.RuleID) {
					t.Errorf("%s: denial does not name the rule: %v", k, err)
				}
				if (got == denied) == k.flagged {
					if got == denied {
						nDenied++
					} else {
						nAdmitted++
					}
					continue
				}
				// The server judges the object after defaulting; the Go
				// rule must agree with it on that object.
				if flagged, ok := flagsAsStored(t, c, r, k, free); ok && (got == denied) == flagged {
					t.Logf("%s: the API server's defaults change the verdict to flagged=%v, and the policy agrees", k, flagged)
					nDefaulted++
					continue
				}
				t.Errorf("%s: Go rule flags=%v, but the API server %s it (%v)", k, k.flagged, map[outcome]string{admitted: "admitted", denied: "denied"}[got], err)
			}
			if (nDenied == 0 && nRejected < countFlagged(cs)) || nAdmitted == 0 {
				t.Errorf("only %d denied and %d admitted workloads checked; want some of each", nDenied, nAdmitted)
			}
			t.Logf("%s: %d flagged workloads denied, %d passing workloads admitted, %d agreeing after defaulting, %d refused by the API server whatever the policy",
				p.RuleID, nDenied, nAdmitted, nDefaulted, nRejected)
			totalDenied += nDenied
			totalAdmitted += nAdmitted
			totalDefaulted += nDefaulted
			totalRejected += nRejected
		})
	}
	t.Logf("VAP parity over %d rules: %d flagged workloads denied, %d passing workloads admitted, %d agreeing after defaulting, %d not checkable",
		len(ps), totalDenied, totalAdmitted, totalDefaulted, totalRejected)
}

// flagsAsStored runs the rule on the object as the API server would store
// it, defaults applied, by a dry run in a namespace no policy applies to.
func flagsAsStored(t *testing.T, c *vapClient, r *rule.Rule, k vapCase, free string) (bool, bool) {
	t.Helper()
	if k.ephemeral != "" {
		return false, false
	}
	u := k.u.DeepCopy()
	u.SetNamespace(free)
	stored, err := c.dryRun(context.Background(), u, "")
	if err != nil {
		return false, false
	}
	data, err := stored.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	res := object.Decode("stored.json", data)
	if len(res.Errors) > 0 || len(res.Objects) != 1 {
		return false, false
	}
	return flags(t, r, res.Objects[0]), true
}

// TestVAPKubectl applies the output of `palisade vap` with kubectl and
// checks that kubectl reports the denial of a privileged pod with the
// rule's ID and remediation.
func TestVAPKubectl(t *testing.T) {
	srv := apiserver.Shared(t)
	kubeconfig := srv.Kubeconfig(t, apiserver.Admin)
	ns := srv.Namespace(t, "vap-kubectl", map[string]string{vapTestLabel: "kubectl"})

	r := run(t, "vap", "--rules", "privileged-container", "--name-prefix", "e2e-kubectl-")
	if r.code != 0 {
		t.Fatalf("palisade vap: exit %d: %s", r.code, r.stderr)
	}
	// Restrict the binding to this test's namespace before applying.
	var docs []string
	for _, doc := range strings.Split(strings.TrimPrefix(r.stdout, "---\n"), "\n---\n") {
		if strings.Contains(doc, "kind: ValidatingAdmissionPolicyBinding\n") {
			var b admissionregistrationv1.ValidatingAdmissionPolicyBinding
			if err := yaml.UnmarshalStrict([]byte(doc), &b); err != nil {
				t.Fatal(err)
			}
			bindTo(&b, "kubectl")
			out, err := yaml.Marshal(&b)
			if err != nil {
				t.Fatal(err)
			}
			doc = string(out)
		}
		docs = append(docs, doc)
	}
	policies := filepath.Join(t.TempDir(), "vap.yaml")
	if err := os.WriteFile(policies, []byte(strings.Join(docs, "\n---\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	kubectl := func(args ...string) (string, error) {
		cmd := exec.Command("kubectl", append([]string{"--kubeconfig", kubeconfig}, args...)...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := kubectl("apply", "-f", policies); err != nil {
		t.Fatalf("kubectl apply: %v\n%s", err, out)
	}
	t.Cleanup(func() { _, _ = kubectl("delete", "--ignore-not-found", "-f", policies) })

	pod := filepath.Join(t.TempDir(), "pod.yaml")
	podYAML := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: root-shell\nspec:\n  containers:\n" +
		"    - name: shell\n      image: busybox:1.36\n      securityContext:\n        privileged: true\n"
	if err := os.WriteFile(pod, []byte(podYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(activationTimeout)
	for {
		out, err := kubectl("apply", "--dry-run=server", "-n", ns, "-f", pod)
		if err != nil && strings.Contains(out, "e2e-kubectl-privileged-container") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the privileged pod was never denied; last kubectl output:\n%s", out)
		}
		time.Sleep(250 * time.Millisecond)
	}
	out, err := kubectl("apply", "-n", ns, "-f", pod)
	if err == nil {
		t.Fatalf("kubectl created the privileged pod:\n%s", out)
	}
	remediation := rules.ByID("privileged-container").Remediation
	if !strings.Contains(out, "privileged-container") || !strings.Contains(out, remediation) {
		t.Errorf("kubectl's denial does not name the rule and its remediation:\n%s", out)
	}
	t.Logf("kubectl: %s", strings.TrimSpace(out))
	// A pod that is not privileged is still admitted.
	ok := strings.ReplaceAll(podYAML, "privileged: true", "privileged: false")
	if err := os.WriteFile(pod, []byte(ok), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := kubectl("apply", "--dry-run=server", "-n", ns, "-f", pod); err != nil {
		t.Errorf("an unprivileged pod was refused: %v\n%s", err, out)
	}
}
