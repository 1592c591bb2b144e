#!/usr/bin/env bash
# dataplane.sh: rpn's data plane measured against its peers, in one run, on
# this machine, in network namespaces made for the purpose:
#   1. throughput and latency, client -> site router A -> site router B ->
#      server: plain routing, hand-written nft NAT, rpn, wireguard-go, nebula,
#      haproxy (interleaved RUNS times; medians; ratios to plain routing);
#   2. nftables programming through rpn's own code: cold sync, one update;
#   3. "service add" to forwarding on every one of 10 nodes (real connects);
#   4. rpnd's memory with 100k services, and its restart.
#
#   SECS=5 RUNS=3 MODES="routed nat rpn wggo nebula haproxy" SECTIONS="1 2 3 4"
#   KEEP=1 keeps the logs of every rpnd
# Addresses: RFC 5737 and 100.64.0.0/10 only, inside the namespaces.
set -u
B=$(cd "${RPN_BUILD:-build}" && pwd)
SECS=${SECS:-5}
RUNS=${RUNS:-3}
MODES=${MODES:-routed nat rpn wggo nebula haproxy}
SECTIONS=${SECTIONS:-1 2 3 4}
P=rpnbd
W=$(mktemp -d /tmp/rpn-dpbench.XXXXXX)
export RPN_OPERATOR_KEY="$W/operator.key"	# not in root's home
chmod 755 "$W"
NSS=()
PIDS=()

cleanup() {
	local p n
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for n in "${NSS[@]}"; do ip netns pids "$n" 2>/dev/null | xargs -r kill -9 2>/dev/null; done
	sleep 0.3
	for n in "${NSS[@]}"; do ip netns del "$n" 2>/dev/null; done
	if [ -n "${KEEP:-}" ]; then echo "logs kept in $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM
[ "$(id -u)" = 0 ] || { echo "dataplane.sh needs root"; exit 1; }

# Every tool the chosen sections and modes use, before anything runs: a
# missing one would otherwise show up as a 0 in the table.
need_tools=(jq bc nft)
for s in $SECTIONS; do
	case $s in
	1)	need_tools+=(iperf3 sockperf)
		for m in $MODES; do
			case $m in
			rpn)	need_tools+=("$B/rpnd" "$B/rpn" "$B/rpnctl");;
			wggo)	need_tools+=(wireguard-go wg);;
			nebula)	need_tools+=(nebula nebula-cert);;
			haproxy) need_tools+=(haproxy);;
			esac
		done;;
	2)	need_tools+=("$B/bench-dp");;
	3)	need_tools+=(socat "$B/rpnd" "$B/bench-watch");;
	4)	need_tools+=("$B/rpnd" "$B/rpn-tool");;
	esac
done
missing=()
for t in "${need_tools[@]}"; do command -v "$t" >/dev/null || missing+=("$t"); done
if [ ${#missing[@]} -gt 0 ]; then
	echo "dataplane.sh: missing: ${missing[*]}" >&2
	echo "  install them with deploy/deps.sh bench, and build with" \
	    "make all $B/bench-watch $B/bench-dp (make bench does both)" >&2
	exit 1
fi

# need WHAT VALUE: a measured number; empty, zero or not a number means a
# tool failed, and is refused rather than printed as a measurement.
need() {
	if ! [[ $2 =~ ^[0-9]+(\.[0-9]+)?$ ]] || [ "$(echo "$2 > 0" | bc)" != 1 ]; then
		echo "dataplane.sh: no measurement of $1 (got \"$2\"): a tool failed" >&2
		exit 1
	fi
}

x() { local n=$1; shift; ip netns exec "$P-$n" "$@"; }
bg() { local n=$1; shift; ip netns exec "$P-$n" "$@" >>"$W/bg.log" 2>&1 & PIDS+=($!); disown; }
mkns() { ip netns add "$P-$1"; NSS+=("$P-$1"); x "$1" ip link set lo up; }
vlink() {	# vlink NS_A IF_A ADDR_A NS_B IF_B ADDR_B
	ip link add "$2" netns "$P-$1" type veth peer name "$5" netns "$P-$4"
	x "$1" ip addr add "$3" dev "$2"; x "$1" ip link set "$2" up
	x "$4" ip addr add "$6" dev "$5"; x "$4" ip link set "$5" up
}
med() { sort -g | awk '{a[NR]=$1} END {if (!NR) {print "-"; exit} print (NR % 2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
teardown() {
	local p n
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	PIDS=()
	for n in "${NSS[@]}"; do ip netns pids "$n" 2>/dev/null | xargs -r kill -9 2>/dev/null; done
	sleep 0.3
	for n in "${NSS[@]}"; do ip netns del "$n" 2>/dev/null; done
	NSS=()
}

# ---------------------------------------------------------------- section 1
#   cA 192.0.2.2 -- rA [l0 192.0.2.1 | w0 198.51.100.1] -- rB [w0 198.51.100.2 | l0 203.0.113.1] -- sB 203.0.113.2
topo1() {
	for n in cA rA rB sB; do mkns "$n"; done
	vlink cA a0 192.0.2.2/24 rA l0 192.0.2.1/24
	vlink rA w0 198.51.100.1/24 rB w0 198.51.100.2/24
	vlink rB l0 203.0.113.1/24 sB b0 203.0.113.2/24
	x cA ip route add default via 192.0.2.1
	x sB ip route add default via 203.0.113.1
	for r in rA rB; do x $r sysctl -qw net.ipv4.ip_forward=1; done
	bg sB iperf3 -s -p 5201
	bg sB sockperf server --tcp -i 203.0.113.2 -p 11111
	sleep 0.5
}

mode_routed() {
	x rA ip route add 203.0.113.0/24 via 198.51.100.2
	x rB ip route add 192.0.2.0/24 via 198.51.100.1
	DST=203.0.113.2 IP=5201 SP=11111
}

mode_nat() {	# what rpn programs, written by hand: the ceiling for NAT
	x rA nft -f - <<'NFT'
table ip hand {
	chain pre { type nat hook prerouting priority dstnat; iifname "l0" tcp dport { 9000, 9001 } dnat to 198.51.100.2; }
	chain post { type nat hook postrouting priority srcnat; oifname "w0" masquerade; }
}
NFT
	x rB nft -f - <<'NFT'
table ip hand {
	chain pre { type nat hook prerouting priority dstnat; tcp dport 9000 dnat to 203.0.113.2:5201; tcp dport 9001 dnat to 203.0.113.2:11111; }
	chain post { type nat hook postrouting priority srcnat; oifname "l0" masquerade; }
}
NFT
	DST=192.0.2.1 IP=9000 SP=9001
}

mode_rpn() {
	for r in rA rB; do
		rm -rf "${W:?}/$r"; mkdir -p "$W/$r"
		ip netns exec "$P-$r" "$B/rpnd" -s "$W/$r/sock" -S "$W/$r/st" \
		    --uplink w0 --lan l0 >"$W/$r/log" 2>&1 &
		PIDS+=($!); disown
	done
	for r in rA rB; do for _ in $(seq 50); do [ -S "$W/$r/sock" ] && break; sleep 0.1; done; done
	x rA "$B/rpn" -s "$W/rA/sock" init --name rA >/dev/null
	x rB "$B/rpn" -s "$W/rB/sock" join 198.51.100.1 --name rB \
	    --token "$(x rA "$B/rpnctl" -s "$W/rA/sock" invite)" >/dev/null
	x rB "$B/rpnctl" -s "$W/rB/sock" service add iperf tcp/9000 --to 203.0.113.2:5201 >/dev/null
	x rB "$B/rpnctl" -s "$W/rB/sock" service add sockperf tcp/9001 --to 203.0.113.2:11111 >/dev/null
	for _ in $(seq 100); do
		x rA "$B/rpnctl" -s "$W/rA/sock" status --json | jq -e \
		    '[.services[] | select(.programmed)] | length == 2' >/dev/null && break
		sleep 0.05
	done
	DST=192.0.2.1 IP=9000 SP=9001
}

mode_wggo() {
	mkdir -p "$W/wg"
	for r in rA rB; do wg genkey >"$W/wg/$r.key"; wg pubkey <"$W/wg/$r.key" >"$W/wg/$r.pub"; done
	for r in rA rB; do bg $r env WG_PROCESS_FOREGROUND=1 wireguard-go "wg$r"; done
	sleep 1
	x rA wg set wgrA private-key "$W/wg/rA.key" listen-port 51820 peer "$(cat "$W/wg/rB.pub")" \
	    endpoint 198.51.100.2:51820 allowed-ips 100.64.0.2/32,203.0.113.0/24
	x rB wg set wgrB private-key "$W/wg/rB.key" listen-port 51820 peer "$(cat "$W/wg/rA.pub")" \
	    endpoint 198.51.100.1:51820 allowed-ips 100.64.0.1/32,192.0.2.0/24
	x rA ip addr add 100.64.0.1/30 dev wgrA; x rA ip link set wgrA up
	x rB ip addr add 100.64.0.2/30 dev wgrB; x rB ip link set wgrB up
	x rA ip route add 203.0.113.0/24 dev wgrA
	x rB ip route add 192.0.2.0/24 dev wgrB
	DST=203.0.113.2 IP=5201 SP=11111
}

mode_nebula() {
	mkdir -p "$W/neb"
	( cd "$W/neb" && nebula-cert ca -name bench >/dev/null &&
	  nebula-cert sign -name rA -ip 100.64.0.1/24 -subnets 192.0.2.0/24 >/dev/null &&
	  nebula-cert sign -name rB -ip 100.64.0.2/24 -subnets 203.0.113.0/24 >/dev/null )
	for r in rA rB; do
		local me other wan net lh
		if [ $r = rA ]; then other=2 wan=198.51.100.2 net=203.0.113.0/24 lh=true
		else other=1 wan=198.51.100.1 net=192.0.2.0/24 lh=false; fi
		cat >"$W/$r.yml" <<YML
pki: { ca: $W/neb/ca.crt, cert: $W/neb/$r.crt, key: $W/neb/$r.key }
static_host_map: { "100.64.0.$other": ["$wan:4242"] }
lighthouse: { am_lighthouse: $lh, hosts: [$([ $lh = true ] || echo '"100.64.0.1"')] }
listen: { host: 0.0.0.0, port: 4242 }
punchy: { punch: false }
tun: { dev: neb0, mtu: 1300, unsafe_routes: [ { route: $net, via: 100.64.0.$other } ] }
logging: { level: warning }
firewall:
  outbound: [ { port: any, proto: any, host: any } ]
  inbound: [ { port: any, proto: any, host: any } ]
YML
		bg $r nebula -config "$W/$r.yml"
	done
	sleep 2
	x cA ping -c 3 -W 1 203.0.113.2 >/dev/null 2>&1
	DST=203.0.113.2 IP=5201 SP=11111
}

mode_haproxy() {
	for r in rA rB; do
		local bind d1 d2
		if [ $r = rA ]; then bind=192.0.2.1 d1=198.51.100.2:9000 d2=198.51.100.2:9001
		else bind=198.51.100.2 d1=203.0.113.2:5201 d2=203.0.113.2:11111; fi
		printf 'global\n  maxconn 1000\ndefaults\n  mode tcp\n  timeout connect 5s\n  timeout client 60s\n  timeout server 60s\nlisten p1\n  bind %s:9000\n  server s %s\nlisten p2\n  bind %s:9001\n  server s %s\n' \
		    "$bind" "$d1" "$bind" "$d2" >"$W/$r.cfg"
		bg $r haproxy -f "$W/$r.cfg" -db
	done
	sleep 0.5
	DST=192.0.2.1 IP=9000 SP=9001
}

section1() {
	local run m gbps lat
	for run in $(seq "$RUNS"); do
		for m in $MODES; do
			topo1
			"mode_$m"
			gbps=$(x cA iperf3 -c "$DST" -p "$IP" -t "$SECS" -J 2>/dev/null |
			    jq -r '.end.sum_received.bits_per_second / 1e9' 2>/dev/null)
			lat=$(x cA sockperf ping-pong --tcp -i "$DST" -p "$SP" -t "$SECS" 2>/dev/null |
			    sed -n 's/.*avg-latency=\([0-9.]*\).*/\1/p' | head -1)
			teardown
			need "throughput in mode $m (iperf3)" "$gbps"
			need "latency in mode $m (sockperf)" "$lat"
			echo "$m $gbps $lat" >>"$W/s1.txt"
		done
	done
	echo
	echo "1. throughput and latency, cA -> rA -> rB -> sB, $RUNS runs of ${SECS}s interleaved (medians)"
	printf '   %-8s %10s %9s %14s %12s\n' mode Gbit/s ratio "latency (us)" "added (us)"
	local base_g base_l g l
	base_g=$(awk '$1 == "routed" {print $2}' "$W/s1.txt" | med)
	base_l=$(awk '$1 == "routed" {print $3}' "$W/s1.txt" | med)
	for m in $MODES; do
		g=$(awk -v m="$m" '$1 == m {print $2}' "$W/s1.txt" | med)
		l=$(awk -v m="$m" '$1 == m {print $3}' "$W/s1.txt" | med)
		printf '   %-8s %10.2f %9.2f %14.1f %+12.1f\n' "$m" "$g" \
		    "$(echo "scale=4; $g / $base_g" | bc)" "$l" "$(echo "$l - $base_l" | bc)"
	done
	echo "   (latency: sockperf ping-pong, half a round trip; added: minus plain routing's)"
}

# ---------------------------------------------------------------- section 2
section2() {
	echo
	echo "2. nftables programming through rpn's own code (dpplan.c, nft.c), one transaction each"
	printf '   %-10s %16s %18s %18s %12s\n' services "cold sync (ms)" "update p50 (us)" "update p99 (us)" "RSS (MiB)"
	local n out cold p50 p99 rss
	for n in 1000 10000 100000; do
		mkns dp
		out=$(x dp "$B/bench-dp" "$n" 500)
		teardown
		cold=$(echo "$out" | sed -n 's/.*cold_sync_ms=\([0-9.]*\).*/\1/p')
		p50=$(echo "$out" | sed -n 's/.*update_p50_us=\([0-9]*\).*/\1/p')
		p99=$(echo "$out" | sed -n 's/.*update_p99_us=\([0-9]*\).*/\1/p')
		rss=$(echo "$out" | sed -n 's/.*rss_kib=\([0-9]*\).*/\1/p')
		need "cold sync of $n services (bench-dp)" "$cold"
		need "update p50 at $n services (bench-dp)" "$p50"
		need "update p99 at $n services (bench-dp)" "$p99"
		need "RSS at $n services (bench-dp)" "$rss"
		printf '   %-10s %16s %18s %18s %12s\n' "$n" "$cold" "$p50" "$p99" \
		    "$(echo "scale=1; $rss / 1024" | bc)"
	done
	echo "   (an update: one service's backend changes, a delete and an add in one batch, sent to acked)"
}

# ---------------------------------------------------------------- section 3
section3() {
	local i t0 worst=0 d
	mkns hub
	x hub ip link add br0 type bridge
	x hub ip link set br0 up
	for i in $(seq 10); do
		mkns "n$i"
		ip link add eth0 netns "$P-n$i" type veth peer name "p$i" netns "$P-hub"
		x "n$i" ip addr add "198.51.100.$i/24" dev eth0
		x "n$i" ip link set eth0 up
		x hub ip link set "p$i" master br0 up
	done
	mkns be
	vlink n10 lan0 100.64.10.1/24 be eth0 100.64.10.2/24
	x be ip route add default via 100.64.10.1
	for i in $(seq 10); do
		mkdir -p "$W/n$i"
		ip netns exec "$P-n$i" "$B/rpnd" -s "$W/n$i/sock" -S "$W/n$i/st" \
		    --uplink eth0 $([ "$i" = 10 ] && echo --lan lan0) >"$W/n$i/log" 2>&1 &
		PIDS+=($!); disown
	done
	bg be socat TCP-LISTEN:80,fork,reuseaddr,backlog=128 EXEC:/bin/cat
	for i in $(seq 10); do for _ in $(seq 50); do [ -S "$W/n$i/sock" ] && break; sleep 0.1; done; done
	x n1 "$B/rpn" -s "$W/n1/sock" init --name n1 >/dev/null
	for i in $(seq 2 10); do
		x "n$i" "$B/rpn" -s "$W/n$i/sock" join 198.51.100.1 --name "n$i" \
		    --token "$(x n1 "$B/rpnctl" -s "$W/n1/sock" invite)" >/dev/null
	done
	"$B/bench-watch" rpn 30000 alive 10 $(for i in $(seq 10); do echo "$W/n$i/sock"; done) >/dev/null
	sleep 2
	# every node tries to reach the service at its own address until it works
	# every node connects to the service at its own address until an echo
	# comes back: one bash per node, no fork per attempt (a refused connect
	# returns at once; 5 ms between attempts, at most 2000 attempts)
	local probes=()
	for i in $(seq 10); do
		ip netns exec "$P-n$i" bash -c '
			exec 9<> <(:)
			for _ in $(seq 2000); do
				if exec 3<>"/dev/tcp/$1/8080"; then
					echo ping >&3
					if read -r -t 1 l <&3 && [ "$l" = ping ]; then
						echo "$EPOCHREALTIME" >"$2"; exit 0
					fi
					exec 3>&-
				fi
				read -r -t 0.005 -u 9
			done' probe "198.51.100.$i" "$W/n$i/ok" 2>/dev/null &
		probes+=($!)
	done
	sleep 0.5
	t0=$EPOCHREALTIME
	x n10 "$B/rpnctl" -s "$W/n10/sock" service add bench tcp/8080 --to 100.64.10.2:80 >/dev/null
	wait "${probes[@]}"
	echo
	echo "3. rpnctl service add on n10 -> a real connection succeeds through each of the 10 nodes"
	for i in $(seq 10); do
		if [ -f "$W/n$i/ok" ]; then
			d=$(echo "($(cat "$W/n$i/ok") - $t0) * 1000" | bc | cut -d. -f1)
			[ "$d" -lt 0 ] && d=0
		else
			d=timeout
		fi
		printf '   n%-3s %8s ms\n' "$i" "$d"
		if [ "$d" = timeout ]; then
			worst=timeout
		elif [ "$worst" != timeout ] && [ "$d" -gt "$worst" ]; then
			worst=$d
		fi
	done
	# A node that never forwarded makes the worst case unknown, not 0.
	[ "$worst" != timeout ] || { echo "   not all 10 forwarded within the probes' 10 s"; teardown; return; }
	echo "   all 10 forwarding after: ${worst} ms (from before rpnctl starts; probes every ~5 ms)"
	[ -n "${HOLD:-}" ] && sleep "$HOLD"
	teardown
}

# ---------------------------------------------------------------- section 4
section4() {
	local n=${BIG:-100000} t0 t1 c pr pe us
	mkns big
	mkdir -p "$W/big"
	ip netns exec "$P-big" "$B/rpnd" -s "$W/big/sock" -S "$W/big/st" >"$W/big/log" 2>&1 &
	PIDS+=($!); disown
	for _ in $(seq 50); do [ -S "$W/big/sock" ] && break; sleep 0.1; done
	x big "$B/rpn" -s "$W/big/sock" init --name big >/dev/null
	echo
	echo "4. one node with $n services (added one request at a time over the control socket)"
	echo "   $(x big "$B/rpn-tool" add-services "$W/big/sock" "$n")"
	sleep 3
	# this benchmark's rpnd (its pid recorded at start) and its engine, not
	# whichever rpnd on the host pgrep would find first
	pr=$(awk '/^VmRSS/ {print $2}' "/proc/${PIDS[-1]}/status")
	pe=$(awk '/^VmRSS/ {print $2}' "/proc/$(pgrep -P "${PIDS[-1]}" | head -1)/status")
	need "the parent's RSS" "$pr"
	need "the engine's RSS" "$pe"
	echo "   nft elements: $(x big nft list map inet rpn svc4 | grep -c ' : ') in svc4"
	printf '   RSS: parent (kernel side, mirror) %.1f MiB, engine (records, gossip) %.1f MiB\n' \
	    "$(echo "$pr / 1024" | bc -l)" "$(echo "$pe / 1024" | bc -l)"
	kill "${PIDS[-1]}"
	sleep 2
	t0=$(date +%s.%N)
	ip netns exec "$P-big" "$B/rpnd" -s "$W/big/sock" -S "$W/big/st" >>"$W/big/log" 2>&1 &
	PIDS+=($!); disown
	for _ in $(seq 300); do
		c=$(x big "$B/rpnctl" -s "$W/big/sock" status --json 2>/dev/null | jq '.counters.dp_commits' 2>/dev/null)
		[ -n "$c" ] && [ "$c" -ge 1 ] && break
		sleep 0.1
	done
	need "commits after the restart" "$c"
	t1=$(echo "$(date +%s.%N) - $t0" | bc)
	us=$(x big "$B/rpnctl" -s "$W/big/sock" status --json | jq '.counters.dp_last_usec')
	need "the full sync's duration" "$us"
	printf '   restart: verified and programmed all records after %.1f s; the kernel full sync took %s ms\n' \
	    "$t1" "$(jq -n "$us / 1000")"
	teardown
}

for s in $SECTIONS; do "section$s"; done
