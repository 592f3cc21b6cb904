package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/palisade-dev/palisade/internal/engine"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
	"github.com/palisade-dev/palisade/internal/rules"
	"github.com/palisade-dev/palisade/internal/source/helm"
)

// helmChart writes a chart of n templates in the shape real charts have:
// each a Deployment using shared helpers, toYaml of values maps, a range
// and conditionals, with per-component values.
func helmChart(b *testing.B, n int) string {
	b.Helper()
	dir := filepath.Join(b.TempDir(), "big")
	must := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "templates"), 0o755))
	write := func(name, text string) {
		must(os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600))
	}
	write("Chart.yaml", "apiVersion: v2\nname: big\nversion: 1.0.0\nappVersion: \"2.0\"\n")
	write("templates/_helpers.tpl", `{{- define "big.fullname" -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- define "big.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
`)
	var values strings.Builder
	values.WriteString("image:\n  repository: ghcr.io/acme/app\n  tag: \"2.0\"\npodSecurityContext:\n  runAsNonRoot: true\ncomponents:\n")
	for i := range n {
		fmt.Fprintf(&values, "  c%d:\n    replicas: %d\n    privileged: %v\n    env:\n      LOG_LEVEL: info\n      INDEX: \"%d\"\n    resources:\n      limits:\n        memory: 128Mi\n", i, 1+i%3, i%10 == 0, i)
	}
	write("values.yaml", values.String())
	for i := range n {
		write(fmt.Sprintf("templates/c%d.yaml", i), strings.ReplaceAll(`{{- $c := .Values.components.cNN }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "big.fullname" . }}-cNN
  labels:
    {{- include "big.labels" . | nindent 4 }}
spec:
  replicas: {{ $c.replicas }}
  selector:
    matchLabels:
      component: cNN
  template:
    metadata:
      labels:
        component: cNN
        {{- include "big.labels" . | nindent 8 }}
    spec:
      securityContext:
        {{- toYaml .Values.podSecurityContext | nindent 8 }}
      containers:
        - name: app
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
          {{- if $c.privileged }}
          securityContext:
            privileged: {{ $c.privileged }}
          {{- end }}
          env:
            {{- range $k, $v := $c.env }}
            - name: {{ $k }}
              value: {{ $v | quote }}
            {{- end }}
          resources:
            {{- toYaml $c.resources | nindent 12 }}
`, "NN", fmt.Sprint(i)))
	}
	return dir
}

// BenchmarkHelmChart100 renders a chart of 100 templates (with the tracing
// render that maps findings to template and values lines) and runs every
// rule over the result: `palisade scan CHART` minus writing the report.
func BenchmarkHelmChart100(b *testing.B) {
	dir := helmChart(b, 100)
	selected, err := engine.Select(rules.All(), nil)
	if err != nil {
		b.Fatal(err)
	}
	opts := engine.Options{Rules: selected, RuleOptions: rule.Options{PSSLevel: "restricted", PSSVersion: "latest"}}
	b.ReportAllocs()
	b.ResetTimer()
	var objects, findings, approximate int
	for b.Loop() {
		res := helm.Render(dir, helm.Options{})
		if len(res.Errors) > 0 {
			b.Fatal(res.Errors[0])
		}
		out := engine.Run(object.NewSet(res.Objects), opts)
		objects, findings, approximate = len(res.Objects), len(out.Findings), 0
		for _, f := range out.Findings {
			if f.Origin == nil || f.Origin.Approximate {
				approximate++
			}
		}
	}
	b.ReportMetric(float64(objects), "objects")
	b.ReportMetric(float64(findings), "findings")
	b.ReportMetric(float64(approximate), "approximate")
}

// BenchmarkHelmRender100 measures rendering and tracing alone.
func BenchmarkHelmRender100(b *testing.B) {
	dir := helmChart(b, 100)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		helm.Render(dir, helm.Options{})
	}
}
