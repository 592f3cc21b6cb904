# Palisade's developer entry points. `make test` is what CI runs
# (.ci/run calls it): it installs what the tests need, then runs every check.

GO          ?= go
LINT         = $(GO) tool -modfile=tools/go.mod golangci-lint
CORPUS      ?= ../shared/corpus/k8s-examples

.PHONY: test build deps check-generated vet lint unit bench fuzz scan-examples

test: deps vet lint check-generated unit

# build makes the release binary: static (no cgo, so no libc and no
# dynamic symbol table, which also keeps the resident size down) and
# without local paths. The benchmark scripts build it the same way.
build:
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/palisade ./cmd/palisade

# deps installs the tools the tests use. Go modules come from the module
# proxy; the linter is pinned as a Go tool in tools/go.mod. The integration
# tests' API server (test/apiserver) needs etcd, from Debian's etcd-server
# package, and kube-apiserver, built from tools/kube-apiserver into a cache
# outside the repo (about ten minutes the first time, nothing afterwards).
deps:
	$(GO) mod download
	$(GO) build -modfile=tools/go.mod -o /dev/null github.com/golangci/golangci-lint/v2/cmd/golangci-lint
	bash test/apiserver/install.sh

vet:
	$(GO) vet ./...

lint:
	$(LINT) run ./...

# check-generated fails when generated files or go.mod/go.sum are stale.
check-generated:
	$(GO) generate ./...
	$(GO) mod tidy -diff
	git diff --exit-code -- docs deploy go.mod go.sum || (echo "generated files are stale: run 'go generate ./...' and 'go mod tidy'" >&2; exit 1)

# The race detector runs on the packages that share state between
# goroutines (decoding, loading, the engine, the live-cluster lister, the
# webhook with its reloads); the
# whole tree under -race would not fit CI's time budget on two cores.
unit:
	$(GO) test -count=1 ./...
	$(GO) test -race -count=1 ./internal/object/... ./internal/engine/... ./internal/source/manifest/... ./internal/source/cluster/... ./internal/admission/... ./internal/http1/... ./internal/rawconn/...

bench:
	$(GO) test ./bench -run '^$$' -bench . -benchmem
	bench/scan.sh $(CORPUS)
	bench/webhook.sh 2000 60s

fuzz:
	$(GO) test ./internal/object -run '^$$' -fuzz FuzzDecode -fuzztime 60s
	$(GO) test ./internal/object/blockyaml -run '^$$' -fuzz FuzzParse -fuzztime 60s
	$(GO) test ./internal/admission -run '^$$' -fuzz FuzzHandler -fuzztime 60s
	$(GO) test ./internal/jsonstr -run '^$$' -fuzz FuzzAppend -fuzztime 60s
	$(GO) test ./internal/admission -run '^$$' -fuzz FuzzSkipValue -fuzztime 60s
	$(GO) test ./internal/secretscan -run '^$$' -fuzz FuzzMaySayName -fuzztime 60s
	$(GO) test ./internal/secretscan -run '^$$' -fuzz FuzzJWTSpans -fuzztime 60s
	$(GO) test ./internal/image/sbom -run '^$$' -fuzz FuzzRPMDB -fuzztime 60s

scan-examples:
	$(GO) run ./cmd/palisade scan examples/
