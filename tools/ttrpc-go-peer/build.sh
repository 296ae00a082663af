#!/usr/bin/env bash
# Builds tools/ttrpc-go-peer/dist/ttrpc-go-peer offline against Debian's Go ttrpc 1.1.1:
# GOPATH mode, sources from the Debian -dev packages in /usr/share/gocode, no module proxy.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
gopath=/usr/share/gocode
apt_hint="apt-get install -y golang-go golang-github-containerd-ttrpc-dev"

if ! command -v go >/dev/null 2>&1; then
  echo "ttrpc-go-peer: the Go toolchain (go) is not installed. Install it as root:  $apt_hint" >&2
  exit 1
fi
if [ ! -f "$gopath/src/github.com/containerd/ttrpc/client.go" ]; then
  echo "ttrpc-go-peer: Debian's Go ttrpc sources are missing from $gopath/src/github.com/containerd/ttrpc." >&2
  echo "Install them as root:  $apt_hint" >&2
  exit 1
fi

# go needs a build cache; without HOME (some CI shells) it has no default.
if [ -z "${GOCACHE:-}" ] && [ -z "${HOME:-}" ] && [ -z "${XDG_CACHE_HOME:-}" ]; then
  export GOCACHE="${TMPDIR:-/tmp}/ttrpc-go-peer-gocache"
fi

mkdir -p "$here/dist"
cd "$here/go"
GO111MODULE=off GOPATH="$gopath" GOPROXY=off GOFLAGS= CGO_ENABLED=0 \
  go build -trimpath -o "$here/dist/ttrpc-go-peer" .
echo "built $here/dist/ttrpc-go-peer ($(go version | awk '{print $3}'), ttrpc $(dpkg-query -W -f='${Version}' golang-github-containerd-ttrpc-dev 2>/dev/null || echo unknown))"
