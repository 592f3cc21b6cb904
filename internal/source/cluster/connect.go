// Package cluster reads the objects of a live cluster for scanning: it lists
// every kind Palisade checks, page by page and as protobuf, converts each
// item to an object.Object, and skips what RBAC forbids with a note
// instead of failing. It only reads: it never creates, changes or deletes
// anything, and it asks for the metadata and type of Secrets, never their
// data. deploy/rbac/palisade-scanner.yaml is the ClusterRole it needs
// (Resources lists the same kinds; a test keeps the two in step).
//
// This package and internal/admission are the only ones that talk to a
// Kubernetes API server.
package cluster

import (
	"errors"
	"fmt"
	"os"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// ConnectOptions say how to reach the cluster, as kubectl's flags do.
type ConnectOptions struct {
	// Kubeconfig is the kubeconfig file; empty means $KUBECONFIG or
	// ~/.kube/config.
	Kubeconfig string
	// Context is the kubeconfig context; empty means its current context.
	Context string
	// InCluster uses the service account of the pod Palisade runs in.
	// Without a kubeconfig, Connect falls back to it on its own when
	// running in a pod.
	InCluster bool
}

// Connection is a way to reach one cluster.
type Connection struct {
	Config *rest.Config
	// Name names the cluster in object sources (cluster://NAME/...): the
	// kubeconfig context, or "in-cluster".
	Name string
	// Namespace is the context's default namespace ("default" when it
	// sets none), used when neither a namespace nor all namespaces are
	// requested, as kubectl does.
	Namespace string
}

// Connect builds the client configuration o describes.
func Connect(o ConnectOptions) (*Connection, error) {
	if o.InCluster {
		if o.Kubeconfig != "" || o.Context != "" {
			return nil, errors.New("--in-cluster cannot be combined with --kubeconfig or --context")
		}
		cfg, err := rest.InClusterConfig()
		if err != nil {
			return nil, fmt.Errorf("in-cluster configuration: %w", err)
		}
		return &Connection{Config: cfg, Name: "in-cluster", Namespace: inClusterNamespace()}, nil
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if o.Kubeconfig != "" {
		rules.ExplicitPath = o.Kubeconfig
	}
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: o.Context})
	raw, err := cc.RawConfig()
	if err != nil {
		return nil, fmt.Errorf("reading kubeconfig: %w", err)
	}
	name := o.Context
	if name == "" {
		name = raw.CurrentContext
	}
	cfg, err := cc.ClientConfig()
	if err != nil {
		if clientcmd.IsEmptyConfig(err) {
			return nil, errors.New("no kubeconfig found (set KUBECONFIG, pass --kubeconfig, or run in a pod with --in-cluster)")
		}
		return nil, fmt.Errorf("kubeconfig: %w", err)
	}
	ns, _, err := cc.Namespace()
	if err != nil {
		return nil, fmt.Errorf("kubeconfig: %w", err)
	}
	if name == "" {
		// No context: the deferred loader fell back to the in-cluster
		// configuration.
		name = "in-cluster"
	}
	return &Connection{Config: cfg, Name: name, Namespace: ns}, nil
}

func inClusterNamespace() string {
	data, err := os.ReadFile("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
	if err != nil || len(data) == 0 {
		return "default"
	}
	return string(data)
}
