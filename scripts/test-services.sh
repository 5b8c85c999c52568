#!/usr/bin/env bash
# Makes sure the servers the tests talk to are up: PostgreSQL on 127.0.0.1:5432 (trust auth)
# and NATS with JetStream on 127.0.0.1:4222. Starts them when installed, installs them from
# Debian's packages when missing and running as root; otherwise says what to start.
set -euo pipefail

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() {
  for _ in $(seq 1 60); do port_open "$1" && return 0; sleep 0.5; done
  echo "test-services: nothing answers on 127.0.0.1:$1 after 30 s" >&2
  return 1
}
apt_install() {
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "test-services: $* missing; install it, or start PostgreSQL on 127.0.0.1:5432 and nats-server -js on 127.0.0.1:4222" >&2
    exit 1
  fi
  [ -n "${APT_UPDATED:-}" ] || { apt-get update -qq; APT_UPDATED=1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_postgres() {
  port_open 5432 && return 0
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    echo "test-services: installing PostgreSQL"
    apt_install postgresql
  fi
  local version hba
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  hba=/etc/postgresql/$version/main/pg_hba.conf
  # The tests connect as postgres over TCP without a password, as on the development machines.
  if ! grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
    sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
  fi
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || pg_ctlcluster --skip-systemctl-redirect "$version" main reload
  wait_port 5432
}

ensure_nats() {
  # The bus-auth e2e suite runs a nats-server of its own with deploy/nats/nats.conf, so the
  # binary must be there even when a server already answers on 4222.
  command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] ||
    { echo "test-services: installing nats-server"; apt_install nats-server; }
  port_open 4222 && return 0
  mkdir -p /var/lib/nats-server
  start-stop-daemon --start --oknodo --background --exec "$(command -v nats-server)" -- \
    -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log
  wait_port 4222
}

ensure_postgres
ensure_nats
