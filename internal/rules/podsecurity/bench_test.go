package podsecurity

import (
	"testing"

	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
)

const (
	benchCompliant = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      securityContext: {runAsNonRoot: true, runAsUser: 1000, seccompProfile: {type: RuntimeDefault}}
      initContainers:
        - name: init
          image: busybox:1.36
          securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
      containers:
        - name: web
          image: nginx:1.27
          ports: [{containerPort: 8080}]
          readinessProbe: {httpGet: {path: /ready, port: 8080}}
          securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
          volumeMounts: [{name: tmp, mountPath: /tmp}]
        - name: sidecar
          image: envoy:1.30
          securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}}
      volumes: [{name: tmp, emptyDir: {}}, {name: config, configMap: {name: web}}]
`
	// A typical manifest: no security context, so it fails four restricted
	// checks (and gets four findings with fixes).
	benchTypical = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: nginx:1.27
          ports: [{containerPort: 8080}]
        - name: sidecar
          image: envoy:1.30
      volumes: [{name: tmp, emptyDir: {}}]
`
)

// BenchmarkRules runs every rule of the package over one object, as the
// engine does for each workload: one op is one object through 19 rules.
func BenchmarkRules(b *testing.B) {
	for _, bc := range []struct {
		name, doc, level string
	}{
		{"compliant/restricted", benchCompliant, "restricted"},
		{"typical/restricted", benchTypical, "restricted"},
		{"typical/baseline", benchTypical, "baseline"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			objs := object.Decode("bench.yaml", []byte(bc.doc)).Objects
			set := object.NewSet(objs)
			opts := rule.Options{PSSLevel: bc.level, PSSVersion: "latest"}
			findings := 0
			report := func(rule.Finding) { findings++ }
			b.ReportAllocs()
			for b.Loop() {
				for _, r := range allRules {
					if err := r.Run(rule.NewPass(r, objs[0], set, opts, nil, report)); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(findings)/float64(b.N), "findings/op")
		})
	}
}
