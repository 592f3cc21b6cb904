package admission

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are the webhook's Prometheus metrics. They live in their own
// registry, so that tests and several handlers in one process do not
// collide.
type Metrics struct {
	Registry *prometheus.Registry

	requests    *prometheus.CounterVec
	latency     *prometheus.HistogramVec
	denials     *prometheus.CounterVec
	warnings    *prometheus.CounterVec
	mutations   *prometheus.CounterVec
	reloads     *prometheus.CounterVec
	policyGen   prometheus.Gauge
	ruleErrors  *prometheus.CounterVec
	badRequests *prometheus.CounterVec
}

// NewMetrics registers the webhook's metrics in a new registry, with the Go
// runtime and process collectors beside them.
func NewMetrics() *Metrics {
	r := prometheus.NewRegistry()
	m := &Metrics{
		Registry: r,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "palisade_admission_requests_total",
			Help: "Admission requests answered, by endpoint (validate, mutate), operation, resource kind and result (allowed, denied, warned, error).",
		}, []string{"endpoint", "operation", "kind", "result"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "palisade_admission_request_duration_seconds",
			Help: "Time from reading an admission request to writing its response, by endpoint.",
			// Evaluation takes tens to hundreds of microseconds; the API
			// server's timeout is seconds.
			Buckets: []float64{0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5},
		}, []string{"endpoint"}),
		denials: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "palisade_admission_denials_total",
			Help: "Findings that denied a request, by rule.",
		}, []string{"rule"}),
		warnings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "palisade_admission_warnings_total",
			Help: "Findings returned as warnings, by rule.",
		}, []string{"rule"}),
		mutations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "palisade_admission_mutations_total",
			Help: "Fixes applied by the mutating endpoint, by rule.",
		}, []string{"rule"}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "palisade_reloads_total",
			Help: "Reloads of the policy and the TLS certificate, by what was reloaded and the result (ok, error).",
		}, []string{"file", "result"}),
		policyGen: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "palisade_policy_generation",
			Help: "Increments each time a new policy takes effect.",
		}),
		ruleErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "palisade_admission_rule_errors_total",
			Help: "Rules that could not evaluate an object, by rule.",
		}, []string{"rule"}),
		badRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "palisade_admission_bad_requests_total",
			Help: "Requests rejected before evaluation, by reason.",
		}, []string{"reason"}),
	}
	r.MustRegister(m.requests, m.latency, m.denials, m.warnings, m.mutations, m.reloads, m.policyGen, m.ruleErrors, m.badRequests,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}
