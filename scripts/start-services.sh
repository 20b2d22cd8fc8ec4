#!/usr/bin/env bash
# Start PostgreSQL, MariaDB and RabbitMQ when they are installed but stopped.
# In CI (CI=true) a service that is missing or will not start is an error.
set -uo pipefail
ci="${CI:-}"
fail() { echo "start-services: $*" >&2; [ "$ci" = "true" ] && exit 1; }

wait_for() {  # wait_for NAME COMMAND...
  local name=$1; shift
  for _ in $(seq 1 60); do "$@" >/dev/null 2>&1 && return 0; sleep 1; done
  fail "$name did not come up"
}

if command -v pg_lsclusters >/dev/null; then
  pg_lsclusters --no-header | while read -r ver cluster _port status _rest; do
    if [ "$status" != "online" ]; then
      echo "==> starting PostgreSQL $ver/$cluster"
      pg_ctlcluster --skip-systemctl-redirect "$ver" "$cluster" start || true
    fi
  done
  wait_for PostgreSQL pg_isready -h 127.0.0.1 -p 5432
else
  fail "PostgreSQL is not installed"
fi

if [ -x /usr/sbin/mariadbd ]; then
  if ! mariadb-admin -h 127.0.0.1 -uroot ping >/dev/null 2>&1; then
    echo "==> starting MariaDB"
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
  fi
  wait_for MariaDB mariadb-admin -h 127.0.0.1 -uroot ping
else
  fail "MariaDB is not installed"
fi

if command -v rabbitmq-server >/dev/null; then
  if ! rabbitmqctl -q status >/dev/null 2>&1; then
    echo "==> starting RabbitMQ"
    rabbitmq-server -detached
  fi
  wait_for RabbitMQ rabbitmqctl -q await_startup
else
  fail "RabbitMQ is not installed"
fi
exit 0
