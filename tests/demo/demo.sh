#!/usr/bin/env bash
# demo.sh BUILD_DIR: a small rpn mesh in network namespaces on this machine,
# narrated.  Everything it makes is removed on exit, even on failure.
set -eu
B=$(cd "${1:-build}" && pwd)
W=$(mktemp -d /tmp/rpn-demo.XXXXXX)
chmod 755 "$W"
P=rpndemo
SITES="tokyo osaka sapporo"

bold() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '\033[2m$ %s\033[0m\n' "$*"; "$@"; }
x() { local n=$1; shift; ip netns exec "$P-$n" "$@"; }
rpnctl() { local n=$1; shift; run ip netns exec "$P-$n" "$B/rpnctl" -s "$W/$n.sock" "$@"; }
rpn() { local n=$1; shift; run ip netns exec "$P-$n" "$B/rpn" -s "$W/$n.sock" "$@"; }

cleanup() {
	set +e
	for n in $SITES wan; do ip netns pids "$P-$n" 2>/dev/null | xargs -r kill 2>/dev/null; done
	sleep 0.3
	for n in $SITES wan; do ip netns del "$P-$n" 2>/dev/null; done
	rm -rf "$W"
	echo "demo: removed its namespaces and files"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

bold "Three sites on one 'internet' (198.51.100.0/24), each in its own network namespace"
ip netns add "$P-wan"
ip -n "$P-wan" link add br0 type bridge
ip -n "$P-wan" link set br0 up
i=1
for n in $SITES; do
	ip netns add "$P-$n"
	ip -n "$P-$n" link set lo up
	ip link add eth0 netns "$P-$n" type veth peer name "$n" netns "$P-wan"
	ip -n "$P-$n" addr add "198.51.100.$i/24" dev eth0
	ip -n "$P-$n" link set eth0 up
	ip -n "$P-wan" link set "$n" master br0 up
	echo "  $n: 198.51.100.$i"
	i=$((i + 1))
done

bold "Start rpnd on every site"
for n in $SITES; do
	ip netns exec "$P-$n" "$B/rpnd" -s "$W/$n.sock" -S "$W/$n" >"$W/$n.log" 2>&1 &
	disown
done
for n in $SITES; do
	for _ in $(seq 50); do [ -S "$W/$n.sock" ] && break; sleep 0.1; done
done

bold "tokyo founds the mesh; osaka and sapporo join with single-use tokens"
rpn tokyo init --name tokyo
tok=$(ip netns exec "$P-tokyo" "$B/rpnctl" -s "$W/tokyo.sock" invite)
echo "  token: $tok"
rpn osaka join 198.51.100.1 --token "$tok" --name osaka
tok=$(ip netns exec "$P-osaka" "$B/rpnctl" -s "$W/osaka.sock" invite)
rpn sapporo join 198.51.100.2 --token "$tok" --name sapporo
sleep 2
rpnctl sapporo status

bold "kill -9 osaka's rpnd; the others notice within seconds"
ip netns pids "$P-osaka" | xargs -r kill -9
t0=$(date +%s.%N)
for _ in $(seq 200); do
	s=$(ip netns exec "$P-tokyo" "$B/rpnctl" -s "$W/tokyo.sock" status --json |
	    jq -r '.members[] | select(.name == "osaka") | .state')
	[ "$s" = failed ] && break
	sleep 0.1
done
printf '  tokyo reports osaka %s after %.1f s\n' "$s" "$(echo "$(date +%s.%N) - $t0" | bc)"
rpnctl tokyo status || true

bold "Restart osaka: same identity, no new token, alive everywhere"
ip netns exec "$P-osaka" "$B/rpnd" -s "$W/osaka.sock" -S "$W/osaka" >>"$W/osaka.log" 2>&1 &
disown
sleep 2
rpnctl tokyo status

bold "Done"
