#!/usr/bin/env bash
# One command for the whole test suite on a fresh machine: set up (idempotent), then vitest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec npm test -- "$@"
