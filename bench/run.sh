#!/usr/bin/env bash
# Runs one benchmark (a TypeScript file) with what it needs provisioned:
# Docker, a private Redis (REDIS_URL), the base and example images.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/provision.sh"
export GRANARY_DATA_DIR="${GRANARY_BENCH_DATA_DIR:-$GRANARY_ROOT/.tmp/bench-data}"
unset REDIS_URL
provision
trap unprovision EXIT
cd "$GRANARY_ROOT"
node --import tsx "$@"
