// Package supplychain holds the rules about where a pod's images come from
// and whether the code a container runs can change without its manifest
// changing: mutable and missing tags, references without a digest,
// registries outside an allow-list, and pull policies that let a node's
// image cache stand in for the registry.
//
// Image references are parsed by parseReference with the grammar container
// runtimes use (the one github.com/distribution/reference implements), so a
// registry port is never mistaken for a tag and Docker Hub's short names are
// normalised before they are compared.
package supplychain
