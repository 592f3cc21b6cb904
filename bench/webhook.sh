#!/usr/bin/env bash
# Load-tests `palisade webhook`: builds the binary, starts it with a fresh
# key pair on loopback, sends AdmissionReviews of bench/testdata/webhook at
# a fixed rate over TLS and HTTP/1.1 (the only protocol the server speaks),
# and prints p50/p90/p99/max latency, errors and the webhook's resident
# memory over the run. It measures RUNS times, each with a fresh webhook,
# and ends with the median and range of the runs' percentiles: on a shared
# two-core machine one run's p99 depends on what else the machine is doing.
# Usage: bench/webhook.sh [RATE] [DURATION] [RUNS]   (default 2000 60s 3)
set -euo pipefail
rate=${1:-2000}
duration=${2:-60s}
runs=${3:-3}
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The release build (make build): static, no cgo.
CGO_ENABLED=0 go build -trimpath -o "$work/palisade" ./cmd/palisade
go build -o "$work/webhookload" ./bench/webhookload
echo "== palisade webhook"
"$work/webhookload" -palisade "$work/palisade" -rate "$rate" -duration "$duration" -runs "$runs"
echo "== baseline: a server that reads each review and allows it (the floor of this machine)"
"$work/webhookload" -noop -rate "$rate" -duration "$duration" -runs "$runs"
