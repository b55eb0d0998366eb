#!/usr/bin/env bash
# The test run behind `make test`: a throw-away PostgreSQL on loopback (when it can be had:
# root, or postgresql installed) so the queue is tested on PostgreSQL as well as SQLite,
# then the whole pytest suite.  Exit code: pytest's.
set -u
cd "$(dirname "$0")/.."
PY="${PY:-.venv/bin/python}"
started=0
if [ -z "${SCREENING_TEST_PG_URL:-}" ]; then
  if env_line=$(bash scripts/pg_test_server.sh start); then
    eval "$env_line"
    started=1
  else
    echo "note: PostgreSQL unavailable; its tests will be skipped" >&2
  fi
fi
"$PY" -m pytest -q "$@"
rc=$?
[ "$started" = 1 ] && bash scripts/pg_test_server.sh stop >/dev/null 2>&1
exit $rc
