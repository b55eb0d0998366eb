#!/usr/bin/env bash
# Start a throwaway PostgreSQL cluster for the tests (Debian's postgresql package).
#
#   eval "$(bash scripts/pg_test_server.sh start)"   # exports SCREENING_TEST_PG_URL
#   bash scripts/pg_test_server.sh stop
#
# Installs postgresql with apt-get when it is missing (CI runs as root).  The cluster
# lives in $PG_TEST_DIR (default /tmp/screening-pg), listens on 127.0.0.1:$PG_TEST_PORT
# (default 54329) only, runs as the `postgres` user and trusts local connections: it is
# for tests, never for data.  `start` prints one line, `export SCREENING_TEST_PG_URL=...`,
# on stdout; everything else goes to stderr.
set -euo pipefail

CMD="${1:-start}"
DIR="${PG_TEST_DIR:-/tmp/screening-pg}"
PORT="${PG_TEST_PORT:-54329}"
DB="screening_test"
URL="postgresql+psycopg://postgres@127.0.0.1:${PORT}/${DB}"

log() { echo "pg_test_server: $*" >&2; }

pg_bin() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
  if [ -z "$d" ] || [ ! -x "$d/initdb" ]; then
    if [ "$(id -u)" -ne 0 ]; then
      log "PostgreSQL is not installed and this is not root: apt-get install -y postgresql"
      exit 1
    fi
    log "installing postgresql (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
    d=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
  fi
  echo "$d"
}

as_pg() {
  if [ "$(id -u)" -eq 0 ]; then
    # runuser keeps it non-interactive; the cluster must not run as root
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

case "$CMD" in
  start)
    BIN=$(pg_bin)
    if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
      useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
    fi
    if as_pg "$BIN/pg_ctl" -D "$DIR" status >/dev/null 2>&1; then
      log "already running in $DIR"
    else
      rm -rf "$DIR"
      mkdir -p "$DIR"
      [ "$(id -u)" -eq 0 ] && chown postgres: "$DIR"
      as_pg "$BIN/initdb" -D "$DIR" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null 2>&1 \
        || as_pg "$BIN/initdb" -D "$DIR" -U postgres -A trust -E UTF8 --locale=C >/dev/null
      as_pg "$BIN/pg_ctl" -D "$DIR" -w -t 60 -l "$DIR/server.log" \
        -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DIR -c max_connections=60" start >&2
    fi
    for _ in $(seq 1 30); do
      as_pg "$BIN/pg_isready" -h 127.0.0.1 -p "$PORT" -q && break
      sleep 0.5
    done
    if ! as_pg "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$DB'" | grep -q 1; then
      as_pg "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres "$DB"
    fi
    log "PostgreSQL ready on 127.0.0.1:$PORT (data $DIR)"
    echo "export SCREENING_TEST_PG_URL=$URL"
    ;;
  stop)
    BIN=$(pg_bin)
    as_pg "$BIN/pg_ctl" -D "$DIR" -m fast stop >&2 || true
    rm -rf "$DIR"
    ;;
  url)
    echo "$URL"
    ;;
  *)
    echo "usage: $0 start|stop|url" >&2
    exit 2
    ;;
esac
