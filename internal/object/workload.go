package object

import (
	appsv1 "k8s.io/api/apps/v1"
	appsv1beta1 "k8s.io/api/apps/v1beta1"
	appsv1beta2 "k8s.io/api/apps/v1beta2"
	batchv1 "k8s.io/api/batch/v1"
	batchv1beta1 "k8s.io/api/batch/v1beta1"
	corev1 "k8s.io/api/core/v1"
	extensionsv1beta1 "k8s.io/api/extensions/v1beta1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// PodTemplate is the pod a workload runs, whatever its kind.
type PodTemplate struct {
	// Meta is the pod's metadata: the template's for controllers, the
	// object's own for a Pod. Never nil.
	Meta *metav1.ObjectMeta
	// Spec is the pod spec. Never nil.
	Spec *corev1.PodSpec
	// MetaPath and SpecPath locate Meta and Spec inside the object.
	MetaPath, SpecPath Path

	containers []Container
}

// PodTemplate returns the pod spec of any workload kind (Pod, Deployment,
// ReplicaSet, StatefulSet, DaemonSet, Job, CronJob, ReplicationController,
// PodTemplate, in every API version compiled in) and false for other objects.
// It is computed once per object: every rule asks for it.
func (o *Object) PodTemplate() (PodTemplate, bool) {
	o.podOnce.Do(func() {
		o.pod, o.hasPod = podTemplateOf(o)
		if o.hasPod {
			o.pod.containers = o.pod.buildContainers()
		}
	})
	return o.pod, o.hasPod
}

func podTemplateOf(o *Object) (PodTemplate, bool) {
	tmpl := func(t *corev1.PodTemplateSpec, base Path) (PodTemplate, bool) {
		if t == nil {
			return PodTemplate{}, false
		}
		return PodTemplate{Meta: &t.ObjectMeta, Spec: &t.Spec, MetaPath: base.Field("metadata"), SpecPath: base.Field("spec")}, true
	}
	spec := Path("spec").Field("template")
	switch w := o.Typed.(type) {
	case *corev1.Pod:
		return PodTemplate{Meta: &w.ObjectMeta, Spec: &w.Spec, MetaPath: "metadata", SpecPath: "spec"}, true
	case *corev1.PodTemplate:
		return tmpl(&w.Template, "template")
	case *corev1.ReplicationController:
		return tmpl(w.Spec.Template, spec)
	case *appsv1.Deployment:
		return tmpl(&w.Spec.Template, spec)
	case *appsv1.ReplicaSet:
		return tmpl(&w.Spec.Template, spec)
	case *appsv1.StatefulSet:
		return tmpl(&w.Spec.Template, spec)
	case *appsv1.DaemonSet:
		return tmpl(&w.Spec.Template, spec)
	case *appsv1beta1.Deployment:
		return tmpl(&w.Spec.Template, spec)
	case *appsv1beta1.StatefulSet:
		return tmpl(&w.Spec.Template, spec)
	case *appsv1beta2.Deployment:
		return tmpl(&w.Spec.Template, spec)
	case *appsv1beta2.ReplicaSet:
		return tmpl(&w.Spec.Template, spec)
	case *appsv1beta2.StatefulSet:
		return tmpl(&w.Spec.Template, spec)
	case *appsv1beta2.DaemonSet:
		return tmpl(&w.Spec.Template, spec)
	case *extensionsv1beta1.Deployment:
		return tmpl(&w.Spec.Template, spec)
	case *extensionsv1beta1.ReplicaSet:
		return tmpl(&w.Spec.Template, spec)
	case *extensionsv1beta1.DaemonSet:
		return tmpl(&w.Spec.Template, spec)
	case *batchv1.Job:
		return tmpl(&w.Spec.Template, spec)
	case *batchv1.CronJob:
		return tmpl(&w.Spec.JobTemplate.Spec.Template, Path("spec").Field("jobTemplate").Field("spec").Field("template"))
	case *batchv1beta1.CronJob:
		return tmpl(&w.Spec.JobTemplate.Spec.Template, Path("spec").Field("jobTemplate").Field("spec").Field("template"))
	}
	return PodTemplate{}, false
}

// ContainerKind says which list of the pod spec a container is in.
type ContainerKind string

// The container lists of a pod spec, named as in the API.
const (
	InitContainer      ContainerKind = "initContainers"
	RegularContainer   ContainerKind = "containers"
	EphemeralContainer ContainerKind = "ephemeralContainers"
)

// Container is one container of a pod template with its location.
type Container struct {
	*corev1.Container
	Kind ContainerKind
	// Path locates the container inside the object, for example
	// `spec.template.spec.containers[1]`.
	Path Path
}

// Containers returns every container of the pod: init containers, regular
// containers and ephemeral containers, in that order. Ephemeral containers
// are converted to corev1.Container, which has the same fields. The slice is
// shared: callers must not modify it.
func (t PodTemplate) Containers() []Container {
	if t.containers != nil {
		return t.containers
	}
	return t.buildContainers()
}

func (t PodTemplate) buildContainers() []Container {
	out := make([]Container, 0, len(t.Spec.InitContainers)+len(t.Spec.Containers)+len(t.Spec.EphemeralContainers))
	for i := range t.Spec.InitContainers {
		out = append(out, Container{Container: &t.Spec.InitContainers[i], Kind: InitContainer, Path: t.SpecPath.Field(string(InitContainer)).Index(i)})
	}
	for i := range t.Spec.Containers {
		out = append(out, Container{Container: &t.Spec.Containers[i], Kind: RegularContainer, Path: t.SpecPath.Field(string(RegularContainer)).Index(i)})
	}
	for i := range t.Spec.EphemeralContainers {
		c := corev1.Container(t.Spec.EphemeralContainers[i].EphemeralContainerCommon)
		out = append(out, Container{Container: &c, Kind: EphemeralContainer, Path: t.SpecPath.Field(string(EphemeralContainer)).Index(i)})
	}
	return out
}

// IsPodController reports whether o is a workload that creates pods from a
// template (everything PodTemplate accepts except Pod and PodTemplate).
func (o *Object) IsPodController() bool {
	if _, ok := o.PodTemplate(); !ok {
		return false
	}
	switch o.Typed.(type) {
	case *corev1.Pod, *corev1.PodTemplate:
		return false
	}
	return true
}
