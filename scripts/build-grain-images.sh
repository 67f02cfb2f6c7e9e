#!/usr/bin/env bash
# Builds every example app image (grain-images/<app>/Dockerfile) from the local
# base image, with no registry: tagged granary/<app>:local. Only images that
# are missing are built, unless --force is given. Extra arguments name apps.
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
docker image inspect "$BASE" >/dev/null 2>&1 || bash "$ROOT/scripts/build-base-image.sh" "$BASE"
for app in "${apps[@]}"; do
  tag="granary/$app:local"
  if [ $force = 0 ] && docker image inspect "$tag" >/dev/null 2>&1; then continue; fi
  printf '[granary] building %s...\n' "$tag" >&2
  DOCKER_BUILDKIT=0 docker build -q --build-arg "NODE_BASE=$BASE" --label granary.managed=true --label "granary.app-image=$app" \
    -t "$tag" "$ROOT/grain-images/$app" >/dev/null
done
