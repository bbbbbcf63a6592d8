# llmp/node:20-trixie — a local stand-in for the upstream node:20 image, built from
# Debian trixie packages (nodejs 20.19 + npm). Build with tools/scripts/build-base-images.sh.
ARG BASE_IMAGE=llmp/debian:trixie
FROM ${BASE_IMAGE}

RUN set -eux; \
    apt-get update; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        nodejs npm ca-certificates tini; \
    rm -rf /var/lib/apt/lists/*; \
    groupadd --gid 1000 node; \
    useradd --uid 1000 --gid node --shell /bin/bash --create-home node; \
    node --version; npm --version

# tini as PID 1 reaps zombies and forwards signals to node.
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node"]

ARG BASE_IMAGE
ARG CREATED
ARG SOURCE
LABEL org.opencontainers.image.title="llmp/node" \
      org.opencontainers.image.description="Node.js 20 + npm from Debian trixie packages, tini, user node (1000)" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.version="20-trixie" \
      org.opencontainers.image.base.name="${BASE_IMAGE}"
