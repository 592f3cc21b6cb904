package apiserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/restmapper"
)

type dynamicClient struct {
	once   sync.Once
	client dynamic.Interface
	mapper meta.ResettableRESTMapper
	err    error
}

// Create creates the objects of a YAML or JSON stream (one or more
// documents) as the administrator, in order, and returns them as the
// server stored them. Namespaced objects without a namespace go to ns.
// It is what `kubectl create -f` does, without needing kubectl.
func (s *Server) Create(t TB, ns, manifests string) []*unstructured.Unstructured {
	t.Helper()
	objs, err := s.CreateE(ns, manifests)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// CreateE is Create returning the error instead of failing a test.
func (s *Server) CreateE(ns, manifests string) ([]*unstructured.Unstructured, error) {
	dc := &s.dyn
	dc.once.Do(func() {
		cfg := s.Config(Admin)
		dc.client, dc.err = dynamic.NewForConfig(cfg)
		if dc.err != nil {
			return
		}
		disc, err := discovery.NewDiscoveryClientForConfig(cfg)
		if err != nil {
			dc.err = err
			return
		}
		dc.mapper = restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disc))
	})
	if dc.err != nil {
		return nil, dc.err
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader([]byte(manifests)), 4096)
	var out []*unstructured.Unstructured
	for {
		var u unstructured.Unstructured
		if err := dec.Decode(&u.Object); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return out, fmt.Errorf("decoding manifests: %w", err)
		}
		if len(u.Object) == 0 {
			continue
		}
		gvk := u.GroupVersionKind()
		mapping, err := dc.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			return out, fmt.Errorf("%s %s: %w", gvk.Kind, u.GetName(), err)
		}
		var ri dynamic.ResourceInterface = dc.client.Resource(mapping.Resource)
		if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
			if u.GetNamespace() == "" {
				u.SetNamespace(ns)
			}
			ri = dc.client.Resource(mapping.Resource).Namespace(u.GetNamespace())
		}
		created, err := ri.Create(context.Background(), &u, metav1.CreateOptions{})
		if err != nil {
			return out, fmt.Errorf("creating %s %s/%s: %w", gvk.Kind, u.GetNamespace(), u.GetName(), err)
		}
		if gvk.Kind == "Namespace" {
			if err := s.ensureDefaultServiceAccount(context.Background(), u.GetName()); err != nil {
				return out, err
			}
		}
		out = append(out, created)
	}
}
