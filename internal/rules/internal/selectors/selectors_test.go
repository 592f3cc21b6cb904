package selectors

import (
	"slices"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/palisade-dev/palisade/internal/object"
)

// scan decodes a multi-document manifest into a Set.
func scan(t *testing.T, manifest string) *object.Set {
	t.Helper()
	res := object.Decode("test.yaml", []byte(manifest))
	for _, err := range res.Errors {
		t.Fatal(err)
	}
	return object.NewSet(res.Objects)
}

func find(t *testing.T, set *object.Set, kind, name string) *object.Object {
	t.Helper()
	for _, o := range set.Kind(kind) {
		if o.Name == name {
			return o
		}
	}
	t.Fatalf("no %s %s", kind, name)
	return nil
}

func refs(objs []*object.Object) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o.Ref())
	}
	return out
}

const workloads = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: not-the-pod-label}}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web, tier: front}}
    spec: {containers: [{name: web, image: nginx}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web-debug, namespace: default, labels: {app: web}}
spec: {containers: [{name: web, image: nginx}]}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: report, namespace: default}
spec:
  schedule: "@daily"
  jobTemplate:
    spec:
      template:
        metadata: {labels: {app: report, tier: back}}
        spec: {restartPolicy: Never, containers: [{name: r, image: busybox}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web, namespace: other}
spec:
  selector: {matchLabels: {app: web}}
  serviceName: web
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx}]}
`

func TestServiceWorkloads(t *testing.T) {
	tests := []struct {
		name, service string
		want          []string
	}{
		{"selects by pod template labels in the effective namespace", `
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{port: 80}]}`, []string{"Deployment web", "Pod default/web-debug"}},
		{"every selector label must match", `
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec: {selector: {app: web, tier: front}}`, []string{"Deployment web"}},
		{"other namespace", `
apiVersion: v1
kind: Service
metadata: {name: web, namespace: other}
spec: {selector: {app: web}}`, []string{"StatefulSet other/web"}},
		{"cronjob pod template", `
apiVersion: v1
kind: Service
metadata: {name: report}
spec: {selector: {tier: back}}`, []string{"CronJob default/report"}},
		{"no selector selects nothing", `
apiVersion: v1
kind: Service
metadata: {name: external}
spec: {ports: [{port: 80}]}`, nil},
		{"ExternalName selects nothing", `
apiVersion: v1
kind: Service
metadata: {name: alias}
spec: {type: ExternalName, externalName: example.com, selector: {app: web}}`, nil},
		{"workload labels are not pod labels", `
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: not-the-pod-label}}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := scan(t, workloads+"---\n"+tt.service)
			svc := set.Kind("Service")[0]
			if got := refs(ServiceWorkloads(set, svc)); !slices.Equal(got, tt.want) {
				t.Errorf("ServiceWorkloads = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestWorkloadsMatchingAgreesWithSelector compares the indexed lookup with
// matching every workload against labels.Selector, for every selector made
// of one or two of the fixture's pod labels, in every namespace.
func TestWorkloadsMatchingAgreesWithSelector(t *testing.T) {
	set := scan(t, workloads)
	type pair struct{ k, v string }
	var pairs []pair
	for _, w := range set.Workloads() {
		pod, _ := w.PodTemplate()
		for k, v := range pod.Meta.Labels {
			pairs = append(pairs, pair{k, v})
		}
	}
	pairs = append(pairs, pair{"app", "missing"})
	var selectors []map[string]string
	for i, a := range pairs {
		selectors = append(selectors, map[string]string{a.k: a.v})
		for _, b := range pairs[i+1:] {
			if b.k != a.k {
				selectors = append(selectors, map[string]string{a.k: a.v, b.k: b.v})
			}
		}
	}
	for _, ns := range []string{"default", "other", "none"} {
		for _, sel := range selectors {
			got := refs(WorkloadsMatching(set, ns, sel))
			want := refs(Workloads(set, ns, labels.SelectorFromSet(sel)))
			if !slices.Equal(got, want) {
				t.Errorf("WorkloadsMatching(%s, %v) = %v, want %v", ns, sel, got, want)
			}
		}
	}
}

func TestServiceWorkloadsNotAService(t *testing.T) {
	set := scan(t, workloads)
	if got := ServiceWorkloads(set, find(t, set, "Deployment", "web")); got != nil {
		t.Errorf("ServiceWorkloads(Deployment) = %v, want nil", refs(got))
	}
}

func TestService(t *testing.T) {
	set := scan(t, `
apiVersion: v1
kind: Service
metadata: {name: web}
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
`)
	tests := []struct {
		ns, name string
		want     string
	}{
		{"default", "web", "Service web"},
		{"shop", "api", "Service shop/api"},
		{"shop", "web", ""},
		{"default", "missing", ""},
	}
	for _, tt := range tests {
		got := ""
		if o := Service(set, tt.ns, tt.name); o != nil {
			got = o.Ref()
		}
		if got != tt.want {
			t.Errorf("Service(%q, %q) = %q, want %q", tt.ns, tt.name, got, tt.want)
		}
	}
}

func TestIngressBackends(t *testing.T) {
	tests := []struct {
		name, ingress string
		want          []Backend
	}{
		{"networking.k8s.io/v1", `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  defaultBackend: {service: {name: fallback, port: {name: http}}}
  rules:
    - host: a.example.com
      http:
        paths:
          - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
          - {path: /static, pathType: Prefix, backend: {resource: {apiGroup: k8s.example.com, kind: Bucket, name: assets}}}
    - host: b.example.com
`, []Backend{
			{Service: "fallback", Port: intstr.FromString("http"), Path: "spec.defaultBackend.service.name"},
			{Service: "web", Port: intstr.FromInt32(80), Path: "spec.rules[0].http.paths[0].backend.service.name"},
		}},
		{"networking.k8s.io/v1beta1", `
apiVersion: networking.k8s.io/v1beta1
kind: Ingress
metadata: {name: web}
spec:
  backend: {serviceName: fallback, servicePort: 8080}
  rules:
    - http:
        paths:
          - {path: /, backend: {serviceName: web, servicePort: http}}
`, []Backend{
			{Service: "fallback", Port: intstr.FromInt32(8080), Path: "spec.backend.serviceName"},
			{Service: "web", Port: intstr.FromString("http"), Path: "spec.rules[0].http.paths[0].backend.serviceName"},
		}},
		{"extensions/v1beta1", `
apiVersion: extensions/v1beta1
kind: Ingress
metadata: {name: web}
spec:
  rules:
    - host: a.example.com
      http:
        paths:
          - {path: /, backend: {serviceName: web, servicePort: 80}}
`, []Backend{
			{Service: "web", Port: intstr.FromInt32(80), Path: "spec.rules[0].http.paths[0].backend.serviceName"},
		}},
		{"not an Ingress", `
apiVersion: v1
kind: Service
metadata: {name: web}
`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ing := scan(t, tt.ingress).All()[0]
			got := IngressBackends(ing)
			if !slices.Equal(got, tt.want) {
				t.Errorf("IngressBackends =\n%+v\nwant\n%+v", got, tt.want)
			}
			for _, b := range got {
				if _, ok := ing.Position(b.Path); !ok {
					t.Errorf("backend path %s not found in the source", b.Path)
				}
			}
		})
	}
}

func TestPolicySelects(t *testing.T) {
	tests := []struct {
		name, selector string
		labels         map[string]string
		want           bool
	}{
		{"empty selects every pod", `{}`, map[string]string{"app": "web"}, true},
		{"empty selects unlabelled pods", `{}`, nil, true},
		{"matchLabels", `{matchLabels: {app: web}}`, map[string]string{"app": "web", "tier": "front"}, true},
		{"matchLabels mismatch", `{matchLabels: {app: web}}`, map[string]string{"app": "api"}, false},
		{"In", `{matchExpressions: [{key: app, operator: In, values: [web, api]}]}`, map[string]string{"app": "api"}, true},
		{"NotIn", `{matchExpressions: [{key: app, operator: NotIn, values: [web]}]}`, map[string]string{"app": "web"}, false},
		{"Exists", `{matchExpressions: [{key: tier, operator: Exists}]}`, map[string]string{"tier": "x"}, true},
		{"DoesNotExist", `{matchExpressions: [{key: tier, operator: DoesNotExist}]}`, map[string]string{"tier": "x"}, false},
		{"labels and expressions are ANDed", `{matchLabels: {app: web}, matchExpressions: [{key: tier, operator: Exists}]}`, map[string]string{"app": "web"}, false},
		{"invalid operator selects nothing", `{matchExpressions: [{key: app, operator: Like, values: [web]}]}`, map[string]string{"app": "web"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := scan(t, "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\nspec:\n  podSelector: "+tt.selector+"\n")
			pol := set.All()[0].Typed.(*networkingv1.NetworkPolicy)
			if got := PolicySelects(pol, tt.labels); got != tt.want {
				t.Errorf("PolicySelects(%v) = %v, want %v", tt.labels, got, tt.want)
			}
		})
	}
}

func TestPoliciesFor(t *testing.T) {
	set := scan(t, workloads+`---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: front}
spec: {podSelector: {matchLabels: {tier: front}}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: all, namespace: other}
spec: {podSelector: {}}
---
apiVersion: extensions/v1beta1
kind: NetworkPolicy
metadata: {name: legacy}
spec: {podSelector: {}}
`)
	names := func(ps []*networkingv1.NetworkPolicy) []string {
		var out []string
		for _, p := range ps {
			out = append(out, p.Name)
		}
		return out
	}
	tests := []struct {
		kind, name string
		want       []string
	}{
		{"Deployment", "web", []string{"front"}},
		{"CronJob", "report", nil},
		{"StatefulSet", "web", []string{"all"}},
	}
	for _, tt := range tests {
		w := find(t, set, tt.kind, tt.name)
		if got := names(PoliciesFor(set, w)); !slices.Equal(got, tt.want) {
			t.Errorf("PoliciesFor(%s) = %v, want %v", w.Ref(), got, tt.want)
		}
	}
	if got := PoliciesFor(set, set.Kind("NetworkPolicy")[0]); got != nil {
		t.Errorf("PoliciesFor(NetworkPolicy) = %v, want nil", names(got))
	}
}

// TestHasLabels checks hasLabels against the selector it stands for.
func TestHasLabels(t *testing.T) {
	sets := []map[string]string{
		nil,
		{},
		{"app": "web"},
		{"app": "web", "tier": "front"},
		{"app": ""},
		{"app": "api", "tier": "front"},
	}
	for _, sel := range sets[2:] {
		want := labels.SelectorFromValidatedSet(sel)
		for _, set := range sets {
			if got := hasLabels(set, sel); got != want.Matches(labels.Set(set)) {
				t.Errorf("hasLabels(%v, %v) = %v, want %v", set, sel, got, !got)
			}
		}
	}
}
