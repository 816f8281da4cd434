#!/usr/bin/env bash
# Builds the ari container image from local material only (no registry pull):
#   1. a base image imported from THIS host's node binary and the shared libraries it links (docker import);
#   2. the app: `npm pack` of this checkout, installed with the host's npm (its cache, else the npm registry);
#   3. deploy/Dockerfile (multi-stage) over both. Usage: deploy/build-image.sh [TAG]   (default ari:local)
# ARI_APP_DIR=DIR skips step 2 and uses DIR's node_modules (an install of this checkout's package).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
tag=${1:-ari:local}
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT

mkdir -p "$ctx/app"
if [ -n "${ARI_APP_DIR:-}" ]; then
  # An app already installed from this checkout's `npm pack` (node_modules/ari and its dependencies): the package
  # test hands over its own install, so the native add-ons are compiled once per run, not twice.
  [ -f "$ARI_APP_DIR/node_modules/ari/package.json" ] || { echo "build-image: $ARI_APP_DIR has no node_modules/ari" >&2; exit 1; }
  cp -a "$ARI_APP_DIR/node_modules" "$ctx/app/"
else
  (cd "$repo" && npm pack --silent --pack-destination "$ctx" >/dev/null)
  echo '{"name":"ari-image","private":true}' > "$ctx/app/package.json"
  (cd "$ctx/app" && npm install --silent --prefer-offline --omit=dev --no-audit --no-fund "$ctx"/ari-*.tgz)
fi

# The base: node plus every shared library that node or one of the app's native addons (*.node) links.
node_bin=$(command -v node)
node_version=$("$node_bin" -p process.versions.node)
base="ari-base/node:$node_version"
root="$ctx/base"
mkdir -p "$root/usr/local/bin" "$root/tmp" "$root/etc" "$root/var/lib"
cp "$node_bin" "$root/usr/local/bin/node"
{ echo "$node_bin"; find "$ctx/app/node_modules" -name '*.node' -type f; } | while read -r obj; do
  ldd "$obj" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'
done | sort -u | while read -r lib; do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
chmod 1777 "$root/tmp"
printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n' > "$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
tar -C "$root" -c . | docker import -c 'ENV PATH=/usr/local/bin:/usr/bin:/bin' - "$base" >/dev/null
echo "imported $base from $node_bin and the libraries its addons link"

cp "$here/Dockerfile" "$here/ari.toml" "$ctx/"
docker build --build-arg "BASE=$base" -t "$tag" "$ctx"
