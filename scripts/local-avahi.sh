#!/usr/bin/env bash
# Starts the system D-Bus and avahi-daemon where they are not running, and stops exactly what
# it started (DEVELOPERS.md). Used by `make test` around the test run.
#   scripts/local-avahi.sh start    # records what it started in .build/started-daemons
#   scripts/local-avahi.sh stop
set -uo pipefail
cd "$(dirname "$0")/.."
record=.build/started-daemons
mkdir -p .build

case "${1:-}" in
start)
  : > "$record"
  if [[ $(id -u) -ne 0 ]]; then
    echo "not root: leaving D-Bus and avahi-daemon as they are (mDNS tests use whatever runs)"
    exit 0
  fi
  mkdir -p /run/dbus
  if ! dbus-send --system --dest=org.freedesktop.DBus --print-reply / org.freedesktop.DBus.GetId >/dev/null 2>&1; then
    rm -f /run/dbus/pid /run/dbus/system_bus_socket
    dbus-daemon --system --fork && echo dbus >> "$record" && echo "started the system D-Bus"
  fi
  if ! avahi-daemon --check 2>/dev/null; then
    avahi-daemon -D && echo avahi >> "$record" && echo "started avahi-daemon"
  fi
  ;;
stop)
  [[ -f "$record" ]] || exit 0
  if grep -qx avahi "$record"; then avahi-daemon -k 2>/dev/null && echo "stopped avahi-daemon"; fi
  if grep -qx dbus "$record" && [[ -f /run/dbus/pid ]]; then
    kill "$(cat /run/dbus/pid)" 2>/dev/null && echo "stopped the system D-Bus"
    rm -f /run/dbus/pid
  fi
  rm -f "$record"
  ;;
*)
  echo "usage: $0 start|stop" >&2
  exit 2
  ;;
esac
