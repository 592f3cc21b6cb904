// Package apiserver runs a real Kubernetes API server for integration tests:
// etcd and kube-apiserver on loopback, with static tokens for an
// administrator and for low-privilege users, RBAC authorization, and the
// default ServiceAccount of every namespace created by the harness (no
// controller manager runs, so nothing else would create it).
//
// A test package shares one server. Its TestMain calls Main, and each test
// calls Shared to get the server, which starts on first use; tests isolate
// themselves by creating their own namespaces with Namespace:
//
//	func TestMain(m *testing.M) { apiserver.Main(m) }
//
//	func TestScan(t *testing.T) {
//		srv := apiserver.Shared(t)
//		ns := srv.Namespace(t, "scan")
//		srv.Create(t, ns, manifests)
//		...
//	}
//
// The binaries come from test/apiserver/install.sh, which `make test` runs:
// etcd from Debian's etcd-server package and kube-apiserver built from the
// k8s.io/kubernetes module pinned in tools/kube-apiserver. When either is
// missing, Shared fails the test with the command that installs them; it
// never skips. PALISADE_ETCD and PALISADE_KUBE_APISERVER override where
// they are found.
package apiserver

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// KubeVersion is the kube-apiserver version the harness runs; install.sh
// and tools/kube-apiserver/go.mod pin the same one (a test checks).
const KubeVersion = "v1.37.2"

// InstallCommand installs the binaries the harness needs.
const InstallCommand = "bash test/apiserver/install.sh (run by make test)"

// User is an identity the server authenticates with a static token.
type User struct {
	Name   string
	Groups []string
}

// The users every server knows. Admin is in system:masters; the others
// have no permissions until a test binds a role to them (every
// authenticated user gets the default discovery roles).
var (
	Admin = User{Name: "palisade-admin", Groups: []string{"system:masters"}}
	Alice = User{Name: "alice", Groups: []string{"developers"}}
	Bob   = User{Name: "bob", Groups: []string{"operators"}}
	Carol = User{Name: "carol"}
)

var users = []User{Admin, Alice, Bob, Carol}

// Server is a running etcd and kube-apiserver pair.
type Server struct {
	// URL is the API server's https address on 127.0.0.1.
	URL string
	// CA is the PEM certificate that signed the serving certificate.
	CA []byte

	dir    string
	tokens map[string]string // by user name
	procs  []*process        // in start order
	stopSA context.CancelFunc
	admin  kubernetes.Interface
	dyn    dynamicClient

	nsMu  sync.Mutex // guards nsSeq
	nsSeq int
}

type process struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error // set before done is closed
}

// Binaries returns the paths of etcd and kube-apiserver, or an error that
// names the install command when either is missing.
func Binaries() (etcd, kubeAPIServer string, err error) {
	etcd = os.Getenv("PALISADE_ETCD")
	if etcd == "" {
		if p, lerr := exec.LookPath("etcd"); lerr == nil {
			etcd = p
		}
	}
	kubeAPIServer = os.Getenv("PALISADE_KUBE_APISERVER")
	if kubeAPIServer == "" {
		kubeAPIServer = filepath.Join(CacheDir(), "kube-apiserver-"+KubeVersion, "kube-apiserver")
	}
	var missing []string
	if etcd == "" {
		missing = append(missing, "etcd (not on PATH)")
	} else if _, serr := os.Stat(etcd); serr != nil { //nolint:gosec // the path comes from the test environment, not from input
		missing = append(missing, "etcd ("+etcd+")")
	}
	if _, serr := os.Stat(kubeAPIServer); serr != nil { //nolint:gosec // as above
		missing = append(missing, "kube-apiserver "+KubeVersion+" ("+kubeAPIServer+")")
	}
	if len(missing) > 0 {
		return "", "", fmt.Errorf("the integration test API server is not installed: missing %s; install it with: %s", strings.Join(missing, " and "), InstallCommand)
	}
	return etcd, kubeAPIServer, nil
}

// CacheDir is where install.sh puts kube-apiserver:
// $PALISADE_CACHE_DIR, or palisade under $XDG_CACHE_HOME or ~/.cache.
func CacheDir() string {
	if d := os.Getenv("PALISADE_CACHE_DIR"); d != "" {
		return d
	}
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "palisade")
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "palisade")
}

// Start starts etcd and kube-apiserver and waits until the API server is
// ready. The caller must call Stop.
func Start() (_ *Server, err error) {
	etcdBin, apiBin, err := Binaries()
	if err != nil {
		return nil, err
	}
	// etcd's data lives in memory where possible: fsync on a disk makes
	// creating thousands of objects (the benchmark) many times slower.
	base := ""
	if fi, serr := os.Stat("/dev/shm"); serr == nil && fi.IsDir() {
		base = "/dev/shm"
	}
	dir, err := os.MkdirTemp(base, "palisade-apiserver-")
	if err != nil {
		return nil, err
	}
	s := &Server{dir: dir, tokens: map[string]string{}}
	defer func() {
		if err != nil {
			s.Stop()
		}
	}()
	pk, err := newPKI(dir)
	if err != nil {
		return nil, err
	}
	s.CA = pk.caCert
	var tokens bytes.Buffer
	for i, u := range users {
		tok := randomToken()
		s.tokens[u.Name] = tok
		fmt.Fprintf(&tokens, "%s,%s,uid-%d", tok, u.Name, i)
		if len(u.Groups) > 0 {
			fmt.Fprintf(&tokens, ",%q", strings.Join(u.Groups, ","))
		}
		tokens.WriteString("\n")
	}
	tokenFile := filepath.Join(dir, "tokens.csv")
	if err := os.WriteFile(tokenFile, tokens.Bytes(), 0o600); err != nil {
		return nil, err
	}

	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	clientURL := fmt.Sprintf("http://127.0.0.1:%d", ports[0])
	peerURL := fmt.Sprintf("http://127.0.0.1:%d", ports[1])
	if err := s.run("etcd", etcdBin,
		"--name=default",
		"--data-dir="+filepath.Join(dir, "etcd"),
		"--listen-client-urls="+clientURL,
		"--advertise-client-urls="+clientURL,
		"--listen-peer-urls="+peerURL,
		"--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=default="+peerURL,
		"--log-level=warn",
		"--logger=zap",
	); err != nil {
		return nil, err
	}
	s.URL = fmt.Sprintf("https://127.0.0.1:%d", ports[2])
	if err := s.run("kube-apiserver", apiBin,
		"--etcd-servers="+clientURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		// The endpoint reconciler refuses a loopback advertise address,
		// and nothing needs the kubernetes Service's endpoints here.
		"--endpoint-reconciler-type=none",
		fmt.Sprintf("--secure-port=%d", ports[2]),
		"--tls-cert-file="+pk.servingCrt,
		"--tls-private-key-file="+pk.servingKey,
		"--cert-dir="+filepath.Join(dir, "certs"),
		"--token-auth-file="+tokenFile,
		"--authorization-mode=RBAC",
		"--anonymous-auth=false",
		"--service-account-issuer=https://kubernetes.default.svc",
		"--service-account-key-file="+pk.saPub,
		"--service-account-signing-key-file="+pk.saKey,
		"--service-cluster-ip-range=10.0.0.0/16",
		// Pods that ask for privileges must be admitted: the tests
		// create insecure workloads on purpose.
		"--allow-privileged=true",
		"--profiling=false",
		"--v=0",
	); err != nil {
		return nil, err
	}
	if err := s.waitReady(3 * time.Minute); err != nil {
		return nil, err
	}
	s.admin, err = kubernetes.NewForConfig(s.Config(Admin))
	if err != nil {
		return nil, err
	}
	if err := s.startServiceAccounts(); err != nil {
		return nil, err
	}
	// The built-in admin, edit and view roles are aggregated; wait until
	// they grant what they grant in a real cluster.
	deadline := time.Now().Add(time.Minute)
	for {
		admin, err := s.admin.RbacV1().ClusterRoles().Get(context.Background(), "admin", metav1.GetOptions{})
		if err == nil && len(admin.Rules) > 0 {
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("the aggregated ClusterRole admin got no rules (last error: %w)", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return s, nil
}

func randomToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// freePorts returns n distinct loopback TCP ports that were free a moment
// ago.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// run starts one process with its output in a log file of the server's
// directory.
func (s *Server) run(name, bin string, args ...string) error {
	logName := filepath.Join(s.dir, name+".log")
	logFile, err := os.Create(logName)
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, args...) //nolint:gosec // runs the harness's own binaries
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return fmt.Errorf("starting %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, log: logName, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		_ = logFile.Close()
		close(p.done)
	}()
	s.procs = append(s.procs, p)
	return nil
}

// waitReady polls /readyz until it answers ok, a process exits, or the
// timeout passes.
func (s *Server) waitReady(timeout time.Duration) error {
	cfg := s.Config(Admin)
	tr, err := rest.TransportFor(cfg)
	if err != nil {
		return err
	}
	client := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	deadline := time.Now().Add(timeout)
	var last string
	for time.Now().Before(deadline) {
		for _, p := range s.procs {
			select {
			case <-p.done:
				return fmt.Errorf("%s exited while the API server was starting (%w):\n%s", p.name, p.err, tail(p.log, 30))
			default:
			}
		}
		resp, err := client.Get(s.URL + "/readyz")
		if err == nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Sprintf("HTTP %d: %s", resp.StatusCode, body)
		} else {
			last = err.Error()
		}
		time.Sleep(250 * time.Millisecond)
	}
	return fmt.Errorf("kube-apiserver not ready after %v (last answer: %s); its log ends:\n%s", timeout, last, tail(filepath.Join(s.dir, "kube-apiserver.log"), 30))
}

// tail returns the last n lines of a file.
func tail(file string, n int) string {
	data, err := os.ReadFile(file)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Stop stops kube-apiserver and etcd, in that order, and removes their
// data. It is safe to call more than once.
func (s *Server) Stop() {
	if s.stopSA != nil {
		s.stopSA()
		s.stopSA = nil
	}
	for i := len(s.procs) - 1; i >= 0; i-- {
		p := s.procs[i]
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(15 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	}
	s.procs = nil
	if s.dir != "" {
		_ = os.RemoveAll(s.dir)
		s.dir = ""
	}
}

// Config returns a client configuration that authenticates as u. Each call
// returns a new value the caller may modify.
func (s *Server) Config(u User) *rest.Config {
	return &rest.Config{
		Host:            s.URL,
		BearerToken:     s.tokens[u.Name],
		TLSClientConfig: rest.TLSClientConfig{CAData: s.CA},
		QPS:             -1, // no client-side throttling
	}
}

// Kubeconfig writes a kubeconfig file that authenticates as u into a
// temporary directory of t and returns its path. Its context is named
// after the user.
func (s *Server) Kubeconfig(t TB, u User) string {
	t.Helper()
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["palisade-test"] = &clientcmdapi.Cluster{Server: s.URL, CertificateAuthorityData: s.CA}
	cfg.AuthInfos[u.Name] = &clientcmdapi.AuthInfo{Token: s.tokens[u.Name]}
	cfg.Contexts[u.Name] = &clientcmdapi.Context{Cluster: "palisade-test", AuthInfo: u.Name}
	cfg.CurrentContext = u.Name
	file := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, file); err != nil {
		t.Fatal(err)
	}
	return file
}

// Client returns a clientset acting as the administrator.
func (s *Server) Client() kubernetes.Interface { return s.admin }

// TB is the part of testing.TB the harness uses.
type TB interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
	TempDir() string
	Name() string
}

// Namespace creates a namespace with a unique name starting with prefix,
// and its default ServiceAccount, and returns the name. Labels are
// optional. Namespaces are not deleted: without a controller manager a
// deleted namespace would stay Terminating, and the server goes away with
// the test binary anyway.
func (s *Server) Namespace(t TB, prefix string, labels ...map[string]string) string {
	t.Helper()
	s.nsMu.Lock()
	s.nsSeq++
	name := fmt.Sprintf("%s-%d", prefix, s.nsSeq)
	s.nsMu.Unlock()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if len(labels) > 0 {
		ns.Labels = labels[0]
	}
	ctx := context.Background()
	if _, err := s.admin.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating namespace %s: %v", name, err)
	}
	if err := s.ensureDefaultServiceAccount(ctx, name); err != nil {
		t.Fatal(err)
	}
	return name
}

// ensureDefaultServiceAccount creates the default ServiceAccount of ns,
// which the ServiceAccount admission plugin requires before any pod of ns
// is admitted.
func (s *Server) ensureDefaultServiceAccount(ctx context.Context, ns string) error {
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: ns}}
	_, err := s.admin.CoreV1().ServiceAccounts(ns).Create(ctx, sa, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) && !apierrors.IsForbidden(err) {
		return fmt.Errorf("creating the default ServiceAccount of %s: %w", ns, err)
	}
	return nil
}

// startServiceAccounts does the jobs of the controller manager that tests
// depend on: it creates the default ServiceAccount of every namespace,
// including namespaces that tests create from manifests, and fills in the
// rules of aggregated ClusterRoles (see startAggregation).
func (s *Server) startServiceAccounts() error {
	ctx, cancel := context.WithCancel(context.Background())
	s.stopSA = cancel
	factory := informers.NewSharedInformerFactory(s.admin, 0)
	inf := factory.Core().V1().Namespaces().Informer()
	_, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) {
			if ns, ok := obj.(*corev1.Namespace); ok && ns.DeletionTimestamp == nil {
				_ = s.ensureDefaultServiceAccount(ctx, ns.Name)
			}
		},
	})
	if err != nil {
		cancel()
		return err
	}
	if err := s.startAggregation(ctx, factory); err != nil {
		cancel()
		return err
	}
	factory.Start(ctx.Done())
	for _, ok := range factory.WaitForCacheSync(ctx.Done()) {
		if !ok {
			return errors.New("the namespace informer did not sync")
		}
	}
	return nil
}
