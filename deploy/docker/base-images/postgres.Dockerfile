# llmp/postgres:17-pgvector — a local stand-in for the upstream postgres:17 / pgvector
# images, built from Debian trixie packages. Same conventions as the official image:
# POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB (and *_FILE), POSTGRES_INITDB_ARGS,
# POSTGRES_HOST_AUTH_METHOD, /docker-entrypoint-initdb.d/, PGDATA=/var/lib/postgresql/data.
ARG BASE_IMAGE=llmp/debian:trixie
FROM ${BASE_IMAGE}

# Fixed uid/gid 999 like the official image, so existing data volumes keep working.
RUN set -eux; \
    groupadd --system --gid 999 postgres; \
    useradd --system --uid 999 --gid postgres --home-dir /var/lib/postgresql --shell /bin/bash postgres; \
    mkdir -p /var/lib/postgresql /etc/postgresql-common; \
    chown -R postgres:postgres /var/lib/postgresql; \
    # no Debian "main" cluster: the entrypoint runs initdb into $PGDATA itself
    echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.conf; \
    apt-get update; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        postgresql-17 postgresql-17-pgvector; \
    rm -rf /var/lib/apt/lists/*; \
    mkdir -p /var/run/postgresql /docker-entrypoint-initdb.d; \
    chown postgres:postgres /var/run/postgresql; \
    chmod 3777 /var/run/postgresql

ENV PG_MAJOR=17 \
    PATH=/usr/lib/postgresql/17/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PGDATA=/var/lib/postgresql/data
RUN mkdir -p "$PGDATA" && chown postgres:postgres "$PGDATA" && chmod 1777 "$PGDATA"
VOLUME /var/lib/postgresql/data

COPY postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
RUN chmod 0755 /usr/local/bin/docker-entrypoint.sh
ENTRYPOINT ["docker-entrypoint.sh"]

# SIGINT = postgres "fast shutdown" (as in the official image)
STOPSIGNAL SIGINT
EXPOSE 5432
CMD ["postgres"]

ARG BASE_IMAGE
ARG CREATED
ARG SOURCE
LABEL org.opencontainers.image.title="llmp/postgres" \
      org.opencontainers.image.description="PostgreSQL 17 + pgvector from Debian trixie packages, official-image-like entrypoint" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.version="17-pgvector" \
      org.opencontainers.image.base.name="${BASE_IMAGE}"
