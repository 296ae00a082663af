#!/usr/bin/env bash
# The README's first command (`npm start`): installs what is missing, builds the five
# single-executable binaries, and shows what each one does.
# (Once the local provider lands, this runs a whole peer pod on this machine instead.)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bash scripts/ensure-deps.sh
NX_NO_CLOUD=true NX_DAEMON=false npx nx run-many -t build --outputStyle=static
for bin in dist/bin/*; do
  echo
  echo "==== $bin --help"
  "$bin" --help
done
echo
echo "All five binaries are in dist/bin/. They run without node_modules: copy them anywhere."
