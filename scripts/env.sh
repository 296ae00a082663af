# Sourced by the scripts: puts the pinned Node runtime (node_modules/.bin/node) and the workspace's
# tools first on PATH, so node, npx's tools, nx, tsx and every child process run on it.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH="$root/node_modules/.bin:$PATH"
export NX_NO_CLOUD=true NX_DAEMON=false
hash -r
