#!/usr/bin/env bash
# Restores a backup made by scripts/backup.sh into this docker compose
# installation (typically a fresh one):
#
#   scripts/restore.sh FILE
#
# REPLACES this installation's Redis data (users, sessions, grains, shares...)
# and the data of every grain the backup holds. Starts Redis and the control
# plane if needed, stops the proxy, restores, restarts the control plane and
# starts the proxy.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/compose-env.sh"
[ $# = 1 ] && [ -f "$1" ] || die "usage: $0 FILE (a backup made by scripts/backup.sh)"
file=$1
say "starting Redis and the control plane..."
compose up -d control-plane >&2
compose stop proxy >&2 || true
cp=$(control_plane_container)
say "restoring $file..."
docker exec -i "$cp" node dist/scripts/granary-admin.js restore --replace < "$file" || die "restore failed"
say "restarting the control plane and the proxy..."
compose restart control-plane >&2
compose up -d proxy >&2
say "restored"
