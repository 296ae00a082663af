#!/usr/bin/env bash
# The README's test command (`npm test`): installs what is missing (the demo's Debian packages plus
# the test-only toolchain), builds every binary, then runs typecheck, lint and every package's tests,
# including the smoke test of dist/bin, all on the pinned Node runtime. Ends with one total line.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bash scripts/ensure-deps.sh scripts/system-packages.txt scripts/test-packages.txt
source scripts/env.sh
# Files outside any package (scripts, configs) are linted here; packages lint themselves below.
biome check scripts .ci package.json nx.json biome.json tsconfig.base.json
log=$(mktemp /tmp/peerpods-test.XXXXXX.log)
trap 'rm -f "$log"' EXIT
status=0
nx run-many -t build typecheck lint test --outputStyle=stream "$@" 2>&1 | tee "$log" || status=$?
node scripts/test-totals.mjs "$log"
exit "$status"
