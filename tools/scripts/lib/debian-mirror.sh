# shellcheck shell=bash
# Shared helpers for tools/scripts/*.sh (sourced, not executed).
#
#   log MSG...        timestamped progress line on stderr
#   die MSG...        log an error and exit 1
#   need_root         exit with a hint unless running as root
#   debian_mirror     print the host's Debian archive URL (e.g. http://deb.debian.org/debian)
#
# debian_mirror honours $DEBIAN_MIRROR; otherwise it reads the host's apt
# sources (/etc/apt/sources.list, /etc/apt/sources.list.d/*.list and the
# deb822 *.sources files) and returns the first "deb" URI that serves a plain
# release suite (bookworm, trixie, stable, ...), i.e. not *-security or
# *-updates, and whose path ends in /debian. Third-party repositories are
# ignored because of that path rule.

LOG_TAG="${LOG_TAG:-$(basename "${0:-llmp}" .sh)}"

log() {
  printf '[%s] [%s] %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$LOG_TAG" "$*" >&2
}

die() {
  log "ERROR: $*"
  exit 1
}

need_root() {
  if [ "$(id -u)" -ne 0 ]; then
    die "must run as root (try: sudo $0)"
  fi
}

# Print "URI SUITE" pairs for every deb entry in the host's apt sources.
_apt_deb_entries() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -r "$f" ] || continue
    # one-line format: deb [opts] URI SUITE COMPONENTS...
    sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" | awk '$1 == "deb" && NF >= 3 { print $2, $3 }'
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -r "$f" ] || continue
    # deb822 stanzas separated by blank lines; fields may list several values.
    awk '
      function flush() {
        if (types ~ /(^| )deb( |$)/ && enabled !~ /^no$/) {
          n = split(uris, u, " "); m = split(suites, s, " ")
          for (i = 1; i <= n; i++) for (j = 1; j <= m; j++) print u[i], s[j]
        }
        types = ""; uris = ""; suites = ""; enabled = ""
      }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { flush(); next }
      {
        key = tolower($1); sub(/:$/, "", key)
        val = $0; sub(/^[^:]*:[ \t]*/, "", val)
        if (key == "types") types = val
        else if (key == "uris") uris = val
        else if (key == "suites") suites = val
        else if (key == "enabled") enabled = tolower(val)
      }
      END { flush() }
    ' "$f"
  done
}

debian_mirror() {
  if [ -n "${DEBIAN_MIRROR:-}" ]; then
    printf '%s\n' "${DEBIAN_MIRROR%/}"
    return 0
  fi
  local uri suite
  while read -r uri suite; do
    case "$suite" in *-security | *-updates | *-backports | */*) continue ;; esac
    case "${uri%/}" in
      http://*/debian | https://*/debian)
        printf '%s\n' "${uri%/}"
        return 0
        ;;
    esac
  done < <(_apt_deb_entries)
  log "ERROR: no Debian archive mirror found in /etc/apt/sources.list{,.d/*.list,.d/*.sources}"
  log "       set DEBIAN_MIRROR=<url ending in /debian> to override"
  return 1
}
