#!/usr/bin/env bash
# Builds tools/vcsim/dist/vcsim (govmomi's vSphere simulator) offline against Debian's govmomi 0.24.2:
# GOPATH mode, sources from the Debian -dev packages in /usr/share/gocode, no module proxy.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
gopath=/usr/share/gocode
apt_hint="apt-get install -y golang-go golang-github-vmware-govmomi-dev"

if ! command -v go >/dev/null 2>&1; then
  echo "vcsim: the Go toolchain (go) is not installed. Install it as root:  $apt_hint" >&2
  exit 1
fi
if [ ! -f "$gopath/src/github.com/vmware/govmomi/simulator/model.go" ]; then
  echo "vcsim: Debian's govmomi sources are missing from $gopath/src/github.com/vmware/govmomi." >&2
  echo "Install them as root:  $apt_hint" >&2
  exit 1
fi

# go needs a build cache; without HOME (some CI shells) it has no default.
if [ -z "${GOCACHE:-}" ] && [ -z "${HOME:-}" ] && [ -z "${XDG_CACHE_HOME:-}" ]; then
  export GOCACHE="${TMPDIR:-/tmp}/vcsim-gocache"
fi

mkdir -p "$here/dist"
cd "$here/go"
GO111MODULE=off GOPATH="$gopath" GOPROXY=off GOFLAGS= CGO_ENABLED=0 \
  go build -trimpath -o "$here/dist/vcsim" .
echo "built $here/dist/vcsim ($(go version | awk '{print $3}'), govmomi $(dpkg-query -W -f='${Version}' golang-github-vmware-govmomi-dev 2>/dev/null || echo unknown))"
