#!/usr/bin/env bash
# Idempotent project setup on a fresh machine: host packages + dockerd, npm dependencies, build, fixture images.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-host.sh
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "bootstrap: npm ci" >&2
  npm ci --no-audit --no-fund
fi
echo "bootstrap: building" >&2
npm run --silent build
if docker info >/dev/null 2>&1 && [ -x fixtures/agents/docker/build-images.sh ]; then
  echo "bootstrap: building fixture images" >&2
  bash fixtures/agents/docker/build-images.sh >&2
fi
