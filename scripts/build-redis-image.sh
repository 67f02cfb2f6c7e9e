#!/usr/bin/env bash
# Builds granary/redis:local without any registry: this machine's own
# redis-server and redis-cli (Debian's redis-server package), their shared
# libraries and a shell, `docker import`ed. For tests and offline machines:
# docker-compose.yml uses it when REDIS_IMAGE=granary/redis:local (its default
# is the public redis:7-alpine). Same command line as the official image:
# `redis-server ...` with /data as the working directory.
set -euo pipefail
IMAGE=${1:-granary/redis:local}
command -v redis-server >/dev/null || { echo "redis-server is missing (apt-get install redis-server)" >&2; exit 1; }
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

copy_with_libs() {
  local bin lib
  for bin in "$@"; do
    mkdir -p "$root$(dirname "$bin")"
    cp -L "$bin" "$root$bin"
    for lib in $(ldd "$bin" | grep -o '/[^ ]*'); do
      mkdir -p "$root$(dirname "$lib")"
      cp -L "$lib" "$root$lib"
    done
  done
}

copy_with_libs "$(readlink -f "$(command -v redis-server)")" "$(readlink -f "$(command -v redis-cli)")" /bin/sh
for tool in redis-server redis-cli; do
  real=$(readlink -f "$(command -v $tool)")
  mkdir -p "$root/usr/local/bin"
  [ "$real" = "/usr/local/bin/$tool" ] || ln -s "$real" "$root/usr/local/bin/$tool"
done
mkdir -p "$root/data" "$root/tmp" "$root/etc"
chmod 1777 "$root/tmp"
printf 'root:x:0:0:root:/root:/bin/sh\nredis:x:999:999:redis:/data:/bin/sh\n' > "$root/etc/passwd"
printf 'root:x:0:\nredis:x:999:\n' > "$root/etc/group"
chown 999:999 "$root/data"
tar -C "$root" -c . | docker import \
  --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
  --change 'WORKDIR /data' \
  --change 'USER 999:999' \
  --change 'CMD ["redis-server"]' \
  --change 'LABEL granary.managed=true granary.kind=base-image' \
  - "$IMAGE" >/dev/null
echo "built $IMAGE ($(docker image inspect -f '{{.Size}}' "$IMAGE") bytes)"
