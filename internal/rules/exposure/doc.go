// Package exposure holds the rules about what a cluster lets the outside
// world reach: administrative interfaces behind LoadBalancer and NodePort
// Services or Ingresses, the Kubernetes Dashboard's authentication bypasses,
// Ingress hosts served without TLS and load balancers open to every address.
//
// Several rules look across objects (an Ingress, the Service it names and the
// workloads that Service selects) and so see only what the scan contains.
package exposure
