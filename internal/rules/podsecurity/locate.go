package podsecurity

import (
	"slices"
	"sync"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/pod-security-admission/policy"

	"github.com/palisade-dev/palisade/internal/object"
)

// culpritKind says which part of a pod makes a check fail.
type culpritKind int

const (
	culpritNone       culpritKind = iota // no single part fails on its own
	culpritPod                           // pod-level fields other than volumes and sysctls
	culpritSysctl                        // one entry of spec.securityContext.sysctls
	culpritVolume                        // one entry of spec.volumes
	culpritContainer                     // one init, regular or ephemeral container
	culpritAnnotation                    // one annotation of the pod
)

// culprit is the first part of a pod that fails a check on its own.
type culprit struct {
	kind culpritKind
	// path locates the part (not set for culpritPod).
	path object.Path
	// index is the sysctl's or volume's index.
	index int
	// container is set for culpritContainer.
	container object.Container
}

// findCulprit finds which part of pod makes fn fail by running fn on reduced
// copies of the pod: first its pod-level fields alone, then with each sysctl,
// each volume and each container on its own (containers keep the pod-level
// security context they inherit), and last each annotation on its own.
// Running the PSA check itself, rather than a copy of its logic, keeps the
// position exact at every level and version. It runs only on failure, and
// works on a recycled copy of the pod spec (see probes).
func findCulprit(pod object.PodTemplate, fn policy.CheckPodFn) culprit {
	probe := probes.Get().(*corev1.PodSpec)
	defer func() {
		*probe = corev1.PodSpec{} // hold on to nothing of this pod
		probes.Put(probe)
	}()
	*probe = *pod.Spec
	probe.InitContainers, probe.Containers, probe.EphemeralContainers, probe.Volumes = nil, nil, nil, nil
	fails := func() bool { return !fn(noMeta, probe).Allowed }

	var sysctls []corev1.Sysctl
	if sc := pod.Spec.SecurityContext; sc != nil && len(sc.Sysctls) > 0 {
		sysctls = sc.Sysctls
		reduced := *sc
		reduced.Sysctls = nil
		probe.SecurityContext = &reduced
	}
	if fails() {
		return culprit{kind: culpritPod}
	}
	if len(sysctls) > 0 {
		if i := failsAlone(&probe.SecurityContext.Sysctls, sysctls, fails); i >= 0 {
			return culprit{kind: culpritSysctl, index: i}
		}
	}
	probe.SecurityContext = pod.Spec.SecurityContext
	if i := failsAlone(&probe.Volumes, pod.Spec.Volumes, fails); i >= 0 {
		return culprit{kind: culpritVolume, index: i, path: pod.SpecPath.Field("volumes").Index(i)}
	}
	if i := failsAlone(&probe.InitContainers, pod.Spec.InitContainers, fails); i >= 0 {
		return containerCulprit(pod, object.InitContainer, i, &pod.Spec.InitContainers[i])
	}
	if i := failsAlone(&probe.Containers, pod.Spec.Containers, fails); i >= 0 {
		return containerCulprit(pod, object.RegularContainer, i, &pod.Spec.Containers[i])
	}
	if i := failsAlone(&probe.EphemeralContainers, pod.Spec.EphemeralContainers, fails); i >= 0 {
		c := corev1.Container(pod.Spec.EphemeralContainers[i].EphemeralContainerCommon)
		return containerCulprit(pod, object.EphemeralContainer, i, &c)
	}
	return annotationCulprit(pod, fn)
}

// noMeta is the metadata of a probe: none. The checks only read it, so one
// value serves every probe; allocating it per probe showed in large scans.
var noMeta = &metav1.ObjectMeta{}

// probes recycles findCulprit's copies of pod specs: a scan of thousands
// of failing pods would otherwise allocate one per failed check.
var probes = sync.Pool{New: func() any { return new(corev1.PodSpec) }}

// annotationCulprit returns the first annotation (in key order) that makes
// fn fail on the whole pod spec on its own. It blames none when the spec
// fails even without annotations: then only a combination of parts fails.
func annotationCulprit(pod object.PodTemplate, fn policy.CheckPodFn) culprit {
	if len(pod.Meta.Annotations) == 0 || !fn(noMeta, pod.Spec).Allowed {
		return culprit{kind: culpritNone}
	}
	keys := make([]string, 0, len(pod.Meta.Annotations))
	for k := range pod.Meta.Annotations {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		meta := &metav1.ObjectMeta{Annotations: map[string]string{k: pod.Meta.Annotations[k]}}
		if !fn(meta, pod.Spec).Allowed {
			return culprit{kind: culpritAnnotation, path: pod.MetaPath.Field("annotations").Field(k)}
		}
	}
	return culprit{kind: culpritNone}
}

// failsAlone sets *field to each element of all in turn and returns the
// index of the first one for which fails reports true, or -1. It leaves
// *field empty.
func failsAlone[T any](field *[]T, all []T, fails func() bool) int {
	defer func() { *field = nil }()
	for i := range all {
		*field = all[i : i+1 : i+1]
		if fails() {
			return i
		}
	}
	return -1
}

func containerCulprit(pod object.PodTemplate, kind object.ContainerKind, i int, c *corev1.Container) culprit {
	p := pod.SpecPath.Field(string(kind)).Index(i)
	return culprit{kind: culpritContainer, path: p, container: object.Container{Container: c, Kind: kind, Path: p}}
}
