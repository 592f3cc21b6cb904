package admission

import (
	"context"
	"fmt"

	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// WatchNamespaces keeps the labels of every namespace in memory, from a
// watch on the API server, so that choosing a profile by namespace label
// costs a map lookup rather than an API call per request. It needs get,
// list and watch on namespaces. The returned synced reports whether the
// first list has arrived; lookups before that find nothing.
func WatchNamespaces(ctx context.Context, cfg *rest.Config) (lookup NamespaceLabels, synced func() bool, err error) {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("namespace watch: %w", err)
	}
	factory := informers.NewSharedInformerFactoryWithOptions(cs, 0)
	inf := factory.Core().V1().Namespaces()
	lister := inf.Lister()
	informer := inf.Informer()
	factory.Start(ctx.Done())
	lookup = func(name string) (map[string]string, bool) {
		ns, err := lister.Get(name)
		if err != nil {
			return nil, false
		}
		return ns.Labels, true
	}
	return lookup, informer.HasSynced, nil
}
