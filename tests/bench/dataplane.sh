#!/usr/bin/env bash
# dataplane.sh: rpn's data plane measured against its peers, in one run, on
# this machine, in network namespaces made for the purpose:
#   1. throughput and latency, client -> site router A -> site router B ->
#      server: plain routing, hand-written nft NAT, rpn, wireguard-go, nebula,
#      haproxy (interleaved RUNS times; medians; ratios to plain routing);
#   2. nftables programming through rpn's own code: cold sync, one update,
#      and the longest stall of forwarding while 100k services are synced;
#   3. "service add" to forwarding on every one of 10 nodes (real connects);
#   4. rpnd's memory with 100k services, and its restart;
#   5. "service add" on one of PROG_N=100 nodes to committed in every node's
#      kernel, ADDS=20 times (p50/p99/max, from the nodes' own log stamps).
#
#   SECS=5 RUNS=3 MODES="routed nat rpn wggo nebula haproxy" SECTIONS="1 2 3 4 5"
#   CHUNK=2000 BIG2=100000 STALL_RUNS=3 (section 2)
#   PROG_N=100 ADDS=20 CHECKS=3 SETTLE5=20 GAP5=1 (section 5)
#   KEEP=1 keeps the logs of every rpnd
# Addresses: RFC 5737 and 100.64.0.0/10 only, inside the namespaces.
set -u
B=$(cd "${RPN_BUILD:-build}" && pwd)
SECS=${SECS:-5}
RUNS=${RUNS:-3}
MODES=${MODES:-routed nat rpn wggo nebula haproxy}
SECTIONS=${SECTIONS:-1 2 3 4 5}
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
# missing one would otherwise show up as a 0 in the table.  (rpnd-engine
# is not listed: a build from before it, one program, is measured too.)
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
	2)	need_tools+=("$B/bench-dp" socat);;
	3)	need_tools+=(socat "$B/rpnd" "$B/bench-watch");;
	4)	need_tools+=("$B/rpnd" "$B/rpn-tool" curl);;
	5)	need_tools+=(socat "$B/rpnd" "$B/bench-watch");;
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
# stall CHUNK: while bench-dp syncs $BIG2 services into a table that already
# forwards tcp/1000 (a restart, a resync), a client loops new connections
# through that service and one long connection echoes a line at a time;
# prints the longest gap between successes that overlaps the sync, for each.
stall() {
	local chunk=$1 out s0 s1
	mkns cl; mkns dp; mkns sv
	vlink cl a0 192.0.2.2/24 dp l0 192.0.2.1/24
	vlink dp l1 203.0.113.1/24 sv b0 203.0.113.2/24
	x cl ip route add default via 192.0.2.1
	x sv ip route add default via 203.0.113.1
	x dp sysctl -qw net.ipv4.ip_forward=1
	bg sv socat TCP-LISTEN:80,fork,reuseaddr,backlog=256 EXEC:/bin/cat
	rm -f "$W/stop" "$W/conn.t" "$W/flow.t"
	# new connections, and one established flow, each as fast as they go
	# (bounded: 60 s at most); success times kept in memory, written at the end
	ip netns exec "$P-cl" bash -c '
		t=(); end=$((SECONDS + 60))
		while [ ! -e "$1" ] && [ $SECONDS -lt $end ]; do
			if exec 3<>/dev/tcp/192.0.2.1/1000 2>/dev/null; then
				echo x >&3 && read -r -t 2 l <&3 && t+=("$EPOCHREALTIME")
				exec 3>&-
			fi
		done
		printf "%s\n" "${t[@]}" >"$2"' conn "$W/stop" "$W/conn.t" 2>/dev/null &
	local pc=$!
	ip netns exec "$P-cl" bash -c '
		t=(); end=$((SECONDS + 60))
		while [ ! -e "$1" ] && [ $SECONDS -lt $end ]; do
			# (re)connect: at the start, and if the flow ever broke
			until exec 3<>/dev/tcp/192.0.2.1/1000; do
				[ $SECONDS -lt $end ] || break 2; sleep 0.05
			done 2>/dev/null
			while [ ! -e "$1" ] && [ $SECONDS -lt $end ] &&
			    echo x >&3 && read -r -t 2 l <&3; do
				t+=("$EPOCHREALTIME")
			done 2>/dev/null
			exec 3>&-
		done
		printf "%s\n" "${t[@]}" >"$2"' flow "$W/stop" "$W/flow.t" 2>/dev/null &
	local pf=$!
	out=$(x dp "$B/bench-dp" "${BIG2:-100000}" 1 "$chunk" 203.0.113.2:80)
	touch "$W/stop"
	wait "$pc" "$pf"
	teardown
	s0=$(echo "$out" | sed -n 's/.*sync_start=\([0-9.]*\).*/\1/p')
	s1=$(echo "$out" | sed -n 's/.*sync_end=\([0-9.]*\).*/\1/p')
	need "the sync's start (bench-dp)" "$s0"
	local f g
	for f in conn flow; do
		[ -s "$W/$f.t" ] || { echo "dataplane.sh: no $f probe answered" >&2; exit 1; }
		# the longest gap between two successes that overlaps the sync,
		# and (the noise of this machine) in the second before it
		g=$(awk -v a="$s0" -v b="$s1" 'NR > 1 && $1 >= a && p <= b {
			if ($1 - p > m) m = $1 - p }
			NR > 1 && p >= a - 1.2 && $1 <= a - 0.2 { if ($1 - p > q) q = $1 - p }
			{p = $1} END {printf "%.1f %.1f", m * 1000, q * 1000}' "$W/$f.t")
		printf ' %s' "$g"
	done
	printf ' %s %s\n' "$(echo "$out" | sed -n 's/.*cold_sync_ms=\([0-9.]*\).*/\1/p')" \
	    "$(echo "$out" | sed -n 's/.*txns=\([0-9]*\).*/\1/p')"
}

section2() {
	local chunk=${CHUNK:-2000}
	echo
	echo "2. nftables programming through rpn's own code (dpplan.c, nft.c)"
	printf '   %-10s %14s %8s %14s %16s %16s %10s\n' services "cold sync (ms)" txns \
	    "longest (ms)" "update p50 (us)" "update p99 (us)" "RSS (MiB)"
	local n out cold p50 p99 rss txns lt
	for n in 1000 10000 100000; do
		mkns dp
		out=$(x dp "$B/bench-dp" "$n" 500 "$chunk")
		teardown
		cold=$(echo "$out" | sed -n 's/.*cold_sync_ms=\([0-9.]*\).*/\1/p')
		txns=$(echo "$out" | sed -n 's/.*txns=\([0-9]*\).*/\1/p')
		lt=$(echo "$out" | sed -n 's/.*longest_txn_ms=\([0-9.]*\).*/\1/p')
		p50=$(echo "$out" | sed -n 's/.*update_p50_us=\([0-9]*\).*/\1/p')
		p99=$(echo "$out" | sed -n 's/.*update_p99_us=\([0-9]*\).*/\1/p')
		rss=$(echo "$out" | sed -n 's/.*rss_kib=\([0-9]*\).*/\1/p')
		need "cold sync of $n services (bench-dp)" "$cold"
		need "its longest transaction (bench-dp)" "$lt"
		need "update p50 at $n services (bench-dp)" "$p50"
		need "update p99 at $n services (bench-dp)" "$p99"
		need "RSS at $n services (bench-dp)" "$rss"
		printf '   %-10s %14s %8s %14s %16s %16s %10s\n' "$n" "$cold" "$txns" "$lt" \
		    "$p50" "$p99" "$(echo "scale=1; $rss / 1024" | bc)"
	done
	echo "   (a full sync in transactions of at most $chunk elements, cut between services;"
	echo "    an update: one service's backend changes, a delete and an add in one batch, sent to acked)"
	echo
	echo "   longest gap while ${BIG2:-100000} services are synced into a table that forwards tcp/1000:"
	printf '   %-24s %22s %22s %10s %6s\n' sync "new conns (ms)" "one flow (ms)" "sync (ms)" txns
	printf '   %-24s %11s %10s %11s %10s\n' "" during before during before
	local r c line
	for r in $(seq "${STALL_RUNS:-3}"); do
		for c in 0 "$chunk"; do
			line=$(stall "$c") || exit 1
			echo "$c $line" >>"$W/s2.txt"
		done
	done
	for c in 0 "$chunk"; do
		printf '   %-24s %11s %10s %11s %10s %10s %6s\n' \
		    "$([ "$c" = 0 ] && echo "one transaction" || echo "<= $c per transaction")" \
		    "$(awk -v c="$c" '$1 == c {print $2}' "$W/s2.txt" | med)" \
		    "$(awk -v c="$c" '$1 == c {print $3}' "$W/s2.txt" | med)" \
		    "$(awk -v c="$c" '$1 == c {print $4}' "$W/s2.txt" | med)" \
		    "$(awk -v c="$c" '$1 == c {print $5}' "$W/s2.txt" | med)" \
		    "$(awk -v c="$c" '$1 == c {print $6}' "$W/s2.txt" | med)" \
		    "$(awk -v c="$c" '$1 == c {print $7}' "$W/s2.txt" | med)"
	done
	echo "   (medians of ${STALL_RUNS:-3} interleaved runs; a gap is the longest between two successful"
	echo "    echoes, of new connections through the DNAT'd service or of lines on one connection,"
	echo "    during the sync, and in the second before it: this machine's own noise)"
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
	local n=${BIG:-100000} t0 t1 c pr pe us mark d0 ta
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
	mark=$(stat -c %s "$W/big/log")
	t0=$(date +%s.%N)
	d0=$(date +%H:%M:%S.%N | awk -F: '{ printf "%.3f\n", $1 * 3600 + $2 * 60 + $3 }')
	# -d: the log says when the parent answered the cold sync's transaction
	ip netns exec "$P-big" "$B/rpnd" -d -s "$W/big/sock" -S "$W/big/st" >>"$W/big/log" 2>&1 &
	PIDS+=($!); disown
	# Acked: the parent answered the engine's first (full) transaction,
	# from the log, with nothing asking the engine meanwhile.
	ta=
	for _ in $(seq 6000); do
		grep -qs "answered %llu ms after it began" "$B/rpnd" "$B/rpnd-engine" || break
		ta=$(tail -c +"$((mark + 1))" "$W/big/log" |
		    grep -m1 "data plane: transaction .* answered" |
		    awk -F'[T:]' '{ printf "%.3f\n", $2 * 3600 + $3 * 60 + $4 }')
		[ -n "$ta" ] && break
		sleep 0.01
	done
	# Fully programmed: every service in the kernel as wanted, however many
	# transactions the cold sync takes (the console's /metrics, on loopback:
	# cheaper to ask 10 times a second than a status listing 100k services;
	# each request walks every service).
	for _ in $(seq 600); do
		c=$(x big curl -s --max-time 2 http://127.0.0.1:7481/metrics 2>/dev/null |
		    awk '/^rpn_services / {s = $2} /^rpn_services_programmed / {p = $2}
			END {if (s >= '"$n"' && p == s) print p}')
		[ -n "$c" ] && break
		sleep 0.1
	done
	need "services programmed after the restart" "$c"
	t1=$(echo "$(date +%s.%N) - $t0" | bc)
	us=$(x big "$B/rpnctl" -s "$W/big/sock" status --json | jq '.counters.dp_last_usec')
	need "the full sync's duration" "$us"
	[ -n "$ta" ] && printf '   restart: the cold sync acked after %.2f s (from the log)\n' \
	    "$(echo "$ta - $d0" | bc)"
	printf '   restart: all %s services programmed after %.1f s (per /metrics); the kernel full sync took %s ms\n' \
	    "$c" "$t1" "$(jq -n "$us / 1000")"
	teardown
}

# ---------------------------------------------------------------- section 5
# PROG_N rpnd (default 100), each in its own namespace on one bridge, data
# plane on, one mesh; then ADDS times "rpnctl service add" on the last node
# (a new name and port each time).  When each node's kernel had it is not
# polled: every rpnd runs with -d and logs, when its parent acks a
# transaction, "data plane: tcp/PORT committed in transaction N, X ms after
# its record arrived" (dpsync.c), to the millisecond; the time is that stamp
# minus the moment rpnctl started.  CHECKS more adds (not counted) prove it
# by traffic: a connection through 3 nodes to the backend, against the log.
# cpu_busy: the machine's CPU use in % of both cores from /proc/stat.
cpu_ticks() { awk '/^cpu / {print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8}' /proc/stat; }
cpu_busy() {	# cpu_busy "BUSY0 ALL0" "BUSY1 ALL1"
	echo "$1 $2" | awk '{printf "%.0f", ($3 - $1) * 100 / ($4 - $2)}'
}
# stamps5 I PORTS...: "PORT EPOCH ARRIVED_MS" for the first commit of each
# port in node I's log (rpnd runs with TZ=UTC; so does this awk)
stamps5() {
	local i=$1; shift
	TZ=UTC awk -v ports="$*" '
		BEGIN { n = split(ports, p, " "); for (k = 1; k <= n; k++) want["tcp/" p[k]] = 1 }
		/ committed in transaction / {
			for (f = 1; f <= NF; f++) if ($f == "committed") break
			key = $(f - 1)
			if (!(key in want) || (key in seen)) next
			seen[key] = 1
			split(substr($1, 1, 19), d, /[-T:]/)
			t = mktime(d[1] " " d[2] " " d[3] " " d[4] " " d[5] " " d[6]) + substr($1, 20)
			a = "-"; for (g = f; g <= NF; g++) if ($g == "after") a = $(g - 2)
			printf "%s %.3f %s\n", substr(key, 5), t, a
		}' "$W/m$i/log"
}
mac5() { printf '02:00:00:00:05:%02x' "$1"; }
# committed5 PORT: how many nodes' logs have that port committed
committed5() {
	local i
	for i in $(seq "$N5"); do echo "$W/m$i/log"; done |
	    xargs grep -l -F " tcp/$1 committed in " 2>/dev/null | wc -l
}
# add5 K PORT: "rpnctl service add" on the last node; waits (bounded) until
# every node's log has it committed; records "K PORT T0"
add5() {
	local k=$1 port=$2 t0 c=0
	t0=$EPOCHREALTIME
	x "m$N5" "$B/rpnctl" -s "$W/m$N5/sock" service add "p5s$k" "tcp/$port" \
	    --to 100.64.20.2:80 >/dev/null || { echo "dataplane.sh: service add $k failed" >&2; exit 1; }
	echo "$k $port $t0" >>"$W/s5.adds"
	for _ in $(seq 300); do	# 30 s at most; one grep over the logs every 0.1 s
		c=$(committed5 "$port")
		[ "$c" -ge "$N5" ] && break
		sleep 0.1
	done
	[ "$c" -ge "$N5" ] || echo "   add $k (tcp/$port): committed on only $c of $N5 nodes after 30 s"
}

section5() {
	N5=${PROG_N:-100}
	local adds=${ADDS:-20} checks=${CHECKS:-3} i j k port out socks c0 c1 l0 l1
	[ "$N5" -ge 3 ] && [ "$N5" -le 250 ] || { echo "dataplane.sh: PROG_N must be 3..250" >&2; exit 1; }
	rm -f "$W/s5.adds" "$W/s5.checks"
	mkns hub5
	x hub5 ip link add br0 type bridge
	x hub5 ip link set br0 up
	for i in $(seq "$N5"); do
		mkns "m$i"
		ip link add eth0 netns "$P-m$i" address "$(mac5 "$i")" type veth \
		    peer name "q$i" netns "$P-hub5"
		x "m$i" ip addr add "198.51.100.$i/24" dev eth0
		x "m$i" ip link set eth0 up
		x hub5 ip link set "q$i" master br0 up
	done
	# Every node knows every other's MAC: the kernel's ARP table is one for
	# all namespaces, and 100 x 99 learned entries overflow its limit
	# (gc_thresh3, 1024, a host sysctl left alone): ARP replies stop and
	# nodes fail.  Permanent entries do not count against it.
	for i in $(seq "$N5"); do
		for j in $(seq "$N5"); do
			[ "$j" = "$i" ] || echo "neigh replace 198.51.100.$j lladdr $(mac5 "$j") dev eth0 nud permanent"
		done | ip -n "$P-m$i" -batch - || { echo "dataplane.sh: neighbours of m$i" >&2; exit 1; }
	done
	mkns be5
	vlink "m$N5" lan0 100.64.20.1/24 be5 eth0 100.64.20.2/24
	x be5 ip route add default via 100.64.20.1
	bg be5 socat TCP-LISTEN:80,fork,reuseaddr,backlog=128 EXEC:/bin/cat
	# started ten at a time, each ten up before the next
	for i in $(seq "$N5"); do
		mkdir -p "$W/m$i"
		TZ=UTC ip netns exec "$P-m$i" "$B/rpnd" -d -s "$W/m$i/sock" -S "$W/m$i/st" \
		    --uplink eth0 $([ "$i" = "$N5" ] && echo --lan lan0) >"$W/m$i/log" 2>&1 &
		PIDS+=($!); disown
		if [ $((i % 10)) = 0 ] || [ "$i" = "$N5" ]; then
			for j in $(seq $((i - (i - 1) % 10)) "$i"); do
				for _ in $(seq 100); do [ -S "$W/m$j/sock" ] && break; sleep 0.1; done
				[ -S "$W/m$j/sock" ] || { echo "dataplane.sh: rpnd m$j did not start" >&2; exit 1; }
			done
		fi
	done
	x m1 "$B/rpn" -s "$W/m1/sock" init --name m1 >/dev/null
	# joins through m1, five at a time (formation is not what is measured)
	for i in $(seq 2 "$N5"); do
		x "m$i" "$B/rpn" -s "$W/m$i/sock" join 198.51.100.1 --name "m$i" \
		    --token "$(x m1 "$B/rpnctl" -s "$W/m1/sock" invite)" >/dev/null 2>&1 &
		[ $((i % 5)) = 1 ] && wait
	done
	wait
	socks=$(for i in $(seq "$N5"); do echo "$W/m$i/sock"; done)
	out=$("$B/bench-watch" rpn 180000 alive "$N5" $socks)
	if ! [[ $out =~ ^done\ $N5/$N5 ]]; then
		echo "dataplane.sh: section 5: not all $N5 nodes list $N5 alive: $out" >&2
		exit 1
	fi
	echo
	echo "5. rpnctl service add on m$N5 -> committed in the kernel of each of $N5 nodes ($adds adds)"
	echo "   mesh formed: $out"
	# quiet: the joins' news dies down; then the machine's load, idle mesh
	sleep "${SETTLE5:-20}"
	l0=$(cut -d' ' -f1-3 /proc/loadavg)
	c0=$(cpu_ticks); sleep 10; c1=$(cpu_ticks)
	echo "   before the adds: load average $l0; CPU $(cpu_busy "$c0" "$c1") % of 2 cores over 10 s (idle mesh)"
	c0=$(cpu_ticks)
	for k in $(seq "$adds"); do
		add5 "$k" $((20000 + k))
		sleep "${GAP5:-1}"	# the next add starts from a quiet mesh
	done
	c1=$(cpu_ticks)
	l1=$(cut -d' ' -f1-3 /proc/loadavg)
	echo "   during the adds: load average $l1 (at the end); CPU $(cpu_busy "$c0" "$c1") % of 2 cores"
	# the cross-check: a real connection through 3 nodes, probing every ~5 ms
	for k in $(seq $((adds + 1)) $((adds + checks))); do
		port=$((20000 + k))
		local probes=()
		for i in 1 $((N5 / 2)) $((N5 - 1)); do
			rm -f "$W/m$i/ok"
			ip netns exec "$P-m$i" bash -c '
				exec 9<> <(:)
				for _ in $(seq 3000); do
					if exec 3<>"/dev/tcp/$1/$3"; then
						c=${c:-$EPOCHREALTIME}	# the first that went through
						echo ping >&3
						if read -r -t 1 l <&3 && [ "$l" = ping ]; then
							echo "$c $EPOCHREALTIME" >"$2"; exit 0
						fi
						exec 3>&-
					fi
					read -r -t 0.005 -u 9
				done' probe "198.51.100.$i" "$W/m$i/ok" "$port" 2>/dev/null &
			probes+=($!)
		done
		sleep 0.5
		add5 "$k" "$port"
		wait "${probes[@]}"
		for i in 1 $((N5 / 2)) $((N5 - 1)); do
			echo "$k $port $i $(cat "$W/m$i/ok" 2>/dev/null || echo - -)" >>"$W/s5.checks"
		done
		sleep "${GAP5:-1}"
	done
	# every node's commit stamps, from its log (after the measurement)
	local ports
	ports=$(awk '{print $2}' "$W/s5.adds")
	for i in $(seq "$N5"); do
		stamps5 "$i" $ports | sed "s/^/$i /"
	done >"$W/s5.stamps"
	# samples: node port ms(add->commit) ms(arrival->commit), origin apart
	awk -v n="$N5" -v adds="$adds" 'NR == FNR {t0[$2] = $3; k[$2] = $1; next}
		{ printf "%d %d %d %.1f %s\n", $1, k[$2], $2, ($3 - t0[$2]) * 1000, $4 }' \
	    "$W/s5.adds" "$W/s5.stamps" >"$W/s5.samples"
	local all missing
	all=$(awk -v n="$N5" -v a="$adds" '$1 != n && $2 <= a' "$W/s5.samples" | wc -l)
	missing=$((adds * (N5 - 1) - all))
	echo "   add -> committed on each other node (ms; $all samples of $((adds * (N5 - 1)))):"
	awk -v n="$N5" -v a="$adds" '$1 != n && $2 <= a {print $4}' "$W/s5.samples" | sort -g | awk '
		{v[NR] = $1} END {
			if (!NR) {print "   no samples"; exit}
			i99 = int(NR * 0.99); if (i99 < NR * 0.99) i99++
			printf "   %-14s %8s %8s %8s %10s\n", "", "p50", "p99", "max", "target p99"
			printf "   %-14s %8.0f %8.0f %8.0f %10s  %s\n", "rpn", v[int((NR + 1) / 2)], v[i99], v[NR], "<= 1000",
			    v[i99] <= 1000 ? "met" : "MISSED" }'
	[ "$missing" = 0 ] || echo "   $missing samples missing: those nodes never logged the commit"
	printf '   the part after the record arrived (arrival -> commit, ms): '
	awk -v n="$N5" -v a="$adds" '$1 != n && $2 <= a && $5 != "-" {print $5}' "$W/s5.samples" | sort -g |
	    awk '{v[NR] = $1} END {i99 = int(NR * 0.99); if (i99 < NR * 0.99) i99++
		printf "p50 %.1f, p99 %.1f, max %.1f\n", v[int((NR + 1) / 2)], v[i99], v[NR]}'
	printf '   on m%s itself (the adding node): median %s ms\n' "$N5" \
	    "$(awk -v n="$N5" -v a="$adds" '$1 == n && $2 <= a {print $4}' "$W/s5.samples" | med)"
	printf '   per add, the slowest node (ms):'
	awk -v n="$N5" -v a="$adds" '$1 != n && $2 <= a {if ($4 > m[$2]) m[$2] = $4} END {
		for (k = 1; k <= a; k++) printf " %.0f", m[k]; print ""}' "$W/s5.samples"
	echo "   cross-check, a real connection through a node (ms after rpnctl started):"
	printf '   %-6s %-6s %14s %14s %12s\n' add node "log: committed" "first connect" "its echo"
	while read -r k port i oc oe; do
		local t0 lg
		t0=$(awk -v k="$k" '$1 == k {print $3}' "$W/s5.adds")
		lg=$(awk -v k="$k" -v i="$i" '$1 == i && $2 == k {print $4}' "$W/s5.samples")
		if [ "$oc" = - ]; then oc=timeout oe=-; else
			oc=$(echo "($oc - $t0) * 1000" | bc | cut -d. -f1)
			oe=$(echo "($oe - $t0) * 1000" | bc | cut -d. -f1)
		fi
		printf '   %-6s %-6s %14s %14s %12s\n' "$k" "m$i" "${lg:--}" "$oc" "$oe"
	done <"$W/s5.checks"
	echo "   (committed: the node's log stamp, to the ms, when its engine had its parent's ack;"
	echo "    connect: the first connection of a probe trying every ~5 ms, to the node's own"
	echo "    address, through it to the backend behind m$N5; echo: the first line back through"
	echo "    socat's forked cat, within 1 s of its connect: slow when the machine is loaded)"
	teardown
}

for s in $SECTIONS; do "section$s"; done
