// Package workload holds the rules about what a pod may do to the node it
// runs on and to itself: privileged mode, host namespaces and paths,
// capabilities, users, filesystems and kernel interfaces.
package workload
