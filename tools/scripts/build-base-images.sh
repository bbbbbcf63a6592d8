#!/usr/bin/env bash
# Build llmp's local base images from Debian packages, so that no image registry is needed.
#
#   tools/scripts/build-base-images.sh [--force] [IMAGE...]
#
#   IMAGE is any of: debian node postgres nginx (default: all). llmp/debian:trixie is
#   always built first when it is missing, because the others are FROM it.
#   --force   rebuild the selected images even if they exist (without build cache)
#
# Images (Dockerfiles and helpers live in deploy/docker/base-images/):
#   llmp/debian:trixie        debootstrap --variant=minbase trixie + docker import
#   llmp/node:20-trixie       nodejs 20 + npm + tini, user node (uid 1000)
#   llmp/postgres:17-pgvector postgresql-17 + pgvector, official-image-like entrypoint
#   llmp/nginx:1-trixie       nginx (foreground, logs to stdout/stderr) + curl
#
# Environment:
#   DEBIAN_MIRROR   Debian archive URL (default: parsed from the host's apt sources)
#   WORK_DIR        where the debootstrap rootfs is made (default: a temp dir in /var/tmp)
#
# Needs root (debootstrap) and a running Docker daemon (tools/scripts/setup-docker.sh).
set -euo pipefail

LOG_TAG=build-base-images
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
# shellcheck source=tools/scripts/lib/debian-mirror.sh disable=SC2034  # LOG_TAG is read by the lib
. "$SCRIPT_DIR/lib/debian-mirror.sh"

CONTEXT_DIR="$REPO_ROOT/deploy/docker/base-images"
SUITE=trixie
DEBIAN_IMAGE=llmp/debian:trixie
declare -A IMAGE_TAG=(
  [debian]="$DEBIAN_IMAGE"
  [node]=llmp/node:20-trixie
  [postgres]=llmp/postgres:17-pgvector
  [nginx]=llmp/nginx:1-trixie
)
ALL_IMAGES=(debian node postgres nginx)
export DEBIAN_FRONTEND=noninteractive

FORCE=0
SELECTED=()
CREATED="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
SOURCE_LABEL="$(git -C "$REPO_ROOT" config --get remote.origin.url 2>/dev/null || true)"
SOURCE_LABEL="${SOURCE_LABEL:-llmp monorepo: deploy/docker/base-images}"
TIMINGS=()
REPLACED_IDS=() # image ids that --force re-tagged; removed at the end unless still in use

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; }

# Run "$@" and record how long it took under NAME.
timed() {
  local name="$1" t0 t1
  shift
  t0=$(date +%s.%N)
  "$@"
  t1=$(date +%s.%N)
  TIMINGS+=("$(awk -v n="$name" -v a="$t0" -v b="$t1" 'BEGIN { printf "%-28s %6.1fs", n, b - a }')")
}

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

image_size() { docker image inspect --format '{{.Size}}' "$1" | awk '{ printf "%.0f MB", $1 / 1e6 }'; }

preflight() {
  need_root
  command -v docker >/dev/null 2>&1 || die "no docker CLI; run tools/scripts/setup-docker.sh first"
  docker info >/dev/null 2>&1 || die "the Docker daemon is not answering; run tools/scripts/setup-docker.sh first"
  [ -d "$CONTEXT_DIR" ] || die "missing $CONTEXT_DIR (Dockerfiles)"
}

ensure_debootstrap() {
  if command -v debootstrap >/dev/null 2>&1; then return 0; fi
  log "debootstrap missing: installing it with apt-get"
  apt-get update -qq || die "apt-get update failed"
  apt-get install -y -qq --no-install-recommends debootstrap >/dev/null || die "apt-get install debootstrap failed"
}

ROOTFS_PARENT=""
cleanup_rootfs() {
  [ -n "$ROOTFS_PARENT" ] && [ -d "$ROOTFS_PARENT" ] || return 0
  # debootstrap mounts /proc etc. inside the target; never rm -rf through a live mount.
  local m
  while read -r m; do
    umount -l "$m" 2>/dev/null || true
  done < <(awk -v p="$ROOTFS_PARENT/" 'index($2, p) == 1 { print $2 }' /proc/mounts | sort -r)
  rm -rf --one-file-system "$ROOTFS_PARENT"
}
trap cleanup_rootfs EXIT

build_debian() {
  local mirror rootfs
  mirror="$(debian_mirror)" || die "cannot determine the Debian mirror (set DEBIAN_MIRROR)"
  ensure_debootstrap
  ROOTFS_PARENT="$(mktemp -d "${WORK_DIR:-/var/tmp}/llmp-rootfs.XXXXXX")"
  rootfs="$ROOTFS_PARENT/rootfs"
  log "debian: debootstrap --variant=minbase $SUITE $rootfs $mirror"
  if ! timed "debootstrap" debootstrap --variant=minbase --components=main "$SUITE" "$rootfs" "$mirror" \
    >"$ROOTFS_PARENT/debootstrap.log" 2>&1; then
    tail -n 30 "$ROOTFS_PARENT/debootstrap.log" >&2 || true
    cp "$ROOTFS_PARENT/debootstrap.log" /var/tmp/llmp-debootstrap.log 2>/dev/null || true
    die "debootstrap failed (full log: /var/tmp/llmp-debootstrap.log; also $rootfs/debootstrap/debootstrap.log)"
  fi

  log "debian: configuring the rootfs for containers"
  printf 'deb %s %s main\n' "$mirror" "$SUITE" >"$rootfs/etc/apt/sources.list"
  rm -f "$rootfs"/etc/apt/sources.list.d/*
  # Like the official debian images: no service starts during apt installs, no leftovers.
  printf '#!/bin/sh\n# containers have no init system: never start services from maintainer scripts\nexit 101\n' \
    >"$rootfs/usr/sbin/policy-rc.d"
  chmod 0755 "$rootfs/usr/sbin/policy-rc.d"
  cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
  printf 'Acquire::Languages "none";\n' >"$rootfs/etc/apt/apt.conf.d/docker-no-languages"
  printf 'APT::AutoRemove::SuggestsImportant "false";\n' >"$rootfs/etc/apt/apt.conf.d/docker-autoremove-suggests"
  # Docker bind-mounts these at run time; do not ship the build host's copies.
  : >"$rootfs/etc/resolv.conf"
  : >"$rootfs/etc/hostname"
  [ -e "$rootfs/etc/machine-id" ] && : >"$rootfs/etc/machine-id"
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb \
    "$rootfs"/var/log/*.log "$rootfs"/var/log/apt/* "$rootfs"/tmp/* "$rootfs"/debootstrap

  log "debian: tar | docker import -> $DEBIAN_IMAGE"
  # shellcheck disable=SC2016
  timed "docker import (debian)" bash -c '
    set -euo pipefail
    tar --numeric-owner --exclude="./proc/*" --exclude="./sys/*" --exclude="./dev/*" -C "$1" -c . |
      docker import \
        --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
        --change "ENV LANG=C.UTF-8" \
        --change "CMD [\"bash\"]" \
        --change "LABEL org.opencontainers.image.title=llmp/debian" \
        --change "LABEL org.opencontainers.image.description=\"Debian $2 minbase (debootstrap), built locally\"" \
        --change "LABEL org.opencontainers.image.source=\"$3\"" \
        --change "LABEL org.opencontainers.image.created=$4" \
        --change "LABEL org.opencontainers.image.version=$2" \
        --message "debootstrap --variant=minbase $2" \
        - "$5" >/dev/null
  ' _ "$rootfs" "$SUITE" "$SOURCE_LABEL" "$CREATED" "$DEBIAN_IMAGE"
  cleanup_rootfs
  ROOTFS_PARENT=""
  docker run --rm "$DEBIAN_IMAGE" bash -c '. /etc/os-release && echo "$PRETTY_NAME"' >/dev/null \
    || die "$DEBIAN_IMAGE does not run"
}

# docker build one of the derived images, then smoke-test it.
build_derived() {
  local name="$1" tag="${IMAGE_TAG[$1]}"
  local args=(
    -f "$CONTEXT_DIR/$name.Dockerfile"
    -t "$tag"
    --build-arg "BASE_IMAGE=$DEBIAN_IMAGE"
    --build-arg "CREATED=$CREATED"
    --build-arg "SOURCE=$SOURCE_LABEL"
  )
  [ "$FORCE" = 1 ] && args+=(--no-cache)
  log "$name: docker build -t $tag (Dockerfile: deploy/docker/base-images/$name.Dockerfile)"
  local logf
  logf="$(mktemp /tmp/llmp-build-"$name".XXXXXX.log)"
  if ! timed "docker build ($name)" docker build "${args[@]}" "$CONTEXT_DIR" >"$logf" 2>&1; then
    tail -n 40 "$logf" >&2 || true
    die "docker build of $tag failed (full log: $logf)"
  fi
  rm -f "$logf"
  timed "smoke test ($name)" "smoke_$name" "$tag"
}

smoke_node() {
  local out
  out="$(docker run --rm "$1" sh -c 'echo "node $(node --version) npm $(npm --version) user $(id -u node):$(id -g node)"')" \
    || die "$1: node/npm do not run"
  log "node: $out"
}

smoke_postgres() {
  local out
  out="$(docker run --rm "$1" bash -c 'postgres --version && command -v pg_isready && ls /usr/share/postgresql/17/extension/vector.control')" \
    || die "$1: postgres binaries or pgvector missing"
  log "postgres: $(echo "$out" | tr '\n' ' ')"
}

smoke_nginx() {
  local out
  out="$(docker run --rm "$1" sh -c 'nginx -t 2>&1 | tail -n1; nginx -v 2>&1; curl --version | head -n1')" \
    || die "$1: nginx config test failed"
  log "nginx: $(echo "$out" | tr '\n' ' ')"
}

# Remove images that --force replaced (now untagged), newest first so children go before
# parents. An image still used by a container is kept (docker refuses) and reported.
remove_replaced() {
  local i id
  for ((i = ${#REPLACED_IDS[@]} - 1; i >= 0; i--)); do
    id="${REPLACED_IDS[$i]}"
    [ -n "$(docker image inspect --format '{{join .RepoTags " "}}' "$id" 2>/dev/null)" ] && continue # still tagged
    docker image inspect "$id" >/dev/null 2>&1 || continue
    if docker image rm "$id" >/dev/null 2>&1; then
      log "removed replaced image $(printf %.12s "${id#sha256:}")"
    else
      log "kept replaced image $(printf %.12s "${id#sha256:}") (still used by a container)"
    fi
  done
}

main() {
  while [ $# -gt 0 ]; do
    case "$1" in
      --force | -f) FORCE=1 ;;
      -h | --help) usage; exit 0 ;;
      debian | node | postgres | nginx) SELECTED+=("$1") ;;
      *) die "unknown argument '$1' (images: ${ALL_IMAGES[*]}; flags: --force, --help)" ;;
    esac
    shift
  done
  [ ${#SELECTED[@]} -gt 0 ] || SELECTED=("${ALL_IMAGES[@]}")
  preflight

  local t_all=$SECONDS name tag sel
  for name in "${ALL_IMAGES[@]}"; do
    tag="${IMAGE_TAG[$name]}"
    sel=0
    for s in "${SELECTED[@]}"; do [ "$s" = "$name" ] && sel=1; done
    if [ "$name" = debian ] && ! image_exists "$tag"; then sel=1; fi # everything else is FROM it
    [ "$sel" = 1 ] || continue
    if image_exists "$tag" && [ "$FORCE" != 1 ]; then
      log "$name: $tag exists ($(image_size "$tag")), skipping (use --force to rebuild)"
      continue
    fi
    local t0=$SECONDS
    if image_exists "$tag"; then REPLACED_IDS+=("$(docker image inspect --format '{{.Id}}' "$tag")"); fi
    if [ "$name" = debian ]; then build_debian; else build_derived "$name"; fi
    log "$name: built $tag ($(image_size "$tag")) in $((SECONDS - t0))s"
  done

  remove_replaced
  if [ ${#TIMINGS[@]} -gt 0 ]; then
    log "timings:"
    printf '    %s\n' "${TIMINGS[@]}" >&2
  fi
  log "done in $((SECONDS - t_all))s; images:"
  for name in "${ALL_IMAGES[@]}"; do
    tag="${IMAGE_TAG[$name]}"
    if image_exists "$tag"; then
      printf '    %-28s %s  %s\n' "$tag" "$(image_size "$tag")" "$(docker image inspect --format '{{printf "%.19s" .Id}}' "$tag")" >&2
    else
      printf '    %-28s (not built)\n' "$tag" >&2
    fi
  done
}

main "$@"
