#!/usr/bin/env bash
# Builds tools/vcsim/dist/vcsim (govmomi's vSphere simulator) offline against Debian's govmomi 0.24.2.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
exec bash "$here/../../scripts/go-gopath-build.sh" vcsim "$here/go" "$here/dist/vcsim" \
  golang-github-vmware-govmomi-dev github.com/vmware/govmomi/simulator/model.go
