#!/usr/bin/env bash
# Builds granary/node-base:local without any registry: a root filesystem holding
# this machine's own `node`, a POSIX shell, `iptables` (with its extension
# modules: the grain-firewall service runs it), their shared libraries and CA
# certificates, imported with `docker import`. Grain and service Dockerfiles take
# it through `--build-arg NODE_BASE=granary/node-base:local`; by default they
# use a real public Node image.
#
#   scripts/build-base-image.sh [--if-outdated] [IMAGE]
#
# --if-outdated: do nothing when IMAGE exists and was made by this version of
# the script (label granary.base-version), so a base from before a change here
# is rebuilt once.
set -euo pipefail
# Raise when what goes into the image changes (2: iptables added).
BASE_VERSION=2
if_outdated=0
if [ "${1:-}" = --if-outdated ]; then if_outdated=1; shift; fi
IMAGE=${1:-granary/node-base:local}
if [ $if_outdated = 1 ] && [ "$(docker image inspect -f '{{index .Config.Labels "granary.base-version"}}' "$IMAGE" 2>/dev/null || true)" = "$BASE_VERSION" ]; then
  exit 0
fi
echo "[granary] building the local base image $IMAGE (this machine's node and iptables, no registry needed)..." >&2
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

copy_with_libs() {
  local bin
  for bin in "$@"; do
    mkdir -p "$root$(dirname "$bin")"
    cp -L "$bin" "$root$bin"
    # Each line of ldd names a library path (or the loader itself).
    ldd "$bin" | grep -o '/[^ ]*' | while read -r lib; do
      mkdir -p "$root$(dirname "$lib")"
      cp -L "$lib" "$root$lib"
    done
  done
}

node_bin=$(readlink -f "$(command -v node)")
copy_with_libs "$node_bin" /bin/sh /bin/cat /bin/ls /bin/mkdir
if [ "$node_bin" != /usr/local/bin/node ]; then
  mkdir -p "$root/usr/local/bin" && ln -s "$node_bin" "$root/usr/local/bin/node"
fi

# iptables as Debian installs it (Docker's engine package depends on it): the
# binary the `iptables` command resolves to (xtables-nft-multi or
# xtables-legacy-multi, which act on the name they are called by), linked as
# /usr/sbin/iptables, and the extension modules it loads at run time from the
# `xtables` folder beside libxtables (its compiled-in XTABLES_LIBDIR).
iptables_cmd=$(PATH="$PATH:/usr/sbin:/sbin" command -v iptables) || { echo "iptables is missing: apt-get install iptables" >&2; exit 1; }
iptables_bin=$(readlink -f "$iptables_cmd")
copy_with_libs "$iptables_bin"
mkdir -p "$root/usr/sbin"
[ "$iptables_bin" = /usr/sbin/iptables ] || ln -s "$iptables_bin" "$root/usr/sbin/iptables"
xtables_dir=$(dirname "$(readlink -f "$(ldd "$iptables_bin" | grep -o '/[^ ]*libxtables[^ ]*')")")/xtables
[ -d "$xtables_dir" ] || { echo "no iptables extension modules at $xtables_dir" >&2; exit 1; }
copy_with_libs "$xtables_dir"/*.so
mkdir -p "$root/etc/ssl/certs" "$root/tmp" "$root/app" "$root/data" "$root/home/node"
chmod 1777 "$root/tmp"
cp -L /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/" 2>/dev/null || true
# A non-root user (uid 1000, like the official node images' `node` user).
printf 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000:node:/home/node:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n' > "$root/etc/passwd"
printf 'root:x:0:\nnode:x:1000:\nnogroup:x:65534:\n' > "$root/etc/group"
chown 1000:1000 "$root/home/node" "$root/data"
tar -C "$root" -c . | docker import \
  --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin' \
  --change 'ENV NODE_ENV=production' \
  --change 'WORKDIR /app' \
  --change "LABEL granary.managed=true granary.kind=base-image granary.base-version=$BASE_VERSION" \
  - "$IMAGE" >/dev/null
echo "built $IMAGE ($(docker image inspect -f '{{.Size}}' "$IMAGE") bytes)"
