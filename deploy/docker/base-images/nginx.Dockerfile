# llmp/nginx:1-trixie — a local stand-in for the upstream nginx image, built from Debian
# trixie packages (nginx 1.26). Foreground master process, logs to stdout/stderr, curl for
# healthchecks. Put server blocks in /etc/nginx/conf.d/*.conf and static files in
# /usr/share/nginx/html, as with the official image.
#
# Basic auth (auth_basic_user_file): nginx checks passwords with crypt(3) (libxcrypt on
# trixie) plus its own {PLAIN}/{SHA}/{SSHA} schemes. Measured against this image, every
# one of these accepted the right password and rejected a wrong one:
#   $2y$/$2b$ bcrypt (htpasswd -B)      $apr1$ (htpasswd -m, openssl passwd -apr1)
#   $6$ SHA-512 (openssl passwd -6)     $5$ SHA-256 (openssl passwd -5)
#   $y$ yescrypt (mkpasswd)             $1$ md5crypt (openssl passwd -1)
#   {SHA} (htpasswd -s)                 {PLAIN}, and DES crypt (only 8 chars count)
# Prefer bcrypt (htpasswd -nbB USER PW) or SHA-512 (openssl passwd -6 PW; needs no
# apache2-utils). Both are hashed by the host, so only the nginx side needs crypt(3).
ARG BASE_IMAGE=llmp/debian:trixie
FROM ${BASE_IMAGE}

RUN set -eux; \
    apt-get update; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        nginx curl ca-certificates; \
    rm -rf /var/lib/apt/lists/*; \
    # official-image layout: conf.d/default.conf instead of Debian's sites-enabled/default
    rm -f /etc/nginx/sites-enabled/default; \
    mkdir -p /usr/share/nginx/html; \
    # logs go to the container's stdout/stderr
    ln -sf /dev/stdout /var/log/nginx/access.log; \
    ln -sf /dev/stderr /var/log/nginx/error.log; \
    nginx -v

COPY nginx-default.conf /etc/nginx/conf.d/default.conf
COPY nginx-index.html /usr/share/nginx/html/index.html

EXPOSE 80
# SIGQUIT = graceful shutdown (as in the official image)
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]

ARG BASE_IMAGE
ARG CREATED
ARG SOURCE
LABEL org.opencontainers.image.title="llmp/nginx" \
      org.opencontainers.image.description="nginx from Debian trixie packages, foreground, logs to stdout/stderr, curl" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.version="1-trixie" \
      org.opencontainers.image.base.name="${BASE_IMAGE}"
