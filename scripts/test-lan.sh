#!/usr/bin/env bash
# The LAN test (the Transport issue): three network namespaces on one bridge, each with its own
# D-Bus and avahi-daemon and one `elohim node run` without any --peer. The nodes must find each
# other by mDNS, link, and pass a notice from the first to the third. Only identities are given
# (--trust), no address. Then a fourth node, which trusts and is trusted by no one, pairs with
# the first by code alone: `elohim join OMNI-…` finds the inviter by the tag in its mDNS record.
# Skipped, with the reason, where namespaces are not allowed.
set -uo pipefail
cd "$(dirname "$0")/.."
ELOHIM=${ELOHIM:-.build/debug/elohim}
PREFIX=elohim-lan-$$
WORK=$(mktemp -d /tmp/elohim-lan.XXXXXX)

skip() { echo "LAN test skipped: $1"; exit 0; }
[[ $(id -u) -eq 0 ]] || skip "it needs root to create network namespaces"
command -v ip >/dev/null || skip "iproute2 (ip) is not installed"
command -v avahi-daemon >/dev/null || skip "avahi-daemon is not installed"
ip netns add "$PREFIX-br" 2>"$WORK/err" || skip "network namespaces are not allowed here ($(cat "$WORK/err"))"

cleanup() {
  for i in 1 2 3 4; do
    for pid in $(ip netns pids "$PREFIX-n$i" 2>/dev/null); do kill "$pid" 2>/dev/null; done
  done
  sleep 1
  for i in 1 2 3 4; do
    for pid in $(ip netns pids "$PREFIX-n$i" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
    ip netns del "$PREFIX-n$i" 2>/dev/null
  done
  ip netns del "$PREFIX-br" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

ip -n "$PREFIX-br" link add br0 type bridge
ip -n "$PREFIX-br" link set br0 up
for i in 1 2 3 4; do
  ns="$PREFIX-n$i"
  ip netns add "$ns"
  ip link add "v$i" netns "$ns" type veth peer name "b$i" netns "$PREFIX-br"
  ip -n "$PREFIX-br" link set "b$i" master br0 up
  ip -n "$ns" addr add "10.77.0.$i/24" dev "v$i"
  ip -n "$ns" link set "v$i" up
  ip -n "$ns" link set lo up
  ids[$i]=$("$ELOHIM" id --create --data-dir "$WORK/n$i")
done

for i in 1 2 3 4; do
  ns="$PREFIX-n$i"
  trust=""
  # Nodes 1-3 trust each other; node 4 is a newcomer nobody knows.
  if [[ $i -ne 4 ]]; then for j in 1 2 3; do [[ $j -ne $i ]] && trust="$trust --trust ${ids[$j]}"; done; fi
  cat > "$WORK/avahi-$i.conf" <<CONF
[server]
host-name=elohim-lan-$i
use-ipv4=yes
use-ipv6=no
allow-interfaces=v$i
enable-dbus=yes
[publish]
publish-workstation=no
CONF
  # One mount namespace per node: its own /run/dbus and /run/avahi-daemon (tmpfs), so each
  # namespace has its own system bus and mDNS daemon.
  ip netns exec "$ns" unshare --mount --propagation private sh -c "
    mount -t tmpfs tmpfs /run/dbus && mount -t tmpfs tmpfs /run/avahi-daemon &&
    dbus-daemon --system --fork &&
    avahi-daemon --no-chroot -f '$WORK/avahi-$i.conf' -D &&
    sleep 1 &&
    exec '$ELOHIM' node run --data-dir '$WORK/n$i' --listen 0.0.0.0:7946 --http 127.0.0.1:8000 --dead-after 5 $trust
  " > "$WORK/n$i.out" 2> "$WORK/n$i.err" &
done

# The API needs a token: each node's operator token is in its data folder.
api() { local n=$1; shift; ip netns exec "$PREFIX-n$n" curl -s -H "Authorization: Bearer $(cat "$WORK/n$n/api-token" 2>/dev/null)" "$@"; }
linked() { api "$1" --max-time 2 http://127.0.0.1:8000/api/v1/p2p/peers | grep -o '"linked":true' | wc -l; }
deadline=$((SECONDS + 90))
until [[ $(linked 1) -ge 1 && $(linked 2) -ge 1 && $(linked 3) -ge 1 && $(( $(linked 1) + $(linked 2) + $(linked 3) )) -ge 6 ]]; do
  if (( SECONDS > deadline )); then
    echo "LAN test FAILED: the nodes did not all find each other by mDNS within 90 s"
    for i in 1 2 3; do echo "--- node $i"; tail -20 "$WORK/n$i.err"; echo "peers: $(api $i --max-time 2 http://127.0.0.1:8000/api/v1/p2p/peers)"; done
    exit 1
  fi
  sleep 1
done
echo "LAN: every node linked with the other two by mDNS, no --peer given"

api 1 -X POST -H 'content-type: application/json' -d '{"text":"over the LAN"}' \
  http://127.0.0.1:8000/api/v1/p2p/notices >/dev/null
deadline=$((SECONDS + 15))
until api 3 http://127.0.0.1:8000/api/v1/p2p/notices | grep -q "over the LAN"; do
  if (( SECONDS > deadline )); then echo "LAN test FAILED: node 1's notice did not reach node 3"; exit 1; fi
  sleep 0.5
done
echo "LAN test passed: a notice from node 1 reached node 3"

# Pairing by code over mDNS: node 4 has never met node 1; no address is given.
code=$(ip netns exec "$PREFIX-n1" "$ELOHIM" invite --no-wait --data-dir "$WORK/n1" 2>"$WORK/invite.err" | head -1)
[[ $code == OMNI-* ]] || { echo "LAN test FAILED: elohim invite printed no code: $(cat "$WORK/invite.err")"; exit 1; }
if ! ip netns exec "$PREFIX-n4" "$ELOHIM" join "$code" --data-dir "$WORK/n4" > "$WORK/join.out" 2>&1; then
  echo "LAN test FAILED: node 4 could not join by code over mDNS: $(cat "$WORK/join.out")"
  tail -20 "$WORK/n1.err" "$WORK/n4.err"
  exit 1
fi
grep -q "Paired with ${ids[1]}" "$WORK/join.out" || { echo "LAN test FAILED: join did not name node 1: $(cat "$WORK/join.out")"; exit 1; }
deadline=$((SECONDS + 15))
until api 1 http://127.0.0.1:8000/api/v1/p2p/peers | grep -q "\"nodeId\":\"${ids[4]}\"[^}]*\"linked\":true"; do
  if (( SECONDS > deadline )); then echo "LAN test FAILED: node 1 is not linked with node 4 after pairing"; exit 1; fi
  sleep 0.5
done
echo "LAN test passed: node 4 paired with node 1 by code alone ($code), found by mDNS, and linked"
