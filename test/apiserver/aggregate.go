package apiserver

import (
	"context"
	"slices"
	"sync"

	rbacv1 "k8s.io/api/rbac/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"
)

// startAggregation runs what the controller manager's
// clusterrole-aggregation controller does: it sets the rules of every
// ClusterRole with an aggregationRule to those of the ClusterRoles its
// selectors match. Without it the built-in admin, edit and view roles
// would grant nothing, and the API server's answers would differ from a
// real cluster's.
func (s *Server) startAggregation(ctx context.Context, factory informers.SharedInformerFactory) error {
	inf := factory.Rbac().V1().ClusterRoles()
	var mu sync.Mutex // serializes reconciliations
	reconcile := func(any) {
		mu.Lock()
		defer mu.Unlock()
		roles, err := inf.Lister().List(labels.Everything())
		if err != nil {
			return
		}
		slices.SortFunc(roles, func(a, b *rbacv1.ClusterRole) int {
			if a.Name < b.Name {
				return -1
			}
			if a.Name > b.Name {
				return 1
			}
			return 0
		})
		for _, r := range roles {
			if r.AggregationRule == nil {
				continue
			}
			var rules []rbacv1.PolicyRule
			for _, sel := range r.AggregationRule.ClusterRoleSelectors {
				ls, err := metav1.LabelSelectorAsSelector(&sel)
				if err != nil {
					continue
				}
				for _, other := range roles {
					if other.Name == r.Name || !ls.Matches(labels.Set(other.Labels)) {
						continue
					}
					for _, pr := range other.Rules {
						if !slices.ContainsFunc(rules, func(x rbacv1.PolicyRule) bool { return apiequality.Semantic.DeepEqual(x, pr) }) {
							rules = append(rules, pr)
						}
					}
				}
			}
			if apiequality.Semantic.DeepEqual(rules, r.Rules) {
				continue
			}
			updated := r.DeepCopy()
			updated.Rules = rules
			_, _ = s.admin.RbacV1().ClusterRoles().Update(ctx, updated, metav1.UpdateOptions{})
		}
	}
	_, err := inf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    reconcile,
		UpdateFunc: func(_, n any) { reconcile(n) },
		DeleteFunc: reconcile,
	})
	return err
}
