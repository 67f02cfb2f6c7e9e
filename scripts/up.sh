#!/usr/bin/env bash
# The up command: provisions Docker, Redis and the local base image, starts the
# control plane and the proxy, and prints the URL to open. Ctrl-C (or SIGTERM)
# stops everything it started. Running it again while it runs is refused
# harmless (it prints the running instance's URL); running it again afterwards
# picks up the same data.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/provision.sh"
provision

# One instance per data directory: a second run says where the first one is.
exec 9>"$GRANARY_DATA_DIR/up.lock"
if ! flock -n 9; then
  printf 'Granary is already running: %s\n' "$(cat "$GRANARY_DATA_DIR/proxy.url" 2>/dev/null || echo '(starting)')"
  exit 0
fi

cd "$GRANARY_ROOT"
# Tells this installation's grain containers apart from any other's on the same engine.
export GRANARY_INSTANCE_ID=${GRANARY_INSTANCE_ID:-$(printf '%s' "$GRANARY_DATA_DIR" | sha256sum | cut -c1-12)}
pids=()
stop_all() {
  trap - INT TERM EXIT
  say "stopping..."
  local pid
  # The proxy first, so its last access report still reaches the control plane.
  local i
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill -TERM "${pids[$i]}" 2>/dev/null || true
    wait "${pids[$i]}" 2>/dev/null || true
  done
  # Grain containers are disposable (their data stays in the data directory):
  # remove the ones this instance ran; the next start makes them again on demand.
  local grains
  grains=$(docker ps -aq --filter "label=granary.instance=$GRANARY_INSTANCE_ID" 2>/dev/null || true)
  if [ -n "$grains" ]; then
    say "removing $(wc -w <<<"$grains") grain container(s)..."
    docker rm -f $grains >/dev/null 2>&1 || true
  fi
  node --import tsx scripts/remove-grain-network.ts "${GRAIN_NETWORK:-granary-grains}" 2>/dev/null || true
  unprovision
  say "stopped"
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

run_service() {
  local name=$1 entry=$2
  node --import tsx "$entry" > >(tee -a "$GRANARY_DATA_DIR/$name.log" | grep --line-buffered -v -E '"level":(1|2|3)0' >&2 || true) 2>&1 &
  pids+=("$!")
}

socket="${CONTROL_PLANE_SOCKET:-$GRANARY_DATA_DIR/control-plane.sock}"
rm -f "$socket"
run_service control-plane control-plane/server.ts
for ((i = 0; i < 300; i++)); do [ -S "$socket" ] && break; kill -0 "${pids[0]}" 2>/dev/null || die "control plane exited; see $GRANARY_DATA_DIR/control-plane.log"; sleep 0.1; done
[ -S "$socket" ] || die "control plane did not start; see $GRANARY_DATA_DIR/control-plane.log"

url_file="$GRANARY_DATA_DIR/proxy.url"
rm -f "$url_file"
run_service proxy proxy/server.ts
for ((i = 0; i < 300; i++)); do [ -s "$url_file" ] && break; kill -0 "${pids[1]}" 2>/dev/null || die "proxy exited; see $GRANARY_DATA_DIR/proxy.log"; sleep 0.1; done
[ -s "$url_file" ] || die "proxy did not start; see $GRANARY_DATA_DIR/proxy.log"

printf '\nGranary is up: %s\n(Ctrl-C stops it; logs in %s)\n\n' "$(cat "$url_file")" "$GRANARY_DATA_DIR"
wait -n "${pids[@]}" || true
say "a service exited; see the logs in $GRANARY_DATA_DIR"
exit 1
