package object_test

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/palisade-dev/palisade/internal/object"
)

func TestFromTyped(t *testing.T) {
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "prod"}}
	d.Spec.Template.Spec.Containers = []corev1.Container{{Name: "c", Image: "nginx"}}
	o, err := object.FromTyped(d, object.Source{File: "cluster://ctx/prod/Deployment/web"})
	if err != nil {
		t.Fatal(err)
	}
	if o.APIVersion != "apps/v1" || o.Kind != "Deployment" || o.Name != "web" || o.RawNamespace != "prod" || o.Line != 0 {
		t.Errorf("got %s %s %s/%s line %d", o.APIVersion, o.Kind, o.RawNamespace, o.Name, o.Line)
	}
	if d.APIVersion != "apps/v1" || d.Kind != "Deployment" {
		t.Error("TypeMeta not filled in")
	}
	pod, ok := o.PodTemplate()
	if !ok || len(pod.Containers()) != 1 {
		t.Error("no pod template")
	}
	if pos, _ := o.Position(object.Path("spec").Field("template")); pos.Line != 0 {
		t.Errorf("position %v for an object without source lines", pos)
	}
	if _, err := object.FromTyped(&storagev1.StorageClass{}, object.Source{}); err == nil {
		t.Error("a kind outside the scheme was accepted")
	}
}
