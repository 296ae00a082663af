#!/usr/bin/env bash
# The README's test command (`npm test`): installs what is missing, builds every binary,
# then runs typecheck, lint and every package's tests, including the smoke test of dist/bin.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bash scripts/ensure-deps.sh
export NX_NO_CLOUD=true NX_DAEMON=false
# Files outside any package (scripts, configs) are linted here; packages lint themselves below.
npx biome check scripts .ci package.json nx.json biome.json tsconfig.base.json
npx nx run-many -t build typecheck lint test --outputStyle=stream "$@"
