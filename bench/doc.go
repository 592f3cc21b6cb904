// Package bench holds Palisade's end-to-end benchmarks. They are
// measurements, not tests: run them with
//
//	go test ./bench -run '^$' -bench . -benchmem
//
// and the whole-binary timing with bench/scan.sh. The scan benchmarks read
// the shared corpus (../shared/corpus/k8s-examples next to the repository)
// copied 40 times, as the issue tracker's speed targets are stated for it.
// The Helm benchmarks generate a chart of 100 templates and render, trace
// and scan it; the target is well under a second.
package bench
