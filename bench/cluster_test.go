package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"

	"github.com/palisade-dev/palisade/test/apiserver"
)

func TestMain(m *testing.M) { apiserver.Main(m) }

// The cluster of BenchmarkClusterScan, as issue 5 sets it.
const (
	benchNamespaces  = 50
	benchPods        = 10000
	benchDeployments = 1000
	benchServices    = 500
	benchRBAC        = 400 // Roles and RoleBindings, half each
)

var populate struct {
	once sync.Once
	err  error
	took time.Duration
}

// BenchmarkClusterScan times `palisade scan --cluster -A` as a separate
// process against the test API server holding 10,000 pods in 50
// namespaces, 1,000 Deployments, 500 Services and 400 RBAC objects, and
// reports its wall time and peak RSS (the targets are 5 s and 300 MB). The
// pods are created directly and stay Pending: nothing schedules them.
// By default each pod belongs to a ReplicaSet of a Deployment (1,000
// ReplicaSets more), as in a real cluster: every pod is listed, and
// checked through its Deployment. PALISADE_BENCH_PODS=standalone creates
// them without owners instead, so that each of the 10,000 is checked (about
// 250,000 findings): the worst case.
//
//	go test ./bench -run '^$' -bench ClusterScan -benchtime 3x
//	PALISADE_BENCH_PODS=standalone go test ./bench -run '^$' -bench ClusterScan -benchtime 3x
func BenchmarkClusterScan(b *testing.B) {
	srv := apiserver.Shared(b)
	populate.once.Do(func() {
		start := time.Now()
		populate.err = populateCluster(srv, os.Getenv("PALISADE_BENCH_PODS") != "standalone")
		populate.took = time.Since(start)
	})
	if populate.err != nil {
		b.Fatal(populate.err)
	}
	b.Logf("created the objects in %v", populate.took.Round(time.Millisecond))
	dir := b.TempDir()
	bin := filepath.Join(dir, "palisade")
	build := exec.Command("go", "build", "-o", bin, "../cmd/palisade")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	kubeconfig := srv.Kubeconfig(b, apiserver.Admin)
	// The floor: the API server listing the pods as protobuf, in pages of
	// 500, to a client that only decodes them. It shows how busy the
	// machine is.
	b.Run("list-pods-protobuf", func(b *testing.B) {
		cfg := srv.Config(apiserver.Admin)
		cfg.ContentType = "application/vnd.kubernetes.protobuf"
		cfg.AcceptContentTypes = cfg.ContentType
		cs, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			b.Fatal(err)
		}
		for range b.N {
			n, cont := 0, ""
			for {
				l, err := cs.CoreV1().Pods("").List(context.Background(), metav1.ListOptions{Limit: 500, Continue: cont})
				if err != nil {
					b.Fatal(err)
				}
				n += len(l.Items)
				if cont = l.Continue; cont == "" {
					break
				}
			}
			if n < benchPods {
				b.Fatalf("listed %d pods", n)
			}
		}
	})
	for _, format := range []string{"text", "json"} {
		b.Run(format, func(b *testing.B) {
			var maxRSS int64
			var total time.Duration
			b.ResetTimer()
			for range b.N {
				cmd := exec.Command(bin, "scan", "--no-config", "--cluster", "--kubeconfig", kubeconfig, "-A", "-o", format+"="+filepath.Join(dir, "out."+format))
				start := time.Now()
				out, err := cmd.CombinedOutput()
				total += time.Since(start)
				if cmd.ProcessState == nil || cmd.ProcessState.ExitCode() == 2 || (err != nil && cmd.ProcessState.ExitCode() != 1) {
					b.Fatalf("palisade: %v\n%s", err, out)
				}
				if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
					maxRSS = max(maxRSS, ru.Maxrss) // KiB on Linux
				}
			}
			b.ReportMetric(total.Seconds()/float64(b.N), "s/scan")
			b.ReportMetric(float64(maxRSS)/1024, "peak-MB")
			if fi, err := os.Stat(filepath.Join(dir, "out."+format)); err == nil {
				b.ReportMetric(float64(fi.Size())/(1<<20), "report-MB")
			}
		})
	}
}

func controllerRef(apiVersion, kind, name string, uid types.UID) metav1.OwnerReference {
	t := true
	return metav1.OwnerReference{APIVersion: apiVersion, Kind: kind, Name: name, UID: uid, Controller: &t}
}

// populateCluster creates the benchmark's objects with 32 concurrent
// clients. With owned set, every pod belongs to a ReplicaSet of one of the
// Deployments (ten each), as in a real cluster; otherwise the pods stand
// alone, and each is checked on its own.
func populateCluster(srv *apiserver.Server, owned bool) error {
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
		if owned {
			break // created with their Deployments below
		}
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
			created, err := cs.AppsV1().Deployments(ns).Create(ctx, d, metav1.CreateOptions{})
			if err != nil || !owned {
				return err
			}
			// What the controllers would have made: a ReplicaSet owned by
			// the Deployment, and its pods.
			rs := &appsv1.ReplicaSet{
				ObjectMeta: metav1.ObjectMeta{Name: app + "-7d9f", Labels: d.Labels, OwnerReferences: []metav1.OwnerReference{controllerRef("apps/v1", "Deployment", app, created.UID)}},
				Spec:       appsv1.ReplicaSetSpec{Selector: d.Spec.Selector, Template: d.Spec.Template},
			}
			rsCreated, err := cs.AppsV1().ReplicaSets(ns).Create(ctx, rs, metav1.CreateOptions{})
			if err != nil {
				return err
			}
			for p := range benchPods / benchDeployments {
				pod := &corev1.Pod{
					ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-7d9f-%d", app, p), Labels: d.Spec.Template.Labels, OwnerReferences: []metav1.OwnerReference{controllerRef("apps/v1", "ReplicaSet", rs.Name, rsCreated.UID)}},
					Spec:       podSpec(i),
				}
				if _, err := cs.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
					return err
				}
			}
			return nil
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
