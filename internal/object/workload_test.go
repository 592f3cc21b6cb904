package object

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// podSpecYAML is a pod spec with one container of each list, indented by
// ind; the images name the object so that positions can be checked.
func podSpecYAML(name string) string {
	return strings.ReplaceAll(`initContainers:
- name: init
  image: init-IMAGE
containers:
- name: main
  image: main-IMAGE
- name: side
  image: side-IMAGE
ephemeralContainers:
- name: debug
  image: debug-IMAGE
  targetContainerName: main
`, "IMAGE", name)
}

func indent(s, ind string) string {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	for i := range lines {
		lines[i] = ind + lines[i]
	}
	return strings.Join(lines, "\n") + "\n"
}

// workloadYAML writes a workload of the given kind whose pod template is at
// path (dotted, "" for a Pod) with the pod spec of podSpecYAML.
func workloadYAML(apiVersion, kind, path, name string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: %s\nkind: %s\nmetadata:\n  name: %s\n  namespace: ns\n", apiVersion, kind, name)
	if path == "" {
		b.WriteString("spec:\n" + indent(podSpecYAML(name), "  "))
		return b.String()
	}
	ind := ""
	for _, step := range strings.Split(path, ".") {
		b.WriteString(ind + step + ":\n")
		ind += "  "
	}
	b.WriteString(ind + "metadata:\n" + ind + "  labels: {app: " + name + "}\n")
	b.WriteString(ind + "spec:\n" + indent(podSpecYAML(name), ind+"  "))
	return b.String()
}

var workloadKinds = []struct {
	apiVersion, kind, template string
	controller                 bool
}{
	{"v1", "Pod", "", false},
	{"v1", "PodTemplate", "template", false},
	{"v1", "ReplicationController", "spec.template", true},
	{"apps/v1", "Deployment", "spec.template", true},
	{"apps/v1", "ReplicaSet", "spec.template", true},
	{"apps/v1", "StatefulSet", "spec.template", true},
	{"apps/v1", "DaemonSet", "spec.template", true},
	{"apps/v1beta1", "Deployment", "spec.template", true},
	{"apps/v1beta1", "StatefulSet", "spec.template", true},
	{"apps/v1beta2", "Deployment", "spec.template", true},
	{"apps/v1beta2", "ReplicaSet", "spec.template", true},
	{"apps/v1beta2", "StatefulSet", "spec.template", true},
	{"apps/v1beta2", "DaemonSet", "spec.template", true},
	{"extensions/v1beta1", "Deployment", "spec.template", true},
	{"extensions/v1beta1", "ReplicaSet", "spec.template", true},
	{"extensions/v1beta1", "DaemonSet", "spec.template", true},
	{"batch/v1", "Job", "spec.template", true},
	{"batch/v1", "CronJob", "spec.jobTemplate.spec.template", true},
	{"batch/v1beta1", "CronJob", "spec.jobTemplate.spec.template", true},
}

func TestPodTemplateEveryKind(t *testing.T) {
	for _, w := range workloadKinds {
		name := strings.ToLower(strings.ReplaceAll(w.apiVersion+"-"+w.kind, "/", "-"))
		t.Run(name, func(t *testing.T) {
			src := []byte(workloadYAML(w.apiVersion, w.kind, w.template, name))
			res := decodeOK(t, name+".yaml", src)
			if len(res.Objects) != 1 || res.Objects[0].Typed == nil {
				t.Fatalf("want one typed object, got %v", res.Objects)
			}
			o := res.Objects[0]
			pt, ok := o.PodTemplate()
			if !ok {
				t.Fatal("no pod template")
			}
			if o.IsPodController() != w.controller {
				t.Errorf("IsPodController() = %v", o.IsPodController())
			}
			wantMeta, wantSpec := Path("metadata"), Path("spec")
			if w.template != "" {
				wantMeta, wantSpec = Path(w.template+".metadata"), Path(w.template+".spec")
				if pt.Meta.Labels["app"] != name {
					t.Errorf("template labels = %v", pt.Meta.Labels)
				}
			} else if pt.Meta != o.Meta() {
				t.Error("a Pod's template metadata must be its own")
			}
			if pt.MetaPath != wantMeta || pt.SpecPath != wantSpec {
				t.Errorf("paths %s, %s; want %s, %s", pt.MetaPath, pt.SpecPath, wantMeta, wantSpec)
			}
			if pos, ok := o.Position(pt.SpecPath); !ok || textAt(src, pos)[:4] != "spec" {
				t.Errorf("SpecPath at %v (%v)", pos, ok)
			}

			cs := pt.Containers()
			var got []string
			for _, c := range cs {
				got = append(got, fmt.Sprintf("%s %s %s", c.Kind, c.Name, c.Path))
				pos, ok := o.Position(c.Path.Field("image"))
				if want := loc(t, src, c.Name+"-"+name, c.Name); !ok || pos.Line != want.Line {
					t.Errorf("%s: image at %v (%v), want line %d", c.Path, pos, ok, want.Line)
				}
				if c.Image != c.Name+"-"+name {
					t.Errorf("%s: image %q", c.Path, c.Image)
				}
			}
			want := []string{
				fmt.Sprintf("initContainers init %s.initContainers[0]", wantSpec),
				fmt.Sprintf("containers main %s.containers[0]", wantSpec),
				fmt.Sprintf("containers side %s.containers[1]", wantSpec),
				fmt.Sprintf("ephemeralContainers debug %s.ephemeralContainers[0]", wantSpec),
			}
			if !slices.Equal(got, want) {
				t.Errorf("containers:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			// The ephemeral container is converted with every field.
			if eph := cs[3]; eph.Container == nil || eph.Name != "debug" || eph.Image != "debug-"+name {
				t.Errorf("ephemeral container %+v", eph)
			}
			if pt.Spec.EphemeralContainers[0].TargetContainerName != "main" {
				t.Error("ephemeral targetContainerName lost")
			}
			// Calling again gives the same answer.
			pt2, _ := o.PodTemplate()
			if pt2.Spec != pt.Spec || len(pt2.Containers()) != 4 {
				t.Error("PodTemplate is not stable")
			}
		})
	}
}

func TestPodTemplateNotAWorkload(t *testing.T) {
	src := []byte(`apiVersion: v1
kind: ReplicationController
metadata: {name: no-template}
spec: {replicas: 1}
---
apiVersion: v1
kind: Service
metadata: {name: s}
---
apiVersion: example.com/v1
kind: Deployment
metadata: {name: custom}
spec:
  template:
    spec:
      containers: [{name: c, image: x}]
`)
	res := decodeOK(t, "w.yaml", src)
	for _, o := range res.Objects {
		if pt, ok := o.PodTemplate(); ok || o.IsPodController() || pt.Spec != nil {
			t.Errorf("%s has a pod template", o.Ref())
		}
	}
}

// TestPodTemplateCoversScheme finds every compiled-in kind that embeds a
// pod template or pod spec and checks that PodTemplate knows it, so a kind
// added to the scheme cannot escape the workload rules.
func TestPodTemplateCoversScheme(t *testing.T) {
	podSpec := reflect.TypeFor[corev1.PodSpec]()
	found := 0
	for gvk, typ := range scheme.AllKnownTypes() {
		if strings.HasSuffix(gvk.Kind, "List") {
			continue
		}
		v := reflect.New(typ)
		if !fillPodSpec(v.Elem(), podSpec, 0) {
			continue
		}
		found++
		o := &Object{APIVersion: gvk.GroupVersion().String(), Kind: gvk.Kind, Typed: v.Interface().(runtime.Object)}
		if _, ok := o.PodTemplate(); !ok {
			t.Errorf("%s embeds a pod spec but PodTemplate does not know it", gvk)
		}
	}
	if found != len(workloadKinds) {
		t.Errorf("found %d kinds with a pod spec, want the %d of workloadKinds", found, len(workloadKinds))
	}
}

// fillPodSpec reports whether v (a struct, through fields and pointers but
// not slices or maps) holds a value of type target, allocating the
// pointers on the way to it.
func fillPodSpec(v reflect.Value, target reflect.Type, depth int) bool {
	if v.Type() == target {
		return true
	}
	if depth > 8 {
		return false
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.Type().Elem().Kind() != reflect.Struct {
			return false
		}
		n := reflect.New(v.Type().Elem())
		if fillPodSpec(n.Elem(), target, depth+1) {
			v.Set(n)
			return true
		}
	case reflect.Struct:
		found := false
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() && fillPodSpec(v.Field(i), target, depth+1) {
				found = true
			}
		}
		return found
	}
	return false
}
