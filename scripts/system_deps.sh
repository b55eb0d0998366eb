#!/usr/bin/env bash
# System packages the full test suite uses: Chromium + a CJK font (browser tests of the
# console) and PostgreSQL (the comment queue is tested on SQLite and PostgreSQL).
# Installs what is missing when run as root with apt-get; otherwise says what is missing
# (those tests then skip locally; CI runs as root and always installs them).
set -u
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
fc-list 2>/dev/null | grep -qi "noto.*cjk" || need+=(fonts-noto-cjk)
ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || need+=(postgresql)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "installing system packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null \
    || { echo "apt-get install failed for: ${need[*]}" >&2; exit 1; }
else
  echo "note: missing system packages (${need[*]}); their tests will be skipped. Install them with apt-get as root." >&2
fi
