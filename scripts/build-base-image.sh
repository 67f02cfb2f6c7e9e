#!/usr/bin/env bash
# Builds granary/node-base:local without any registry: a root filesystem holding
# this machine's own `node`, a POSIX shell, their shared libraries and CA
# certificates, imported with `docker import`. Grain and service Dockerfiles take
# it through `--build-arg NODE_BASE=granary/node-base:local`; by default they
# use a real public Node image.
set -euo pipefail
IMAGE=${1:-granary/node-base:local}
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
mkdir -p "$root/etc/ssl/certs" "$root/tmp" "$root/app" "$root/data" "$root/home/node"
chmod 1777 "$root/tmp"
cp -L /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/" 2>/dev/null || true
# A non-root user (uid 1000, like the official node images' `node` user).
printf 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000:node:/home/node:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n' > "$root/etc/passwd"
printf 'root:x:0:\nnode:x:1000:\nnogroup:x:65534:\n' > "$root/etc/group"
chown 1000:1000 "$root/home/node" "$root/data"
tar -C "$root" -c . | docker import \
  --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
  --change 'ENV NODE_ENV=production' \
  --change 'WORKDIR /app' \
  --change 'LABEL granary.managed=true granary.kind=base-image' \
  - "$IMAGE" >/dev/null
echo "built $IMAGE ($(docker image inspect -f '{{.Size}}' "$IMAGE") bytes)"
