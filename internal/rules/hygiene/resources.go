package hygiene

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
)

// ResourcesMissing reports containers without the resource settings that
// let the scheduler place them and the kernel contain them.
var ResourcesMissing = &rule.Rule{
	Meta: rule.Meta{
		ID:       "resources-missing",
		Title:    "Container resources not set",
		Severity: rule.Low,
		Category: rule.CategoryHygiene,
		Doc: "A container without a memory limit can exhaust its node's memory and have its neighbours killed, " +
			"and one without CPU and memory requests is scheduled as if it needed nothing, so a single busy or " +
			"compromised workload starves the others. The rule flags init and regular containers that end up " +
			"without a memory limit, a memory request or a CPU request, counting the values Kubernetes fills in: a " +
			"request defaults to the container's limit, and pod-level resources or a LimitRange of the object's " +
			"namespace in the same scan supply defaults.",
		Remediation: "Set resources.requests.cpu, resources.requests.memory and resources.limits.memory on every container.",
		References: []framework.Ref{
			framework.NSARef("resource-policies"),
			framework.MITRERef("T1499"),
		},
	},
	Fixable: true,
	Run: func(pass *rule.Pass) error {
		pod, ok := pass.Object.PodTemplate()
		if !ok {
			return nil
		}
		defaults := limitRangeDefaults(pass.Set, pass.Object.Namespace())
		for _, c := range pod.Containers() {
			if c.Kind == object.EphemeralContainer {
				continue // the API does not allow resources on ephemeral containers
			}
			if missing := missingResources(c.Resources, pod.Spec.Resources, defaults); len(missing) > 0 {
				fix := func() *rule.Fix { return resourcesFix(c, missing) }
				pass.ReportContainer(c, c.Path.Field("resources"), fix, "%s has no %s",
					rule.ContainerMessage(c), joinOr(missing))
			}
		}
		return nil
	},
}

// defaults are the resources Kubernetes fills into a container that does
// not set them.
type defaults struct {
	limits, requests corev1.ResourceList
}

// missingResources lists what a container lacks once the defaults apply:
// a request defaults to the container's own limit, then to the pod-level
// value or the namespace's LimitRange default.
func missingResources(c corev1.ResourceRequirements, pod *corev1.ResourceRequirements, d defaults) []string {
	var podLimits, podRequests corev1.ResourceList
	if pod != nil {
		podLimits, podRequests = pod.Limits, pod.Requests
	}
	has := func(name corev1.ResourceName, lists ...corev1.ResourceList) bool {
		for _, l := range lists {
			if _, ok := l[name]; ok {
				return true
			}
		}
		return false
	}
	var missing []string
	if !has(corev1.ResourceMemory, c.Limits, podLimits, d.limits) {
		missing = append(missing, "memory limit")
	}
	if !has(corev1.ResourceMemory, c.Requests, c.Limits, podRequests, podLimits, d.requests) {
		missing = append(missing, "memory request")
	}
	if !has(corev1.ResourceCPU, c.Requests, c.Limits, podRequests, podLimits, d.requests) {
		missing = append(missing, "CPU request")
	}
	return missing
}

// limitRangeDefaults collects the container defaults of the LimitRanges of
// namespace ns in the scan, completed as the API server completes them: a
// default limit falls back to max, and a default request to the default
// limit and then to min.
func limitRangeDefaults(set *object.Set, ns string) defaults {
	d := defaults{limits: corev1.ResourceList{}, requests: corev1.ResourceList{}}
	for _, o := range set.Kind("LimitRange") {
		lr, ok := o.Typed.(*corev1.LimitRange)
		if !ok || o.Namespace() != ns {
			continue
		}
		for _, item := range lr.Spec.Limits {
			if item.Type != corev1.LimitTypeContainer {
				continue
			}
			for _, l := range []corev1.ResourceList{item.Default, item.Max} {
				addMissing(d.limits, l)
			}
			for _, l := range []corev1.ResourceList{item.DefaultRequest, item.Default, item.Max, item.Min} {
				addMissing(d.requests, l)
			}
		}
	}
	return d
}

// addMissing copies into dst the entries of src it does not have.
func addMissing(dst, src corev1.ResourceList) {
	for name, q := range src {
		if _, ok := dst[name]; !ok {
			dst[name] = q
		}
	}
}

// Starting values for the resources a container lacks. They are guesses,
// so the fix is unsafe.
const (
	defaultCPURequest    = "100m"
	defaultMemoryRequest = "128Mi"
)

// resourcesFix adds what missingResources found missing: a CPU request of
// 100m and a memory request of 128Mi, and a memory limit equal to the
// memory request.
func resourcesFix(c object.Container, missing []string) *rule.Fix {
	requests, limits := map[string]any{}, map[string]any{}
	memRequest := defaultMemoryRequest
	if q, ok := c.Resources.Requests[corev1.ResourceMemory]; ok {
		memRequest = q.String()
	}
	for _, m := range missing {
		switch m {
		case "memory limit":
			limits[string(corev1.ResourceMemory)] = memRequest
		case "memory request":
			requests[string(corev1.ResourceMemory)] = memRequest
		case "CPU request":
			requests[string(corev1.ResourceCPU)] = defaultCPURequest
		}
	}
	at := c.Path.Field("resources")
	var ops []rule.PatchOp
	set := func(name string, have corev1.ResourceList, want map[string]any) {
		switch {
		case len(want) == 0:
		case have == nil:
			ops = append(ops, rule.Set(at.Field(name), want))
		default:
			for _, k := range []string{string(corev1.ResourceCPU), string(corev1.ResourceMemory)} {
				if v, ok := want[k]; ok {
					ops = append(ops, rule.Set(at.Field(name).Field(k), v))
				}
			}
		}
	}
	if c.Resources.Requests == nil && c.Resources.Limits == nil && len(c.Resources.Claims) == 0 {
		value := map[string]any{}
		if len(requests) > 0 {
			value["requests"] = requests
		}
		if len(limits) > 0 {
			value["limits"] = limits
		}
		ops = []rule.PatchOp{rule.Set(at, value)}
	} else {
		set("requests", c.Resources.Requests, requests)
		set("limits", c.Resources.Limits, limits)
	}
	return &rule.Fix{
		Patch:  ops,
		Unsafe: true,
		Note: "the values are starting points (" + defaultCPURequest + " CPU, " + defaultMemoryRequest + " memory): " +
			"measure what the container uses and set its real needs, since a memory limit below its use gets it killed",
	}
}
