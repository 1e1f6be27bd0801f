#!/usr/bin/env bash
# PostgreSQL server binaries for crates/wablock-window's tests, which start their own server
# (initdb + pg_ctl on a free loopback port in a temp dir; as root they run it as `nobody` through
# runuser). Needs Debian's `postgresql` package only when initdb/pg_ctl are found neither on
# PATH nor under /usr/lib/postgresql/*/bin. Idempotent. No cluster is created or started here.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
have_pg() {
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then return 0; fi
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && return 0
  done
  return 1
}
if ! have_pg; then
  # The tests bring their own server: keep the package from creating a default cluster when
  # .ci/setup installs it (only root can, and only root gets here in collect mode with rights).
  if [ "$(id -u)" = 0 ] && [ ! -e /etc/postgresql-common/createcluster.conf ]; then
    mkdir -p /etc/postgresql-common
    echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.conf
  fi
  apt_need postgresql
fi
collect_only
if ! have_pg; then
  echo "50-postgres: initdb/pg_ctl still missing after installing postgresql" >&2
  exit 1
fi
if [ "$(id -u)" = 0 ] && ! command -v runuser >/dev/null 2>&1; then
  echo "50-postgres: runuser (util-linux) is needed to run PostgreSQL as an unprivileged user" >&2
  exit 1
fi
for dir in /usr/lib/postgresql/*/bin; do [ -x "$dir/initdb" ] && echo "50-postgres: $dir"; done
command -v initdb >/dev/null 2>&1 && initdb --version
exit 0
