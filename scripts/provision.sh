# shellcheck shell=bash
# Provisioning shared by the up command (scripts/up.sh) and the test command
# (scripts/test.sh). Source it, then call `provision`. It exports:
#   GRANARY_DATA_DIR  where Redis, logs and grain data live
#   REDIS_URL         a reachable Redis (the configured one, or a private one we started)
#   DOCKER_HOST       only if it was already set; otherwise the default socket
# and builds the local base image (granary/node-base:local) and the example
# app images (granary/<app>:local) when missing or outdated.
# Everything it starts that is private to this run is stopped by `unprovision`.

GRANARY_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DOCKER_WAIT_S=${DOCKER_WAIT_S:-60}
REDIS_WAIT_S=${REDIS_WAIT_S:-20}
_started_redis_pid=""

say() { printf '[granary] %s\n' "$*" >&2; }
die() { printf '[granary] error: %s\n' "$*" >&2; exit 1; }

# Installs Debian packages by name when a command is missing (only as root on Debian).
ensure_debian_package() {
  local cmd=$1 pkg=$2
  command -v "$cmd" >/dev/null 2>&1 && return 0
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    die "'$cmd' is missing: install the Debian package '$pkg' (or set the matching variable), then run again"
  fi
  say "installing Debian package $pkg (for $cmd)..."
  if [ ! -f /tmp/.granary-apt-updated ]; then
    apt-get update -qq >&2 && touch /tmp/.granary-apt-updated
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$pkg" >&2 \
    || die "could not install $pkg"
}

docker_answers() { timeout 5 docker info >/dev/null 2>&1; }

provision_docker() {
  ensure_debian_package docker docker.io
  if docker_answers; then say "Docker engine answers"; return 0; fi
  if [ -n "${DOCKER_HOST:-}" ]; then
    die "DOCKER_HOST=$DOCKER_HOST does not answer"
  fi
  if [ "$(id -u)" != 0 ]; then
    die "no Docker engine answers at the default socket; install Docker (Debian: apt-get install docker.io) and start it"
  fi
  command -v dockerd >/dev/null 2>&1 || { rm -f /tmp/.granary-apt-updated; ensure_debian_package dockerd docker.io; }
  say "starting dockerd (log: $GRANARY_DATA_DIR/dockerd.log)..."
  # setsid: the engine is a system service; it outlives this script on purpose.
  setsid dockerd >"$GRANARY_DATA_DIR/dockerd.log" 2>&1 < /dev/null &
  local i
  for ((i = 0; i < DOCKER_WAIT_S; i++)); do
    docker_answers && { say "Docker engine is up"; return 0; }
    sleep 1
  done
  die "dockerd did not answer within ${DOCKER_WAIT_S}s; see $GRANARY_DATA_DIR/dockerd.log"
}

provision_redis() {
  if [ -n "${REDIS_URL:-}" ]; then say "using REDIS_URL"; return 0; fi
  ensure_debian_package redis-server redis-server
  # core/paths.ts (privateRedisSocket) spells this path too: the granary command line looks there.
  local dir="$GRANARY_DATA_DIR/redis"
  mkdir -p "$dir"
  local sock="$dir/redis.sock"
  if [ -S "$sock" ] && redis-cli -s "$sock" ping >/dev/null 2>&1; then
    say "private Redis already running at $sock"
    export REDIS_URL="redis+unix://$sock"
    return 0
  fi
  rm -f "$sock"
  # Unix socket only (port 0): nothing on the network, grains included, can reach it.
  redis-server --port 0 --unixsocket "$sock" --unixsocketperm 700 \
    --dir "$dir" --appendonly yes --save '' --daemonize no \
    --logfile "$dir/redis.log" >/dev/null 2>&1 &
  _started_redis_pid=$!
  local i
  for ((i = 0; i < REDIS_WAIT_S * 10; i++)); do
    if redis-cli -s "$sock" ping >/dev/null 2>&1; then
      export REDIS_URL="redis+unix://$sock"
      say "private Redis started at $sock"
      return 0
    fi
    sleep 0.1
  done
  die "redis-server did not start; see $dir/redis.log"
}

# Built when missing, or made by an older build-base-image.sh (it knows which).
provision_base_image() {
  bash "$GRANARY_ROOT/scripts/build-base-image.sh" --if-outdated >&2 || die "could not build the local base image"
}

provision_grain_images() {
  bash "$GRANARY_ROOT/scripts/build-grain-images.sh" || die "could not build the example app images"
}

# Browser tests drive Debian's Chromium (/usr/bin/chromium); only the test command needs it.
# The emoji font makes app icons (emoji in manifests) render in test screenshots.
provision_chromium() {
  ensure_debian_package chromium chromium
  if [ ! -e /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing Debian package fonts-noto-color-emoji (app icons in browser tests)..."
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends fonts-noto-color-emoji >&2 || say "could not install fonts-noto-color-emoji; app icons will show as boxes in screenshots"
  fi
}

provision_node_modules() {
  if [ ! -d "$GRANARY_ROOT/node_modules" ] || [ "$GRANARY_ROOT/package-lock.json" -nt "$GRANARY_ROOT/node_modules/.package-lock.json" ]; then
    say "installing npm packages (npm ci)..."
    (cd "$GRANARY_ROOT" && npm ci --no-audit --no-fund >&2) || die "npm ci failed"
  fi
}

provision() {
  export GRANARY_DATA_DIR=${GRANARY_DATA_DIR:-$GRANARY_ROOT/data}
  mkdir -p "$GRANARY_DATA_DIR"
  GRANARY_DATA_DIR=$(cd "$GRANARY_DATA_DIR" && pwd)
  provision_node_modules
  provision_docker
  provision_redis
  provision_base_image
  provision_grain_images
}

unprovision() {
  if [ -n "$_started_redis_pid" ]; then
    kill "$_started_redis_pid" 2>/dev/null || true
    wait "$_started_redis_pid" 2>/dev/null || true
    _started_redis_pid=""
  fi
}
