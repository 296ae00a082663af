#!/usr/bin/env bash
# Unpacks a Debian package into .cache/debs/<package>/ without installing it, and prints that
# directory. This is for a test tool whose package conflicts with something the machine has:
# kubernetes-client's /usr/bin/kubectl collides with the Google Cloud SDK's kubectl dispatcher.
# Usage: bash scripts/unpack-deb.sh <package>
set -euo pipefail
package=${1:?usage: unpack-deb.sh <package>}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dest="$root/.cache/debs/$package"
if [ -f "$dest/.unpacked" ]; then
  echo "$dest"
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# apt downloads as _apt where it can.
chmod 755 "$work"
download() { (cd "$work" && apt-get download "$package") >&2; }
download || { apt-get update -qq >&2 && download; }
rm -rf "$dest"
mkdir -p "$dest"
dpkg-deb -x "$work"/*.deb "$dest"
touch "$dest/.unpacked"
echo "$dest"
