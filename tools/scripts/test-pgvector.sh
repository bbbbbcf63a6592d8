#!/usr/bin/env bash
# Runs the ingestion suites (vector store contract, search, repositories) against a
# real Postgres 17 with pgvector: the same database image the staging stack uses,
# in a throwaway container published on 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tools/scripts/lib/debian-mirror.sh

IMAGE="${LLMP_POSTGRES_IMAGE:-llmp/postgres:17-pgvector}"
NAME="llmp-pgvector-test-$$"
PASSWORD="test-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"

cleanup() { docker rm -f "$NAME" >/dev/null 2>&1 || true; }
trap cleanup EXIT

docker image inspect "$IMAGE" >/dev/null 2>&1 || die "$IMAGE is missing; build it with tools/scripts/build-base-images.sh postgres"
log "starting $IMAGE as $NAME"
docker run -d --name "$NAME" --label dev.llmp.purpose=test \
  -e POSTGRES_USER=llmp -e POSTGRES_PASSWORD="$PASSWORD" -e POSTGRES_DB=llmp \
  -p 127.0.0.1::5432 "$IMAGE" >/dev/null
PORT=$(docker port "$NAME" 5432/tcp | head -1 | sed 's/.*://')
# Over TCP: while the image initialises the database, a temporary server answers on the
# Unix socket only and then stops, so a socket check can pass before the real server is up.
for _ in $(seq 1 60); do
  docker exec "$NAME" pg_isready -h 127.0.0.1 -U llmp -d llmp -q && break
  sleep 1
done
docker exec "$NAME" pg_isready -h 127.0.0.1 -U llmp -d llmp -q || die "Postgres in $NAME did not become ready within 60 s"

log "running the ingestion suites on Postgres 17 + pgvector (127.0.0.1:$PORT)"
SUITES=("$@")
[ ${#SUITES[@]} -gt 0 ] || SUITES=(libs/ingestion libs/db)
DATABASE_URL="postgres://llmp:${PASSWORD}@127.0.0.1:${PORT}/llmp" \
  NODE_OPTIONS=--experimental-vm-modules npx jest "${SUITES[@]}"
