#!/usr/bin/env bash
# The README's first command (`npm start`): installs what is missing, builds the single-executable
# binaries (a no-op when nothing changed), then runs one whole peer pod on this machine with the
# local provider (or `npm start -- --provider aws|azure`: that provider against its fake cloud) and
# removes it again (tools/local-demo/src/main.ts).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
if [ "$(id -u)" != 0 ]; then
  echo "npm start needs root: it creates network namespaces, veth, bridge and VXLAN links and iptables rules" >&2
  echo "(all inside namespaces it makes and removes again). Run it as root, for example: sudo npm start" >&2
  exit 1
fi
# Only what the demo needs: no Go, protoc or ttrpc sources (those are for npm test).
bash scripts/ensure-deps.sh scripts/system-packages.txt
source scripts/env.sh
echo "building the binaries (dist/bin) ..."
# The demo's binaries only; their dependencies have no build step but the Go test peer's.
demo_binaries=@peerpods/cloud-api-adaptor,@peerpods/agent-protocol-forwarder,@peerpods/process-user-data,@peerpods/dev-agent,@peerpods/shim-client,@peerpods/fake-ec2,@peerpods/fake-arm
nx run-many -t build --projects="$demo_binaries" --excludeTaskDependencies --outputStyle=static >/tmp/peerpods-build.log 2>&1 || {
  cat /tmp/peerpods-build.log >&2
  exit 1
}
echo "built: $(cd dist/bin && ls | tr '\n' ' ')"
echo
exec tsx tools/local-demo/src/main.ts "$@"
