#!/usr/bin/env bash
# One command for a newcomer: set everything up, then run ari in the foreground with the example agents.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec node bin/ari.js serve "$@"
