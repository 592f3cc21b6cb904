// Package walk reads the layers of an image one at a time, as streams.
//
// Each layer is decompressed (gzip, zstd or none, sniffed from its first
// bytes) and its tar entries are handed in order to an Analyzer, which
// reads as much of each file's content as it needs; nothing is extracted
// and nothing is written to disk. Layers are walked in parallel, each with
// a read-ahead goroutine that decompresses while the analyzer works, so a
// scan of N layers keeps at most Workers layers' buffers in memory however
// large the image is.
//
// For every entry the walk records the path, type, size, mode and link
// target in the layer's file list (File). The layer's digest and the
// history entry that created it travel with the list (LayerResult), so any
// finding can name both. BuildIndex merges the lists, applying whiteouts
// (.wh.NAME) and opaque directories (.wh..wh..opq), into a path index of
// the filesystem a container would see: what is "present at run time",
// without holding any file content.
//
// Hostile input gives a bounded error, never a crash or a runaway: corrupt
// or truncated tar and compressed streams, decompression bombs (a cap on
// the decompressed bytes of a layer and on its expansion ratio), too many
// entries, and entries whose names climb out of the root with "../" (they
// are skipped and recorded as anomalies). Symbolic links, absolute or
// relative, are only ever resolved inside the index, with a bound on the
// number of hops, so loops end in an error.
//
// Results can be cached per layer DiffID (Cache): in memory for one run, or
// in a directory across runs.
package walk
