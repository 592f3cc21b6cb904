// Package rbac holds the rules about who may do what through the Kubernetes
// API: roles that grant too much (wildcards, secrets, exec, workload
// creation, privilege escalation, the kubelet proxy, credential minting,
// admission control) and bindings that hand powerful roles to the wrong
// subjects (cluster-admin, system:masters, anonymous and all authenticated
// users).
//
// Every role rule reads Roles and ClusterRoles of rbac.authorization.k8s.io
// v1, v1beta1 and v1alpha1 through one v1 view (role) and decides what a
// policy rule grants with the same matching the API server's RBAC authorizer
// uses (allows). A role rule reports each offending entry of rules on its own,
// positioned on the resources element that grants the permission.
//
// Built-in roles are skipped so that scanning a cluster dump reports what its
// operators added rather than what every cluster ships: ClusterRoles and
// Roles whose name starts with "system:" (a prefix Kubernetes reserves for
// itself) and the cluster-admin, admin, edit and view ClusterRoles when they
// carry the kubernetes.io/bootstrapping=rbac-defaults label. Because anyone
// allowed to create roles can choose such a name, the skip hides nothing
// that a binding rule would not reveal: bindings are never skipped by name,
// only the default cluster-admin ClusterRoleBinding of group system:masters
// and the default discovery grants are recognised by their exact shape.
//
// Removing a permission can break the application that needs it, so none of
// these rules offers an automatic fix.
package rbac
