#!/usr/bin/env bash
# Builds a Go program offline against Debian's -dev source packages: GOPATH mode, sources from
# /usr/share/gocode, no module proxy. Used by the Go peers in tools/ (ttrpc-go-peer, vcsim).
#   go-gopath-build.sh NAME SOURCE_DIR OUTPUT DEB_PACKAGE FILE_THE_PACKAGE_SHIPS
set -euo pipefail
name=$1 src=$2 out=$3 package=$4 marker=$5
gopath=/usr/share/gocode
apt_hint="apt-get install -y golang-go $package"

if ! command -v go >/dev/null 2>&1; then
  echo "$name: the Go toolchain (go) is not installed. Install it as root:  $apt_hint" >&2
  exit 1
fi
if [ ! -f "$gopath/src/$marker" ]; then
  echo "$name: Debian's $package sources are missing ($gopath/src/$marker)." >&2
  echo "Install them as root:  $apt_hint" >&2
  exit 1
fi

# go needs a build cache; without HOME (some CI shells) it has no default.
if [ -z "${GOCACHE:-}" ] && [ -z "${HOME:-}" ] && [ -z "${XDG_CACHE_HOME:-}" ]; then
  export GOCACHE="${TMPDIR:-/tmp}/$name-gocache"
fi

mkdir -p "$(dirname "$out")"
cd "$src"
GO111MODULE=off GOPATH="$gopath" GOPROXY=off GOFLAGS= CGO_ENABLED=0 go build -trimpath -o "$out" .
echo "built $out ($(go version | awk '{print $3}'), $package $(dpkg-query -W -f='${Version}' "$package" 2>/dev/null || echo unknown))"
