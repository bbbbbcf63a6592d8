#!/usr/bin/env bash
# Entrypoint of llmp/postgres:17-pgvector: a small subset of the official postgres image's
# docker-entrypoint.sh, enough for llmp.
#
#   POSTGRES_PASSWORD (required unless POSTGRES_HOST_AUTH_METHOD=trust)
#   POSTGRES_USER  (default postgres)      POSTGRES_DB (default $POSTGRES_USER)
#   POSTGRES_INITDB_ARGS (extra initdb args)  POSTGRES_HOST_AUTH_METHOD (default scram-sha-256)
#   each of the above may instead be read from a file named by VAR_FILE
#   /docker-entrypoint-initdb.d/*.sh|*.sql|*.sql.gz run once, on first start
#
# On first start (no $PGDATA/PG_VERSION) it runs initdb, allows remote logins with
# $POSTGRES_HOST_AUTH_METHOD ("host all all all ..."), listens on '*', creates $POSTGRES_DB
# and runs the init scripts against a socket-only temporary server. Then it execs postgres
# as the postgres user (root is dropped with setpriv).
set -Eeuo pipefail

log() { printf '%s [entrypoint] %s\n' "$(date -u '+%Y-%m-%d %H:%M:%S UTC')" "$*" >&2; }

# file_env VAR [DEFAULT]: VAR from $VAR, or the contents of the file named by $VAR_FILE.
file_env() {
  local var="$1" fileVar="${1}_FILE" def="${2:-}"
  if [ -n "${!var:-}" ] && [ -n "${!fileVar:-}" ]; then
    log "error: both $var and $fileVar are set (but are exclusive)"
    exit 1
  fi
  local val="$def"
  if [ -n "${!var:-}" ]; then
    val="${!var}"
  elif [ -n "${!fileVar:-}" ]; then
    val="$(<"${!fileVar}")"
  fi
  export "$var"="$val"
  unset "$fileVar"
}

setup_env() {
  file_env POSTGRES_PASSWORD
  file_env POSTGRES_USER postgres
  file_env POSTGRES_DB "$POSTGRES_USER"
  file_env POSTGRES_INITDB_ARGS
  : "${POSTGRES_HOST_AUTH_METHOD:=scram-sha-256}"
  export POSTGRES_HOST_AUTH_METHOD
  DATABASE_ALREADY_EXISTS=
  if [ -s "$PGDATA/PG_VERSION" ]; then DATABASE_ALREADY_EXISTS=true; fi
}

create_dirs() {
  local user
  user="$(id -u)"
  mkdir -p "$PGDATA"
  # chmod fails when the directory belongs to someone else (e.g. a bind mount); that is fine.
  chmod 00700 "$PGDATA" 2>/dev/null || :
  mkdir -p /var/run/postgresql
  chmod 03775 /var/run/postgresql 2>/dev/null || :
  if [ "$user" = 0 ]; then
    find "$PGDATA" \! -user postgres -exec chown postgres: '{}' +
    find /var/run/postgresql \! -user postgres -exec chown postgres: '{}' +
  fi
}

verify_minimum_env() {
  if [ -z "$POSTGRES_PASSWORD" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
    cat >&2 <<'EOM'
Error: Database is uninitialized and superuser password is not specified.
       You must specify POSTGRES_PASSWORD to a non-empty value for the superuser,
       for example "-e POSTGRES_PASSWORD=password" on "docker run".
       (POSTGRES_HOST_AUTH_METHOD=trust allows all connections without a password:
       not recommended.)
EOM
    exit 1
  fi
}

init_database_dir() {
  log "initdb into $PGDATA (user $POSTGRES_USER)"
  # The process substitution must sit in the initdb command itself (its fd closes after).
  # shellcheck disable=SC2086  # POSTGRES_INITDB_ARGS is a word list on purpose
  if [ -n "$POSTGRES_PASSWORD" ]; then
    initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") $POSTGRES_INITDB_ARGS >&2
  else
    initdb --username="$POSTGRES_USER" $POSTGRES_INITDB_ARGS >&2
  fi
  # remote clients: password auth (scram-sha-256 by default); local socket stays trust,
  # exactly like the official image
  printf '\nhost all all all %s\n' "$POSTGRES_HOST_AUTH_METHOD" >>"$PGDATA/pg_hba.conf"
  printf "\nlisten_addresses = '*'\n" >>"$PGDATA/postgresql.conf"
}

psql_run() {
  PGPASSWORD='' psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname "${1:-postgres}" "${@:2}"
}

temp_server_start() {
  PGUSER="$POSTGRES_USER" pg_ctl -D "$PGDATA" -w -o "-c listen_addresses='' -p 5432" start >&2
}

temp_server_stop() {
  PGUSER="$POSTGRES_USER" pg_ctl -D "$PGDATA" -m fast -w stop >&2
}

setup_db() {
  local exists
  exists="$(psql_run postgres -tA --set db="$POSTGRES_DB" <<<"SELECT 1 FROM pg_database WHERE datname = :'db';")"
  if [ -z "$exists" ]; then
    log "creating database $POSTGRES_DB"
    psql_run postgres --set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";' >/dev/null
  fi
}

process_init_files() {
  local f
  for f in /docker-entrypoint-initdb.d/*; do
    [ -e "$f" ] || continue
    case "$f" in
      *.sh)
        # shellcheck disable=SC1090
        if [ -x "$f" ]; then log "running $f"; "$f"; else log "sourcing $f"; . "$f"; fi
        ;;
      *.sql) log "running $f"; psql_run "$POSTGRES_DB" -f "$f" >/dev/null ;;
      *.sql.gz) log "running $f"; gunzip -c "$f" | psql_run "$POSTGRES_DB" >/dev/null ;;
      *) log "ignoring $f" ;;
    esac
  done
}

main() {
  # "docker run IMAGE -c foo=bar" -> postgres -c foo=bar
  if [ "${1:0:1}" = '-' ]; then set -- postgres "$@"; fi

  if [ "$1" = postgres ]; then
    setup_env
    create_dirs
    if [ "$(id -u)" = 0 ]; then
      # drop root: re-run this script as postgres
      exec setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
    fi
    if [ -z "$DATABASE_ALREADY_EXISTS" ]; then
      verify_minimum_env
      init_database_dir
      temp_server_start
      setup_db
      process_init_files
      temp_server_stop
      log "PostgreSQL init process complete; ready for start up."
    else
      log "PostgreSQL Database directory appears to contain a database; skipping initialization"
    fi
  fi
  exec "$@"
}

main "$@"
