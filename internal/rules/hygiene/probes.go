package hygiene

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
)

// ProbesMissing reports long-running containers without readiness or
// liveness probes.
var ProbesMissing = &rule.Rule{
	Meta: rule.Meta{
		ID:       "probes-missing",
		Title:    "Container health probes not set",
		Severity: rule.Low,
		Category: rule.CategoryHygiene,
		Doc: "Without a readiness probe a Service sends traffic to a container as soon as it starts and keeps doing " +
			"so while it cannot answer; without a liveness probe a deadlocked container is never restarted, so " +
			"an overload or an attack leaves the workload down until someone notices. The rule flags the regular " +
			"containers of pods that run until stopped (restartPolicy Always, the default), so Jobs and CronJobs, " +
			"whose pods run to completion, are left out; it is off by default because a missing probe is often a " +
			"deliberate choice.",
		Remediation: "Add a readinessProbe and a livenessProbe that check the application's own health to each long-running container.",
		References: []framework.Ref{
			framework.MITRERef("T1499"),
		},
		DefaultOff: true,
	},
	Run: func(pass *rule.Pass) error {
		pod, ok := pass.Object.PodTemplate()
		if !ok || !runsUntilStopped(pod) {
			return nil
		}
		for _, c := range pod.Containers() {
			if c.Kind != object.RegularContainer {
				continue
			}
			var missing []string
			if c.ReadinessProbe == nil {
				missing = append(missing, "readinessProbe")
			}
			if c.LivenessProbe == nil {
				missing = append(missing, "livenessProbe")
			}
			if len(missing) > 0 {
				pass.ReportContainer(c, c.Path.Field(missing[0]), nil, "%s has no %s",
					rule.ContainerMessage(c), joinOr(missing))
			}
		}
		return nil
	},
}

// runsUntilStopped reports whether the pod's containers are restarted
// whenever they exit: restartPolicy Always, the default. Jobs require
// OnFailure or Never.
func runsUntilStopped(pod object.PodTemplate) bool {
	p := pod.Spec.RestartPolicy
	return p == "" || p == corev1.RestartPolicyAlways
}
