// Package hygiene holds low-severity rules about operational habits that
// make workloads harder to run safely: missing resource requests and
// limits, missing health probes, and objects placed in the default
// namespace. The noisier ones are off unless enabled.
package hygiene
