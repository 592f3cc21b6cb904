// Package selectors answers the questions that rules looking across objects
// ask of a scan: which workloads a Service routes to, which Services an
// Ingress sends traffic to, and which workloads a NetworkPolicy governs.
//
// Every answer is limited to the objects of the scan (an object.Set) and
// follows the API server's semantics: objects meet only within one
// effective namespace, and a selector is matched against the labels of the
// pods a workload creates (its pod template), not the workload's own labels.
package selectors

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/palisade-dev/palisade/internal/object"
)

// Workloads returns the workloads of set in namespace ns whose pod template
// labels sel matches, in load order.
func Workloads(set *object.Set, ns string, sel labels.Selector) []*object.Object {
	var out []*object.Object
	for _, w := range set.WorkloadsIn(ns) {
		pod, _ := w.PodTemplate()
		if sel.Matches(labels.Set(pod.Meta.Labels)) {
			out = append(out, w)
		}
	}
	return out
}

// labelIndex maps a namespace and one label key=value pair to the workloads
// whose pod template carries that label, in load order.
type labelIndex map[labelKey][]*object.Object

type labelKey struct{ ns, key, value string }

type labelIndexMemo struct{}

func workloadLabelIndex(set *object.Set) labelIndex {
	return set.Memo(labelIndexMemo{}, func() any {
		idx := labelIndex{}
		for _, w := range set.Workloads() {
			pod, _ := w.PodTemplate()
			for k, v := range pod.Meta.Labels {
				key := labelKey{w.Namespace(), k, v}
				idx[key] = append(idx[key], w)
			}
		}
		return idx
	}).(labelIndex)
}

// WorkloadsMatching returns the workloads of set in namespace ns whose pod
// template labels include every pair of selector, in load order. It uses an
// index built once per scan, so it costs the number of candidate workloads,
// not the number of workloads in the namespace. An empty selector matches
// nothing (a Service without a selector has no managed endpoints).
func WorkloadsMatching(set *object.Set, ns string, selector map[string]string) []*object.Object {
	if len(selector) == 0 {
		return nil
	}
	idx := workloadLabelIndex(set)
	var candidates []*object.Object
	first := true
	for k, v := range selector {
		c := idx[labelKey{ns, k, v}]
		if first || len(c) < len(candidates) {
			candidates, first = c, false
		}
	}
	if len(selector) == 1 {
		// The index holds exactly the workloads with that one label.
		return slices.Clone(candidates)
	}
	var out []*object.Object
	for _, w := range candidates {
		pod, _ := w.PodTemplate()
		if hasLabels(pod.Meta.Labels, selector) {
			out = append(out, w)
		}
	}
	return out
}

// hasLabels reports whether set holds every pair of selector, as the
// selector labels.SelectorFromValidatedSet(selector) matches it, without
// building that selector for every candidate.
func hasLabels(set, selector map[string]string) bool {
	for k, v := range selector {
		if got, ok := set[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// ServiceWorkloads returns the workloads of set whose pods svc routes to. A
// Service without a selector (its endpoints are managed by hand) or of type
// ExternalName routes to no pods, and neither does an object that is not a
// Service.
func ServiceWorkloads(set *object.Set, svc *object.Object) []*object.Object {
	s, ok := svc.Typed.(*corev1.Service)
	if !ok || len(s.Spec.Selector) == 0 || s.Spec.Type == corev1.ServiceTypeExternalName {
		return nil
	}
	return WorkloadsMatching(set, svc.Namespace(), s.Spec.Selector)
}

// Service returns the Service named name in namespace ns, or nil when the
// scan does not contain it.
func Service(set *object.Set, ns, name string) *object.Object {
	if o := set.Lookup("Service", ns, name); o != nil {
		if _, ok := o.Typed.(*corev1.Service); ok {
			return o
		}
	}
	return nil
}

// NetworkPolicies returns the networking.k8s.io/v1 NetworkPolicies of set in
// namespace ns, in load order. The extensions/v1beta1 form is left out: it
// was removed in Kubernetes 1.16, so no supported cluster enforces it.
func NetworkPolicies(set *object.Set, ns string) []*object.Object {
	var out []*object.Object
	for _, o := range set.InNamespace("NetworkPolicy", ns) {
		if _, ok := o.Typed.(*networkingv1.NetworkPolicy); ok {
			out = append(out, o)
		}
	}
	return out
}

// PolicySelects reports whether pol's podSelector selects pods labelled
// podLabels. A selector the API server would reject (an unknown operator,
// for example) selects nothing: such a policy can never be created, so it
// protects no pod.
func PolicySelects(pol *networkingv1.NetworkPolicy, podLabels map[string]string) bool {
	sel, err := metav1.LabelSelectorAsSelector(&pol.Spec.PodSelector)
	if err != nil {
		return false
	}
	return sel.Matches(labels.Set(podLabels))
}

// PoliciesFor returns the NetworkPolicies of set that govern workload w's
// pods: those of w's namespace whose podSelector selects its pod template
// labels. It returns nil for objects that are not workloads.
func PoliciesFor(set *object.Set, w *object.Object) []*networkingv1.NetworkPolicy {
	pod, ok := w.PodTemplate()
	if !ok {
		return nil
	}
	var out []*networkingv1.NetworkPolicy
	for _, o := range NetworkPolicies(set, w.Namespace()) {
		pol := o.Typed.(*networkingv1.NetworkPolicy)
		if PolicySelects(pol, pod.Meta.Labels) {
			out = append(out, pol)
		}
	}
	return out
}
