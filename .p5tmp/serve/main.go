package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"

	"github.com/palisade-dev/palisade/test/apiserver"
)

const (
	benchNamespaces  = 50
	benchPods        = 10000
	benchDeployments = 1000
	benchServices    = 500
	benchRBAC        = 400
)

type tb struct{}

func (tb) Helper()                   {}
func (tb) Fatal(a ...any)            { panic(fmt.Sprint(a...)) }
func (tb) Fatalf(f string, a ...any) { panic(fmt.Sprintf(f, a...)) }
func (tb) TempDir() string           { d, _ := os.MkdirTemp("", "serve"); return d }
func (tb) Name() string              { return "serve" }

func main() {
	srv, err := apiserver.Start()
	if err != nil {
		panic(err)
	}
	defer srv.Stop()
	start := time.Now()
	if err := populateCluster(srv); err != nil {
		srv.Stop()
		panic(err)
	}
	fmt.Println("populated in", time.Since(start))
	kc := srv.Kubeconfig(tb{}, apiserver.Admin)
	fmt.Println("KUBECONFIG", kc)
	os.WriteFile("/tmp/p5-kubeconfig-path", []byte(kc), 0o600)
	c := make(chan os.Signal, 1)
	signal.Notify(c, os.Interrupt, syscall.SIGTERM)
	<-c
}

// populateCluster creates the benchmark's objects with 32 concurrent
// clients.
func populateCluster(srv *apiserver.Server) error {
	cfg := srv.Config(apiserver.Admin)
	cfg.ContentType = "application/vnd.kubernetes.protobuf"
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	ctx := context.Background()
	var namespaces []string
	for i := range benchNamespaces {
		ns := fmt.Sprintf("bench-%02d", i)
		if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			return err
		}
		if _, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
		namespaces = append(namespaces, ns)
	}
	jobs := make(chan func() error)
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for job := range jobs {
				if err := job(); err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		}()
	}
	for i := range benchPods {
		ns, app := namespaces[i%benchNamespaces], fmt.Sprintf("app-%d", i%(benchDeployments/benchNamespaces))
		jobs <- func() error {
			pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("pod-%05d", i), Labels: map[string]string{"app": app, "tier": "web"}}, Spec: podSpec(i)}
			_, err := cs.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{})
			return err
		}
	}
	for i := range benchDeployments {
		ns, app := namespaces[i%benchNamespaces], fmt.Sprintf("app-%d", i/benchNamespaces)
		jobs <- func() error {
			d := &appsv1.Deployment{
				ObjectMeta: metav1.ObjectMeta{Name: app, Labels: map[string]string{"app": app}},
				Spec: appsv1.DeploymentSpec{
					Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": app}},
					Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": app, "tier": "web"}}, Spec: podSpec(i)},
				},
			}
			_, err := cs.AppsV1().Deployments(ns).Create(ctx, d, metav1.CreateOptions{})
			return err
		}
	}
	for i := range benchServices {
		ns, app := namespaces[i%benchNamespaces], fmt.Sprintf("app-%d", i/benchNamespaces)
		jobs <- func() error {
			svc := &corev1.Service{
				ObjectMeta: metav1.ObjectMeta{Name: app},
				Spec: corev1.ServiceSpec{
					Selector: map[string]string{"app": app},
					Ports:    []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(8080)}},
				},
			}
			if i%10 == 0 {
				svc.Spec.Type = corev1.ServiceTypeLoadBalancer
			}
			_, err := cs.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{})
			return err
		}
	}
	for i := range benchRBAC / 2 {
		ns := namespaces[i%benchNamespaces]
		name := fmt.Sprintf("role-%d", i)
		jobs <- func() error {
			role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: []rbacv1.PolicyRule{
				{APIGroups: []string{""}, Resources: []string{"pods", "configmaps"}, Verbs: []string{"get", "list", "watch"}},
				{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get"}},
			}}
			if _, err := cs.RbacV1().Roles(ns).Create(ctx, role, metav1.CreateOptions{}); err != nil {
				return err
			}
			rb := &rbacv1.RoleBinding{
				ObjectMeta: metav1.ObjectMeta{Name: name},
				RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: name},
				Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: "default", Namespace: ns}},
			}
			_, err := cs.RbacV1().RoleBindings(ns).Create(ctx, rb, metav1.CreateOptions{})
			return err
		}
	}
	close(jobs)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}

// podSpec is a typical application pod: two containers with ports, env,
// probes, resources and volumes; every fourth one with a weakness.
func podSpec(i int) corev1.PodSpec {
	spec := corev1.PodSpec{
		Containers: []corev1.Container{
			{
				Name:  "app",
				Image: fmt.Sprintf("registry.example.com/team/app-%d:1.%d.0", i%97, i%13),
				Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}},
				Env: []corev1.EnvVar{
					{Name: "LOG_LEVEL", Value: "info"},
					{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}},
				},
				Resources: corev1.ResourceRequirements{
					Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi")},
					Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("256Mi")},
				},
				ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/ready", Port: intstr.FromString("http")}}},
				VolumeMounts:   []corev1.VolumeMount{{Name: "config", MountPath: "/etc/app"}},
			},
			{
				Name:  "sidecar",
				Image: "registry.example.com/infra/proxy:2.4.1",
				Args:  []string{"--upstream=127.0.0.1:8080", "--listen=:9090"},
			},
		},
		Volumes: []corev1.Volume{{Name: "config", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "app-config"}}}}},
	}
	if i%4 == 0 {
		t := true
		spec.Containers[1].SecurityContext = &corev1.SecurityContext{Privileged: &t}
	}
	return spec
}
