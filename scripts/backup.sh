#!/usr/bin/env bash
# Backs up a docker compose installation of Granary into one tar file: every
# Redis key and every grain's data.
#
#   scripts/backup.sh [--online] [FILE]
#
# FILE defaults to granary-backup-<UTC time>.tar in the current directory.
# Consistency: the proxy is stopped during the backup (users get no answer for
# those seconds; nothing can change), and running grains are paused while
# their files are copied. --online keeps the proxy up: changes made during the
# backup may then be half in it (e.g. a grain created meanwhile has no data).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/compose-env.sh"
online=0
file=""
for arg in "$@"; do
  case "$arg" in
    --online) online=1 ;;
    -*) die "usage: $0 [--online] [FILE]" ;;
    *) file=$arg ;;
  esac
done
file=${file:-granary-backup-$(date -u +%Y%m%dT%H%M%SZ).tar}
cp=$(control_plane_container)
if [ $online = 0 ]; then
  say "stopping the proxy for the backup..."
  compose stop proxy >&2
  trap 'say "starting the proxy again..."; compose start proxy >&2' EXIT
fi
tmp="$file.partial"
docker exec -i "$cp" node dist/scripts/granary-admin.js backup > "$tmp" || { rm -f "$tmp"; die "backup failed"; }
mv "$tmp" "$file"
say "backup written to $file ($(wc -c < "$file") bytes)"
