package podsecurity

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/palisade-dev/palisade/internal/object"
)

// asAdmitted returns the pod as Pod Security Admission sees it in the API
// server, after defaulting, in the one respect that changes a verdict: a
// volume with no source is an emptyDir. The pod is copied only when a volume
// needs it.
//
// The API server also defaults the host ports of a hostNetwork pod to its
// container ports, which adds a hostPorts failure to a pod that already
// fails hostNamespaces at the same level; that is not mirrored here.
func asAdmitted(pod object.PodTemplate) object.PodTemplate {
	for i := range pod.Spec.Volumes {
		if pod.Spec.Volumes[i].VolumeSource == (corev1.VolumeSource{}) {
			return withDefaultVolumes(pod)
		}
	}
	return pod
}

func withDefaultVolumes(pod object.PodTemplate) object.PodTemplate {
	spec := *pod.Spec
	spec.Volumes = make([]corev1.Volume, len(pod.Spec.Volumes))
	for i, v := range pod.Spec.Volumes {
		if v.VolumeSource == (corev1.VolumeSource{}) {
			v.EmptyDir = &corev1.EmptyDirVolumeSource{}
		}
		spec.Volumes[i] = v
	}
	pod.Spec = &spec
	return pod
}
