#!/usr/bin/env bash
# Builds the service images granary/proxy and granary/control-plane.
#
#   scripts/build-images.sh [--prebuilt] [--tag TAG] [--stage-only]
#
# Default: `docker build` with the repository as context; the images run
# `npm ci` and `npm run build` inside (the npm registry must be reachable from
# build containers), from NODE_BASE (default node:20-bookworm-slim).
#
# --prebuilt: for machines whose containers reach no registry (and the tests).
# Compiles on the host (`npm run build`), stages a build context in
# $GRANARY_IMAGE_CONTEXT (default .tmp/image-context) holding the Dockerfiles
# and prebuilt/ = dist/ + production-only node_modules + package.json, and
# builds the `prebuilt` target from it, from NODE_BASE (default here:
# granary/node-base:local, made by scripts/build-base-image.sh when missing).
# --stage-only: stage that context and stop (docker compose builds from it when
# GRANARY_BUILD_CONTEXT and GRANARY_BUILD_TARGET=prebuilt are set).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
prebuilt=0
stage_only=0
tag=latest
while [ $# -gt 0 ]; do
  case "$1" in
    --prebuilt) prebuilt=1 ;;
    --stage-only) prebuilt=1; stage_only=1 ;;
    --tag) tag=$2; shift ;;
    *) echo "usage: $0 [--prebuilt] [--stage-only] [--tag TAG]" >&2; exit 2 ;;
  esac
  shift
done
say() { printf '[granary] %s\n' "$*" >&2; }

if [ $prebuilt = 0 ]; then
  base=${NODE_BASE:-node:20-bookworm-slim}
  for svc in proxy control-plane; do
    say "building granary/$svc:$tag (inside Docker, from $base)..."
    docker build --build-arg "NODE_BASE=$base" --label granary.managed=true \
      -f "$ROOT/Dockerfile.$svc" -t "granary/$svc:$tag" "$ROOT"
  done
  exit 0
fi

ctx=${GRANARY_IMAGE_CONTEXT:-$ROOT/.tmp/image-context}
mkdir -p "$ctx/prebuilt"
say "compiling (npm run build)..."
(cd "$ROOT" && npm run --silent build >/dev/null)

# Production dependencies: a pruned copy of the host's node_modules (no
# registry needed), redone only when the lock file changed.
lock_sum=$(sha256sum "$ROOT/package-lock.json" | cut -d' ' -f1)
if [ "$(cat "$ctx/.prebuilt-lock-sum" 2>/dev/null)" != "$lock_sum" ]; then
  say "staging production node_modules..."
  rm -rf "$ctx/prebuilt/node_modules" "$ctx/.prebuilt-lock-sum"
  cp "$ROOT/package.json" "$ROOT/package-lock.json" "$ctx/prebuilt/"
  cp -a "$ROOT/node_modules" "$ctx/prebuilt/node_modules"
  (cd "$ctx/prebuilt" && npm prune --omit=dev --offline --no-audit --no-fund >/dev/null 2>&1)
  rm -f "$ctx/prebuilt/package-lock.json"
  echo "$lock_sum" > "$ctx/.prebuilt-lock-sum"
fi
rm -rf "$ctx/prebuilt/dist"
cp -a "$ROOT/dist" "$ctx/prebuilt/dist"
cp "$ROOT/package.json" "$ctx/prebuilt/package.json"
cp "$ROOT/package.json" "$ROOT/package-lock.json" "$ROOT"/Dockerfile.* "$ctx/"
[ $stage_only = 1 ] && { echo "$ctx"; exit 0; }

base=${NODE_BASE:-granary/node-base:local}
if [ "$base" = granary/node-base:local ]; then
  bash "$ROOT/scripts/build-base-image.sh" --if-outdated "$base"
fi
for svc in proxy control-plane; do
  say "building granary/$svc:$tag (prebuilt, from $base)..."
  DOCKER_BUILDKIT=0 docker build -q --build-arg "NODE_BASE=$base" --target prebuilt --label granary.managed=true \
    -f "$ctx/Dockerfile.$svc" -t "granary/$svc:$tag" "$ctx" >/dev/null
done
