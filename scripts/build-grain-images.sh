#!/usr/bin/env bash
# Builds every example app image (grain-images/<app>/Dockerfile) from the local
# base image, with no registry: tagged granary/<app>:local. Each app's build
# context is staged first (scripts/stage-grain-image.ts: the app's folder with
# symlinks followed, plus the npm packages its package.json names, copied from
# the repository's node_modules). An image is rebuilt only when what was staged
# changed (label granary.source-hash), or with --force. Extra arguments name apps.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BASE=${NODE_BASE:-granary/node-base:local}
force=0
apps=()
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    *) apps+=("$arg") ;;
  esac
done
if [ ${#apps[@]} -eq 0 ]; then
  for dockerfile in "$ROOT"/grain-images/*/Dockerfile; do
    [ -e "$dockerfile" ] || continue
    apps+=("$(basename "$(dirname "$dockerfile")")")
  done
fi
if [ "$BASE" = granary/node-base:local ]; then
  bash "$ROOT/scripts/build-base-image.sh" --if-outdated "$BASE"
else
  docker image inspect "$BASE" >/dev/null 2>&1 || bash "$ROOT/scripts/build-base-image.sh" "$BASE"
fi
base_id=$(docker image inspect -f '{{.Id}}' "$BASE")
staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT
for app in "${apps[@]}"; do
  tag="granary/$app:local"
  ctx="$staging/$app"
  hash=$(cd "$ROOT" && node --import tsx scripts/stage-grain-image.ts "$app" "$ctx")
  # The base image is part of what the image is made of.
  hash="$hash-${base_id#sha256:}"
  hash=${hash:0:45}
  current=$(docker image inspect -f '{{index .Config.Labels "granary.source-hash"}}' "$tag" 2>/dev/null || true)
  if [ $force = 0 ] && [ "$current" = "$hash" ]; then continue; fi
  printf '[granary] building %s...\n' "$tag" >&2
  DOCKER_BUILDKIT=0 docker build -q --build-arg "NODE_BASE=$BASE" --label granary.managed=true --label "granary.app-image=$app" \
    --label "granary.source-hash=$hash" -t "$tag" "$ctx" >/dev/null
done
