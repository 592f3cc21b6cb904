#!/usr/bin/env bash
# Times a whole `palisade scan` run (process start to exit) over the shared
# corpus copied 40 times, and reports wall time and peak memory (RSS).
# Usage: bench/scan.sh [CORPUS_DIR] [RUNS]
set -euo pipefail
corpus=${1:-../shared/corpus/k8s-examples}
runs=${2:-5}
cd "$(dirname "$0")/.."
[ -d "$corpus" ] || { echo "corpus not found: $corpus" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The release build (make build): static, no cgo.
CGO_ENABLED=0 go build -trimpath -o "$work/palisade" ./cmd/palisade
mkdir "$work/x40"
for k in $(seq 1 40); do
  for f in "$corpus"/*; do cp "$f" "$work/x40/$k-$(basename "$f")"; done
done
echo "corpus: $(ls "$work/x40" | wc -l) files, $(du -sh "$work/x40" | cut -f1)"
for format in text json sarif; do
  for i in $(seq 1 "$runs"); do
    # Exit status 1 or 2 is expected: the corpus has findings and some
    # broken documents.
    /usr/bin/time -f "%e %M" -o "$work/time" "$work/palisade" scan -o "$format=$work/out" "$work/x40" >/dev/null 2>&1 || true
    # GNU time writes "Command exited with non-zero status N" first.
    read -r secs kb < <(tail -n 1 "$work/time")
    echo "$format run $i: ${secs}s wall, $((kb / 1024)) MB peak RSS"
  done
done
