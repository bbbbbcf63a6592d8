#!/usr/bin/env bash
# Install and start a Docker engine on a Debian 12 (bookworm) host, idempotently.
#
#   tools/scripts/setup-docker.sh [start]   install what is missing, start dockerd if `docker info` fails
#   tools/scripts/setup-docker.sh install   only install (engine + Compose v2 + buildx plugins)
#   tools/scripts/setup-docker.sh stop      stop the dockerd this script started, wait for it to exit
#   tools/scripts/setup-docker.sh status    print what is installed / running
#
# What it does:
#   * engine: Debian's docker.io (20.10) via apt-get, if `dockerd` is missing;
#   * Compose v2 + buildx CLI plugins: downloaded from Debian trixie with a private,
#     throw-away apt state (the host's apt sources are NOT changed), unpacked with
#     dpkg -x and copied into /usr/libexec/docker/cli-plugins/; skipped when
#     `docker compose version` already reports v2;
#   * daemon: `dockerd --storage-driver=overlay2` in the background, logging to
#     $DOCKERD_LOG (default /var/log/dockerd.log); waits for `docker info`.
#
# Environment:
#   DOCKERD_LOG            dockerd log file              (default /var/log/dockerd.log)
#   DOCKERD_START_TIMEOUT  seconds to wait for the daemon (default 60)
#   DOCKERD_STOP_TIMEOUT   seconds to wait for shutdown   (default 60)
#   DEBIAN_MIRROR          Debian archive URL             (default: parsed from the host's apt sources)
set -euo pipefail

LOG_TAG=setup-docker
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=tools/scripts/lib/debian-mirror.sh disable=SC2034  # LOG_TAG is read by the lib
. "$SCRIPT_DIR/lib/debian-mirror.sh"

DOCKERD_LOG="${DOCKERD_LOG:-/var/log/dockerd.log}"
DOCKERD_START_TIMEOUT="${DOCKERD_START_TIMEOUT:-60}"
DOCKERD_STOP_TIMEOUT="${DOCKERD_STOP_TIMEOUT:-60}"
DOCKER_PIDFILE=/var/run/docker.pid          # written by dockerd itself
OUR_PIDFILE=/var/run/llmp-dockerd.pid        # the dockerd *this script* started
PLUGIN_DIR=/usr/libexec/docker/cli-plugins
export DEBIAN_FRONTEND=noninteractive

pid_alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

dockerd_pids() { pgrep -x dockerd 2>/dev/null || true; }

install_engine() {
  if command -v dockerd >/dev/null 2>&1; then
    log "engine: dockerd present ($(dockerd --version 2>/dev/null || echo '?')), skipping apt install"
    return 0
  fi
  log "engine: installing Debian docker.io via apt-get (noninteractive)"
  local t0=$SECONDS
  apt-get update -qq || die "apt-get update failed; is the Debian mirror reachable?"
  # iptables is a hard dependency of the bridge network; name it to be explicit.
  apt-get install -y -qq --no-install-recommends docker.io iptables >/dev/null \
    || die "apt-get install docker.io failed (see output above)"
  command -v dockerd >/dev/null 2>&1 || die "docker.io installed but dockerd is not on PATH"
  log "engine: installed $(dockerd --version) in $((SECONDS - t0))s"
}

compose_is_v2() {
  local v
  v="$(docker compose version 2>/dev/null)" || return 1
  [[ "$v" =~ [Vv]ersion\ v?2\. ]]
}

install_plugins() {
  command -v docker >/dev/null 2>&1 || die "no docker CLI on PATH (install_engine should have provided /usr/bin/docker)"
  if compose_is_v2 && docker buildx version >/dev/null 2>&1; then
    log "plugins: $(docker compose version) and buildx $(docker buildx version | awk '{print $2}') present, skipping"
    return 0
  fi
  local t0=$SECONDS mirror tmp
  mirror="$(debian_mirror)" || die "cannot determine the Debian mirror"
  tmp="$(mktemp -d /tmp/llmp-trixie-apt.XXXXXX)"
  # shellcheck disable=SC2064
  trap "rm -rf '$tmp'" RETURN
  log "plugins: fetching docker-compose + docker-buildx from trixie ($mirror) with a private apt state in $tmp"
  mkdir -p "$tmp/lists/partial" "$tmp/cache/archives/partial" "$tmp/debs" "$tmp/root"
  printf 'deb %s trixie main\n' "$mirror" >"$tmp/trixie.list"
  # apt downloads as the unprivileged _apt user: let it write into our private dirs.
  chmod 0755 "$tmp"
  if id _apt >/dev/null 2>&1; then chown -R _apt:root "$tmp/lists" "$tmp/cache" "$tmp/debs"; fi
  # Private sources, lists and caches: the host's apt state stays untouched.
  local apt_opts=(
    -o "Dir::Etc::sourcelist=$tmp/trixie.list"
    -o "Dir::Etc::sourceparts=-"
    -o "Dir::State::Lists=$tmp/lists"
    -o "Dir::Cache=$tmp/cache"
    -o "Dir::Cache::pkgcache="
    -o "Dir::Cache::srcpkgcache="
    -o "APT::Get::List-Cleanup=0"
  )
  apt-get "${apt_opts[@]}" update -qq || die "apt-get update for trixie failed (mirror $mirror)"
  (cd "$tmp/debs" && apt-get "${apt_opts[@]}" download docker-compose docker-buildx) \
    || die "apt-get download docker-compose docker-buildx from trixie failed"
  local deb
  for deb in "$tmp"/debs/*.deb; do
    log "plugins: unpacking $(basename "$deb")"
    dpkg -x "$deb" "$tmp/root"
  done
  [ -d "$tmp/root/usr/libexec/docker/cli-plugins" ] \
    || die "the trixie packages did not contain usr/libexec/docker/cli-plugins/ (layout changed?)"
  mkdir -p "$PLUGIN_DIR"
  install -m 0755 "$tmp"/root/usr/libexec/docker/cli-plugins/* "$PLUGIN_DIR/"
  compose_is_v2 || die "installed plugins but 'docker compose version' does not report v2"
  log "plugins: installed into $PLUGIN_DIR: $(cd "$PLUGIN_DIR" && echo *) — $(docker compose version) in $((SECONDS - t0))s"
}

start_daemon() {
  if docker info >/dev/null 2>&1; then
    log "daemon: already running (server $(docker version --format '{{.Server.Version}}' 2>/dev/null || echo '?')), nothing to start"
    return 0
  fi
  local alive
  alive="$(dockerd_pids)"
  if [ -n "$alive" ]; then
    # A dockerd exists but does not answer (yet): wait for it instead of starting a second one.
    log "daemon: a dockerd process is alive (pid ${alive//$'\n'/ }) but 'docker info' fails; waiting for it"
  else
    if [ -e "$DOCKER_PIDFILE" ]; then
      log "daemon: removing stale $DOCKER_PIDFILE (pid $(cat "$DOCKER_PIDFILE" 2>/dev/null || echo '?'), no dockerd alive)"
      rm -f "$DOCKER_PIDFILE"
    fi
    mkdir -p "$(dirname "$DOCKERD_LOG")"
    log "daemon: starting dockerd --storage-driver=overlay2 (log: $DOCKERD_LOG)"
    printf '\n===== %s setup-docker.sh starting dockerd =====\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >>"$DOCKERD_LOG"
    # setsid + nohup: the daemon outlives this script and its terminal/job.
    nohup setsid dockerd --storage-driver=overlay2 --pidfile="$DOCKER_PIDFILE" \
      >>"$DOCKERD_LOG" 2>&1 </dev/null &
    echo $! >"$OUR_PIDFILE"
  fi
  local t0=$SECONDS
  until docker info >/dev/null 2>&1; do
    if [ -s "$OUR_PIDFILE" ] && [ -z "$alive" ] && ! pid_alive "$(cat "$OUR_PIDFILE")"; then
      rm -f "$OUR_PIDFILE"
      log "daemon: dockerd exited during startup; last lines of $DOCKERD_LOG:"
      tail -n 20 "$DOCKERD_LOG" >&2 || true
      die "dockerd failed to start"
    fi
    if [ $((SECONDS - t0)) -ge "$DOCKERD_START_TIMEOUT" ]; then
      log "daemon: last lines of $DOCKERD_LOG:"
      tail -n 20 "$DOCKERD_LOG" >&2 || true
      die "'docker info' still failing after ${DOCKERD_START_TIMEOUT}s (raise DOCKERD_START_TIMEOUT?)"
    fi
    sleep 0.5
  done
  # Prefer the pid dockerd itself recorded (identical to ours when we started it).
  if [ -z "$alive" ] && [ -s "$DOCKER_PIDFILE" ]; then cp "$DOCKER_PIDFILE" "$OUR_PIDFILE"; fi
  log "daemon: ready after $((SECONDS - t0))s — server $(docker version --format '{{.Server.Version}}'), storage $(docker info --format '{{.Driver}}')"
}

stop_daemon() {
  if [ ! -s "$OUR_PIDFILE" ]; then
    if [ -n "$(dockerd_pids)" ]; then
      die "no $OUR_PIDFILE: the running dockerd (pid $(dockerd_pids | paste -sd ' ')) was not started by this script; stop it yourself"
    fi
    log "stop: no dockerd started by this script and none running; nothing to do"
    return 0
  fi
  local pid
  pid="$(cat "$OUR_PIDFILE")"
  if ! pid_alive "$pid" || [ "$(cat "/proc/$pid/comm" 2>/dev/null)" != dockerd ]; then
    log "stop: pid $pid from $OUR_PIDFILE is not a running dockerd; removing the stale pid file"
    rm -f "$OUR_PIDFILE"
    return 0
  fi
  log "stop: sending SIGTERM to dockerd pid $pid (running containers are stopped by the daemon)"
  kill -TERM "$pid"
  local t0=$SECONDS
  while pid_alive "$pid"; do
    if [ $((SECONDS - t0)) -ge "$DOCKERD_STOP_TIMEOUT" ]; then
      die "dockerd pid $pid still alive after ${DOCKERD_STOP_TIMEOUT}s; check $DOCKERD_LOG (kill -KILL $pid as a last resort)"
    fi
    sleep 0.5
  done
  rm -f "$OUR_PIDFILE"
  log "stop: dockerd pid $pid exited after $((SECONDS - t0))s"
}

show_status() {
  log "dockerd binary: $(command -v dockerd || echo missing)"
  log "docker CLI:     $(command -v docker || echo missing) $(docker version --format '{{.Client.Version}}' 2>/dev/null || true)"
  log "compose:        $(docker compose version 2>/dev/null || echo missing)"
  log "buildx:         $(docker buildx version 2>/dev/null || echo missing)"
  if docker info >/dev/null 2>&1; then
    log "daemon:         running, server $(docker version --format '{{.Server.Version}}') (our pid file: $(cat "$OUR_PIDFILE" 2>/dev/null || echo none))"
  else
    log "daemon:         not answering"
  fi
}

main() {
  local cmd="${1:-start}"
  case "$cmd" in
    start | up)
      need_root
      local t0=$SECONDS
      install_engine
      install_plugins
      start_daemon
      log "done in $((SECONDS - t0))s"
      ;;
    install)
      need_root
      install_engine
      install_plugins
      ;;
    stop | down)
      need_root
      stop_daemon
      ;;
    status) show_status ;;
    -h | --help | help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0" ;;
    *) die "unknown command '$cmd' (use: start | install | stop | status | help)" ;;
  esac
}

main "$@"
