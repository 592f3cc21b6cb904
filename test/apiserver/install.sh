#!/usr/bin/env bash
# install.sh installs what the integration tests' API server needs:
#
#   etcd            Debian's etcd-server package, when no etcd is on PATH;
#   kube-apiserver  built from tools/kube-apiserver (k8s.io/kubernetes at
#                   KUBE_VERSION) into a cache directory outside the repo,
#                   keyed by version, so a second run does not rebuild.
#
# `make test` (the deps target) runs it. The first build takes about ten
# minutes on two cores. test/apiserver finds the binary in the same place;
# PALISADE_KUBE_APISERVER and PALISADE_ETCD override both.
set -euo pipefail

KUBE_VERSION=v1.37.2
root="$(cd "$(dirname "$0")/../.." && pwd)"
cache="${PALISADE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/palisade}"
bin="${PALISADE_KUBE_APISERVER:-$cache/kube-apiserver-$KUBE_VERSION/kube-apiserver}"

# The version in tools/kube-apiserver/go.mod and here must agree, or the
# cache key lies.
if ! grep -Eq "k8s.io/kubernetes $KUBE_VERSION( |$)" "$root/tools/kube-apiserver/go.mod"; then
	echo "install.sh: KUBE_VERSION=$KUBE_VERSION does not match tools/kube-apiserver/go.mod" >&2
	exit 1
fi

sudo_() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

if [ -z "${PALISADE_ETCD:-}" ] && ! command -v etcd >/dev/null 2>&1; then
	echo "install.sh: installing etcd (Debian package etcd-server)" >&2
	sudo_ apt-get update -qq
	sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends etcd-server >/dev/null
	# The package starts a system etcd on the default ports; the tests run
	# their own on free ports, so stop it where a service manager exists.
	if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet etcd 2>/dev/null; then
		sudo_ systemctl disable --now etcd >/dev/null 2>&1 || true
	fi
fi

if [ -x "$bin" ]; then
	exit 0
fi

# Two runs at once (parallel checkouts, a shared cache) build it once.
mkdir -p "$(dirname "$bin")"
exec 9>"$(dirname "$bin")/.lock"
flock 9
if [ -x "$bin" ]; then
	exit 0
fi

echo "install.sh: building kube-apiserver $KUBE_VERSION into $bin (about 10 minutes the first time)" >&2
major="${KUBE_VERSION#v}"; major="${major%%.*}"
minor="${KUBE_VERSION#v*.}"; minor="${minor%%.*}"
pkg=k8s.io/component-base/version
ldflags="-s -w -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
tmp="$bin.tmp.$$"
trap 'rm -f "$tmp"' EXIT
(
	cd "$root/tools/kube-apiserver"
	CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$tmp" k8s.io/kubernetes/cmd/kube-apiserver
)
mv "$tmp" "$bin"
echo "install.sh: built $bin" >&2
