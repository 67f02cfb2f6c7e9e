# shellcheck shell=bash
# Shared by scripts/backup.sh and scripts/restore.sh: how to call docker
# compose for this installation. GRANARY_COMPOSE overrides the command (e.g.
# "docker-compose -p granary --env-file /etc/granary/.env"); otherwise
# `docker compose` (v2) or `docker-compose` (v1), run next to docker-compose.yml.
GRANARY_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
say() { printf '[granary] %s\n' "$*" >&2; }
die() { printf '[granary] error: %s\n' "$*" >&2; exit 1; }

if [ -n "${GRANARY_COMPOSE:-}" ]; then
  read -r -a compose_cmd <<< "$GRANARY_COMPOSE"
elif docker compose version >/dev/null 2>&1; then
  compose_cmd=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then
  compose_cmd=(docker-compose)
else
  die "neither 'docker compose' nor 'docker-compose' is installed"
fi
compose() { (cd "$GRANARY_ROOT" && "${compose_cmd[@]}" "$@"); }

# The running control plane's container id (the admin command runs in it).
control_plane_container() {
  local id
  id=$(compose ps -q control-plane 2>/dev/null | head -n1)
  [ -n "$id" ] || die "the control plane is not running (docker compose up -d first)"
  echo "$id"
}
