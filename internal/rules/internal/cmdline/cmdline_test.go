package cmdline

import (
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
)

const base = object.Path("spec.containers[0]")

func container(image string, command, args []string) object.Container {
	return object.Container{
		Container: &corev1.Container{Name: "c", Image: image, Command: command, Args: args},
		Kind:      object.RegularContainer,
		Path:      base,
	}
}

func TestParseComponent(t *testing.T) {
	for _, tc := range []struct {
		name          string
		image         string
		command, args []string
		want          Component // "" for none
		script        bool
	}{
		{"kubeadm", "registry.k8s.io/kube-apiserver:v1.30.0", []string{"kube-apiserver", "--secure-port=6443"}, nil, APIServer, false},
		{"absolute path", "example.com/custom:1", []string{"/usr/local/bin/kube-scheduler"}, []string{"--v=2"}, Scheduler, false},
		{"hyperkube", "k8s.gcr.io/hyperkube:v1.15.0", []string{"/hyperkube", "apiserver", "--v=2"}, nil, APIServer, false},
		{"hyperkube long name in args", "k8s.gcr.io/hyperkube:v1.15.0", nil, []string{"kube-controller-manager", "--v=2"}, ControllerManager, false},
		{"go-runner", "registry.k8s.io/kube-apiserver:v1.30.0", []string{"/go-runner", "--log-file=/var/log/kube-apiserver.log", "--also-stdout=false", "/usr/local/bin/kube-apiserver"}, []string{"--v=2"}, APIServer, false},
		{"tini", "example.com/etcd:1", []string{"tini", "--", "etcd", "--name=a"}, nil, Etcd, false},
		{"shell script", "registry.k8s.io/etcd:3.5.9-0", []string{"/bin/sh", "-c", "if [ -e /m.sh ]; then /m.sh 1>>/var/log/etcd.log 2>&1; fi; exec /usr/local/bin/etcd --name=a 1>>/var/log/etcd.log"}, nil, Etcd, true},
		{"shell script in args", "example.com/x:1", []string{"/bin/bash", "-ec"}, []string{"exec kubelet --read-only-port=0"}, Kubelet, true},
		{"image, args only", "k8s.gcr.io/kube-apiserver-amd64:v1.11.0", nil, []string{"--anonymous-auth=false"}, APIServer, false},
		{"image with digest", "quay.io/coreos/etcd@sha256:0123", nil, nil, Etcd, false},
		{"registry with port", "localhost:5000/kube-scheduler", nil, nil, Scheduler, false},
		{"etcdctl is not etcd", "registry.k8s.io/etcd:3.5.9-0", []string{"etcdctl", "snapshot", "save", "/backup/db"}, nil, "", false},
		{"wrapper script", "bitnami/etcd:3.5", []string{"/opt/bitnami/scripts/etcd/entrypoint.sh"}, []string{"/opt/bitnami/scripts/etcd/run.sh"}, "", false},
		{"flag value naming a binary", "busybox:1.36", []string{"/bin/sh", "-c", "cp /etc/etcd /backup"}, nil, "", false},
		{"shell without -c", "busybox:1.36", []string{"sh", "/scripts/etcd"}, nil, "", false},
		{"unrelated image", "nginx:1.27", nil, []string{"--port=80"}, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cl, ok := Parse(container(tc.image, tc.command, tc.args))
			if tc.want == "" {
				if ok {
					t.Fatalf("Parse found %s, want none", cl.Component)
				}
				return
			}
			if !ok || cl.Component != tc.want || cl.Script != tc.script {
				t.Fatalf("Parse = %v, %v, script %v; want %s, script %v", cl, ok, cl != nil && cl.Script, tc.want, tc.script)
			}
		})
	}
}

func TestParseFlags(t *testing.T) {
	cmd := object.Path("spec.containers[0].command")
	args := object.Path("spec.containers[0].args")
	cl, ok := Parse(container("x", []string{"kube-apiserver", "--profiling", "--secure-port", "6443"}, []string{
		"--authorization-mode=Node,RBAC",
		"-v=2",
		"--enable-admission-plugins=NodeRestriction",
		"--enable-admission-plugins", "PodSecurity, ,EventRateLimit",
		"positional",
		"--anonymous-auth=false",
		"--",
		"--after-terminator",
	}))
	if !ok {
		t.Fatal("not parsed")
	}
	want := []Flag{
		{Name: "profiling", Bare: true, Path: cmd.Index(1), ValuePath: cmd.Index(1), raw: "--profiling"},
		{Name: "secure-port", Value: "6443", Path: cmd.Index(2), ValuePath: cmd.Index(3), raw: "--secure-port", rawValue: "6443"},
		{Name: "authorization-mode", Value: "Node,RBAC", Path: args.Index(0), ValuePath: args.Index(0), raw: "--authorization-mode=Node,RBAC"},
		{Name: "v", Value: "2", Path: args.Index(1), ValuePath: args.Index(1), raw: "-v=2"},
		{Name: "enable-admission-plugins", Value: "NodeRestriction", Path: args.Index(2), ValuePath: args.Index(2), raw: "--enable-admission-plugins=NodeRestriction"},
		{Name: "enable-admission-plugins", Value: "PodSecurity, ,EventRateLimit", Path: args.Index(3), ValuePath: args.Index(4), raw: "--enable-admission-plugins", rawValue: "PodSecurity, ,EventRateLimit"},
		{Name: "anonymous-auth", Value: "false", Path: args.Index(6), ValuePath: args.Index(6), raw: "--anonymous-auth=false"},
	}
	if !reflect.DeepEqual(cl.Flags, want) {
		t.Fatalf("flags:\n got %+v\nwant %+v", cl.Flags, want)
	}
	var items []string
	for _, it := range cl.Items("enable-admission-plugins") {
		items = append(items, it.Value+"@"+string(it.Flag.Path))
	}
	wantItems := []string{"NodeRestriction@" + string(args.Index(2)), "PodSecurity@" + string(args.Index(3)), "EventRateLimit@" + string(args.Index(3))}
	if !reflect.DeepEqual(items, wantItems) {
		t.Errorf("Items = %v, want %v", items, wantItems)
	}
	if f, _ := cl.Last("enable-admission-plugins"); f.Path != args.Index(3) {
		t.Errorf("Last picked %s", f.Path)
	}
	if cl.Has("after-terminator") || cl.Has("positional") {
		t.Error("words after -- or positional words parsed as flags")
	}
}

func TestParseScriptFlags(t *testing.T) {
	script := object.Path("spec.containers[0].command[2]")
	cl, ok := Parse(container("x", []string{"sh", "-c", `exec kube-apiserver --audit-log-path="/var/log/a.log" --profiling 2>&1 --not-parsed`}, nil))
	if !ok {
		t.Fatal("not parsed")
	}
	want := []Flag{
		{Name: "audit-log-path", Value: "/var/log/a.log", Path: script, ValuePath: script, raw: `--audit-log-path="/var/log/a.log"`, script: true},
		{Name: "profiling", Bare: true, Path: script, ValuePath: script, raw: "--profiling", script: true},
	}
	if !reflect.DeepEqual(cl.Flags, want) {
		t.Fatalf("flags:\n got %+v\nwant %+v", cl.Flags, want)
	}
	if cl.Anchor() != script {
		t.Errorf("Anchor = %s, want the script", cl.Anchor())
	}
	if cl.SetFix("profiling", "false") != nil || cl.AppendFix("--x") != nil {
		t.Error("flags in a script must not get a patch")
	}
}

func TestBool(t *testing.T) {
	for _, tc := range []struct {
		f       Flag
		want    bool
		wantErr bool
	}{
		{Flag{Name: "a", Bare: true}, true, false},
		{Flag{Name: "a", Value: "false"}, false, false},
		{Flag{Name: "a", Value: "0"}, false, false},
		{Flag{Name: "a", Value: "TRUE"}, true, false},
		{Flag{Name: "a", Value: "yes"}, false, true},
	} {
		got, err := tc.f.Bool()
		if got != tc.want || (err != nil) != tc.wantErr {
			t.Errorf("%s.Bool() = %v, %v", tc.f, got, err)
		}
	}
}

func TestFixes(t *testing.T) {
	add := func(list, v string) rule.PatchOp {
		return rule.PatchOp{Op: "add", Path: "/spec/containers/0/" + list + "/-", Value: v}
	}
	tst := func(p, v string) rule.PatchOp { return rule.PatchOp{Op: "test", Path: p, Value: v} }
	rep := func(p, v string) rule.PatchOp { return rule.PatchOp{Op: "replace", Path: p, Value: v} }

	cl, _ := Parse(container("x", []string{"kube-apiserver", "--profiling", "--insecure-port", "8080"}, nil))
	check := func(name string, got, want []rule.PatchOp) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", name, got, want)
		}
	}
	check("rewrite bare", cl.SetFix("profiling", "false"),
		[]rule.PatchOp{tst("/spec/containers/0/command/1", "--profiling"), rep("/spec/containers/0/command/1", "--profiling=false")})
	check("rewrite separate", cl.SetFix("insecure-port", "0"),
		[]rule.PatchOp{tst("/spec/containers/0/command/3", "8080"), rep("/spec/containers/0/command/3", "0")})
	check("append to command", cl.SetFix("anonymous-auth", "false"), []rule.PatchOp{add("command", "--anonymous-auth=false")})
	f, _ := cl.Last("insecure-port")
	check("remove separate", RemoveFix(f), []rule.PatchOp{
		tst("/spec/containers/0/command/3", "8080"), {Op: "remove", Path: "/spec/containers/0/command/3"},
		tst("/spec/containers/0/command/2", "--insecure-port"), {Op: "remove", Path: "/spec/containers/0/command/2"},
	})

	withArgs, _ := Parse(container("x", []string{"kube-apiserver"}, []string{"--v=2"}))
	check("append to args", withArgs.AppendFix("--a=1", "--b=2"), []rule.PatchOp{add("args", "--a=1"), add("args", "--b=2")})
	if withArgs.Anchor() != base.Field("args") {
		t.Errorf("Anchor = %s", withArgs.Anchor())
	}

	byImage, _ := Parse(container("registry.k8s.io/kube-scheduler:v1.30.0", nil, nil))
	check("create args", byImage.AppendFix("--profiling=false"),
		[]rule.PatchOp{{Op: "add", Path: "/spec/containers/0/args", Value: []string{"--profiling=false"}}})
}
