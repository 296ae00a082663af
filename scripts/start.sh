#!/usr/bin/env bash
# The README's first command (`npm start`): installs what is missing, builds the single-executable
# binaries (a no-op when nothing changed), then runs one whole peer pod on this machine with the
# local provider and removes it again (tools/local-demo/src/main.ts).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
if [ "$(id -u)" != 0 ]; then
  echo "npm start needs root: it creates network namespaces, veth, bridge and VXLAN links and iptables rules" >&2
  echo "(all inside namespaces it makes and removes again). Run it as root, for example: sudo npm start" >&2
  exit 1
fi
bash scripts/ensure-deps.sh
echo "building the binaries (dist/bin) ..."
NX_NO_CLOUD=true NX_DAEMON=false npx nx run-many -t build --outputStyle=static >/tmp/peerpods-build.log 2>&1 || {
  cat /tmp/peerpods-build.log >&2
  exit 1
}
echo "built: $(cd dist/bin && ls | tr '\n' ' ')"
echo
exec npx tsx tools/local-demo/src/main.ts
