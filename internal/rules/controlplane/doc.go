// Package controlplane holds the rules about how the cluster's own
// components are configured: the flags of kube-apiserver,
// kube-controller-manager, kube-scheduler, etcd and the kubelet in the static
// pod manifests (or other workloads) that run them, and the
// KubeletConfiguration and KubeSchedulerConfiguration files those
// components read.
//
// Every rule follows the component's own defaults, so that a flag that is
// absent is judged by the value the binary then uses, and steps aside where
// a configuration file the scan cannot see takes over from the flags.
package controlplane
