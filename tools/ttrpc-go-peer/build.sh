#!/usr/bin/env bash
# Builds tools/ttrpc-go-peer/dist/ttrpc-go-peer offline against Debian's Go ttrpc 1.1.1.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
exec bash "$here/../../scripts/go-gopath-build.sh" ttrpc-go-peer "$here/go" "$here/dist/ttrpc-go-peer" \
  golang-github-containerd-ttrpc-dev github.com/containerd/ttrpc/client.go
