#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests, from Debian's package binaries (no Docker, no
# systemd): initdb and pg_ctl as the `postgres` user the package creates, in a temporary folder,
# listening on loopback only, fsync off. Nothing of it outlives `stop`.
# Usage: scripts/postgres.sh start   -> prints the cluster's folder (give it to stop)
#        scripts/postgres.sh stop DIR
# The server's URL is then postgres://gitpat@127.0.0.1:$GITPAT_PG_PORT/postgres (port 55432).
set -euo pipefail
PORT="${GITPAT_PG_PORT:-55432}"
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
[ -n "$BIN" ] || { echo "PostgreSQL is not installed (scripts/setup.sh --with-postgres)" >&2; exit 1; }

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres -- "$@"; fi
}

case "${1:-}" in
  start)
    if "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT"; then
      echo "port $PORT already has a PostgreSQL; set GITPAT_PG_PORT to another port" >&2
      exit 1
    fi
    DIR=$(mktemp -d /tmp/gitpat-pg.XXXXXX)
    chmod 755 "$DIR"
    if [ "$(id -u)" = 0 ]; then chown postgres "$DIR"; else sudo chown postgres "$DIR"; fi
    as_postgres "$BIN/initdb" -D "$DIR/data" -A trust -U gitpat --no-locale -E UTF8 >"$DIR/initdb.log" 2>&1 \
      || { cat "$DIR/initdb.log" >&2; exit 1; }
    # Many tests make their own database at once: room for their pools.
    as_postgres "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -o \
      "-c listen_addresses=127.0.0.1 -p $PORT -k $DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
      start >/dev/null || { cat "$DIR/server.log" >&2; exit 1; }
    echo "$DIR"
    ;;
  stop)
    DIR="${2:?usage: scripts/postgres.sh stop DIR}"
    as_postgres "$BIN/pg_ctl" -D "$DIR/data" -m fast stop >/dev/null 2>&1 || true
    if [ "$(id -u)" = 0 ]; then rm -rf "$DIR"; else sudo rm -rf "$DIR"; fi
    ;;
  *)
    echo "usage: scripts/postgres.sh start | stop DIR" >&2
    exit 2
    ;;
esac
