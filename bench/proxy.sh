#!/usr/bin/env bash
# `npm run bench:proxy`: installs what the proxy benchmark needs (npm
# packages, Debian's redis-server, and nginx for the comparison when it
# installs), then runs bench/proxy.ts, which starts its own private Redis.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/provision.sh"
provision_node_modules
ensure_debian_package redis-server redis-server
if ! command -v nginx >/dev/null 2>&1; then
  # Debian starts the packaged service on port 80; the benchmark runs its own instance.
  (ensure_debian_package nginx nginx-light && { service nginx stop >/dev/null 2>&1 || true; }) || say "nginx did not install: measuring without it"
fi
cd "$GRANARY_ROOT"
node --import tsx bench/proxy.ts "$@"
