#!/usr/bin/env bash
# Throwaway PostgreSQL and Redis on loopback for the scale-out tests and `hkbot bench load`.
#
#   scripts/services.sh install              apt-get install postgresql redis-server, only when missing (root)
#   scripts/services.sh start   [postgres|redis]   start (both by default); does nothing for one already up
#   scripts/services.sh stop    [postgres|redis]   stop (data is kept until `clean`)
#   scripts/services.sh restart [postgres|redis]   stop then start (the fault tests use this)
#   scripts/services.sh status                  exit 0 when both answer
#   scripts/services.sh env                     print HKBOT_TEST_PG_URL and HKBOT_TEST_REDIS_URL
#   scripts/services.sh clean                   stop and delete the data folder
#
# Settings (environment): HKBOT_SERVICES_DIR (default /tmp/hkbot-services), HKBOT_PG_PORT
# (default 55432), HKBOT_REDIS_PORT (default 56379). Nothing listens beyond 127.0.0.1;
# PostgreSQL trusts local connections, so never point this at real data.
# PostgreSQL refuses to run as root: as root the cluster runs as the `postgres` user.
set -euo pipefail

DIR="${HKBOT_SERVICES_DIR:-/tmp/hkbot-services}"
PG_PORT="${HKBOT_PG_PORT:-55432}"
REDIS_PORT="${HKBOT_REDIS_PORT:-56379}"
PG_USER=hkbot
PG_DATA="$DIR/postgres"
PG_SOCKETS="$DIR/sockets"

pg_bin() {
  # The newest installed PostgreSQL server binaries (Debian keeps them out of PATH).
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
  if [ -n "$dir" ] && [ -x "$dir/pg_ctl" ]; then echo "$dir"; return; fi
  command -v pg_ctl >/dev/null 2>&1 && dirname "$(command -v pg_ctl)" && return
  return 1
}

have_postgres() { pg_bin >/dev/null 2>&1; }
have_redis() { command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1; }

as_pg_owner() {
  # Run a PostgreSQL command as the cluster's owner (postgres when we are root).
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

install() {
  local need=()
  have_postgres || need+=(postgresql)
  have_redis || need+=(redis-server)
  [ ${#need[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then
    echo "services: missing ${need[*]}; install them as root: apt-get install -y ${need[*]}" >&2
    return 1
  fi
  echo "services: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  # Debian's packages start their own system-wide daemons where an init system runs; ours are separate.
}

pg_up() { have_postgres && [ -f "$PG_DATA/PG_VERSION" ] && as_pg_owner "$(pg_bin)/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; }
redis_up() { have_redis && redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; }

start_postgres() {
  if pg_up; then return 0; fi
  have_postgres || { echo "services: PostgreSQL is not installed (scripts/services.sh install)" >&2; return 3; }
  local bin; bin=$(pg_bin)
  mkdir -p "$DIR" "$PG_SOCKETS"
  chmod 755 "$DIR"
  if [ "$(id -u)" = 0 ]; then chown postgres: "$PG_SOCKETS"; fi
  if [ ! -f "$PG_DATA/PG_VERSION" ]; then
    mkdir -p "$PG_DATA"
    if [ "$(id -u)" = 0 ]; then chown postgres: "$PG_DATA"; fi
    as_pg_owner "$bin/initdb" -D "$PG_DATA" -U "$PG_USER" --auth=trust -E UTF8 --no-locale >"$DIR/initdb.log" 2>&1 \
      || { cat "$DIR/initdb.log" >&2; return 1; }
  fi
  touch "$DIR/postgres.log"
  if [ "$(id -u)" = 0 ]; then chown postgres: "$DIR/postgres.log"; fi
  # fsync off: a throwaway instance for tests and benchmarks, speed over durability across power loss.
  as_pg_owner "$bin/pg_ctl" -D "$PG_DATA" -l "$DIR/postgres.log" -w -t 60 \
    -o "-p $PG_PORT -k $PG_SOCKETS -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off -c synchronous_commit=off" \
    start >/dev/null
  echo "services: PostgreSQL on 127.0.0.1:$PG_PORT ($PG_DATA)"
}

stop_postgres() {
  if pg_up; then
    as_pg_owner "$(pg_bin)/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 stop >/dev/null
    echo "services: PostgreSQL stopped"
  fi
}

start_redis() {
  if redis_up; then return 0; fi
  have_redis || { echo "services: Redis is not installed (scripts/services.sh install)" >&2; return 3; }
  mkdir -p "$DIR/redis"
  # No persistence: Redis holds only locks and change notices; conversations live in PostgreSQL.
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes --dir "$DIR/redis" \
    --pidfile "$DIR/redis.pid" --logfile "$DIR/redis.log" --save '' --appendonly no
  for _ in $(seq 1 100); do redis_up && break; sleep 0.1; done
  redis_up || { echo "services: Redis did not start; see $DIR/redis.log" >&2; return 1; }
  echo "services: Redis on 127.0.0.1:$REDIS_PORT"
}

stop_redis() {
  if redis_up; then
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
    for _ in $(seq 1 100); do redis_up || break; sleep 0.1; done
    echo "services: Redis stopped"
  fi
}

print_env() {
  echo "HKBOT_TEST_PG_URL=postgresql://$PG_USER@127.0.0.1:$PG_PORT/postgres"
  echo "HKBOT_TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0"
}

which_services() { case "${1:-all}" in postgres|redis) echo "$1" ;; all) echo "postgres redis" ;; *) echo "services: unknown service '$1' (postgres or redis)" >&2; exit 2 ;; esac; }

command="${1:-}"; shift || true
case "$command" in
  install) install ;;
  start) for s in $(which_services "${1:-all}"); do "start_$s"; done; print_env >"$DIR/env" ;;
  stop) for s in $(which_services "${1:-all}"); do "stop_$s"; done ;;
  restart) for s in $(which_services "${1:-all}"); do "stop_$s"; "start_$s"; done ;;
  status)
    ok=0
    if pg_up; then echo "postgres: up on 127.0.0.1:$PG_PORT"; else echo "postgres: down"; ok=1; fi
    if redis_up; then echo "redis: up on 127.0.0.1:$REDIS_PORT"; else echo "redis: down"; ok=1; fi
    exit $ok ;;
  env) print_env ;;
  clean) stop_redis; stop_postgres; rm -rf "$DIR" ;;
  *) sed -n '2,15p' "$0" >&2; exit 2 ;;
esac
