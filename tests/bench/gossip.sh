#!/usr/bin/env bash
# gossip.sh [N...]: rpn's membership layer side by side with Serf, same N, same
# run, same machine, in one network namespace made for the purpose (agents on
# 127.0.1.x, as in shared/design/gossip.md).  Prints a table with ratios.
#
#   SIZES="10 50 100"   agent counts (default)
#   RUNS=1              formation runs per size for rpn (the target claims 19 of 20)
#   SERF_RUNS=1         formation runs per size for Serf (about 110 s each at N=100)
#   IDLE_SECONDS=30     idle traffic / CPU window
#   KILLS=3             kill -9 measurements per size
#   LOSS_SECONDS=0      > 0: also run N=LOSS_N agents of each under 5% loss and
#   LOSS_N=50           count false failures
#   BURST_SIZES=""      e.g. "200 500": rpn alone, N-1 joins fired at one member
#   BURST_RUNS=3        at once; time until every agent lists N alive, and
#                       phantoms (members not alive once the burst settled)
#
# It signals only processes it started: the agents in its own namespace
# (never others of the same name on this host), by the pids it recorded.
set -u
B=$(cd "${RPN_BUILD:-build}" && pwd)
NS=${RPN_BENCH_NS:-rpnbench-gossip-$$}
# BURST_SIZES alone runs only the bursts
if [ -n "${BURST_SIZES:-}" ] && [ -z "${SIZES:-}" ] && [ $# = 0 ]; then SIZES=""; fi
SIZES=${SIZES-${*:-10 50 100}}
RUNS=${RUNS:-1}
SERF_RUNS=${SERF_RUNS:-1}
IDLE=${IDLE_SECONDS:-30}
KILLS=${KILLS:-3}
LOSS_SECONDS=${LOSS_SECONDS:-0}
LOSS_N=${LOSS_N:-50}
BURST_SIZES=${BURST_SIZES:-}
BURST_RUNS=${BURST_RUNS:-3}
HZ=$(getconf CLK_TCK)

if [ -z "${RPN_BENCH_INSIDE:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "gossip.sh needs root (network namespace)"; exit 1; }
	# (not rpnd-engine: a build from before it, one program, is compared
	# side by side too; rpnd says so itself when its engine is missing)
	for t in serf nft jq bc "$B/bench-watch" "$B/rpnd"; do
		command -v "$t" >/dev/null || { echo "gossip.sh: $t is missing" \
		    "(deploy/deps.sh bench; make all $B/bench-watch)" >&2; exit 1; }
	done
	# A namespace of its own (pid in the name): all it runs stays there.
	ip netns add "$NS" || exit 1
	trap 'ip netns pids "$NS" 2>/dev/null | xargs -r kill -9 2>/dev/null; sleep 0.3; ip netns del "$NS" 2>/dev/null' EXIT
	ip -n "$NS" link set lo up
	RPN_BENCH_INSIDE=1 RPN_BENCH_NS="$NS" ip netns exec "$NS" bash "$0" "$@"
	exit $?
fi

W=$(mktemp -d /tmp/rpn-bench.XXXXXX)
export RPN_OPERATOR_KEY="$W/operator.key"	# not in root's home
chmod 755 "$W"
exec 3>&2	# the terminal, for refusals from inside the rounds' redirections
trap 'stop_all; if [ -n "${KEEP:-}" ]; then echo "logs kept in $W" >&3; else rm -rf "$W"; fi' EXIT
KEY=$(serf keygen)
# agent I's address: 127.0.1.1 .. 127.0.1.250, then 127.0.2.1 .., for N > 250
ip4() { echo "127.0.$((1 + ($1 - 1) / 250)).$((($1 - 1) % 250 + 1))"; }

# ns_pids NAME...: this benchmark's processes (those in its namespace) with
# one of these names; nothing else on the host is ever signalled or counted.
ns_pids() {
	local p c n
	for p in $(ip netns pids "$NS" 2>/dev/null); do
		read -r c 2>/dev/null < "/proc/$p/comm" || continue	# no fork: 1000 agents
		for n in "$@"; do [ "$c" = "$n" ] && echo "$p"; done
	done
	return 0
}

# need WHAT VALUE: a measured number; empty, zero or not a number means a
# tool failed, and a table with a 0 in it would be a lie.
need() {
	if ! [[ $2 =~ ^[0-9]+(\.[0-9]+)?$ ]] || [ "$(echo "$2 > 0" | bc)" != 1 ]; then
		echo "gossip.sh: no measurement of $1 (got \"$2\"): a tool failed" >&3
		exit 1
	fi
}

# watch_agents ARGS...: bench-watch's "done K/N p50 .. max .." line; refused when it
# printed nothing or no agent got there (the agents are not running).
watch_agents() {
	local out
	out=$("$B/bench-watch" "$@")
	if ! [[ $out =~ ^done\ ([0-9]+)/[0-9]+\ p50 ]] || [ "${BASH_REMATCH[1]}" = 0 ]; then
		echo "gossip.sh: bench-watch $1 $3 $4: \"$out\": no agent answered" >&3
		return 1
	fi
	echo "$out"
}

# ---- joins fired at one instant ----
# Forking N-1 background processes takes seconds on a loaded machine; a
# clock started after the loop would give the first joins a head start.
# Each is forked first and waits for a line on a FIFO held open (read and
# write, so neither side blocks on open); gate_open writes all the lines at
# once, and the caller starts its clock right after.
gate_init() { rm -f "$W/gate"; mkfifo "$W/gate"; exec 9<>"$W/gate"; }
gated() { local _g; read -r _g <&9; exec 9>&-; exec "$@"; }
gate_open() { local i; for i in $(seq "$1"); do echo; done >&9; exec 9>&-; }

# ---- nft counters for the traffic on one port (this namespace only) ----
counters_on() {
	nft -f - <<NFT
table inet bench {
	counter udp_out {}
	counter tcp_all {}
	chain out { type filter hook output priority 0;
		udp sport $1 counter name udp_out
		tcp sport $1 counter name tcp_all
		tcp dport $1 counter name tcp_all
	}
}
NFT
}
counters_off() { nft delete table inet bench 2>/dev/null; }
counter_get() { nft -j list counter inet bench "$1" | jq ".nftables[1].counter.$2"; }

# ---- per-agent resources: CPU ticks and RSS of this benchmark's agents ----
ticks() { local t=0 p; for p in $(ns_pids "$1" "$1-engine"); do
	t=$((t + $(awk '{print $14 + $15}' /proc/$p/stat))); done; echo $t; }
# mem_kib PROC Rss|Pss: summed over the agent's processes (Pss splits shared pages fairly)
mem_kib() { local s=0 p; for p in $(ns_pids "$1" "$1-engine"); do
	s=$((s + $(awk -v k="$2:" '$1 == k {print $2}' /proc/$p/smaps_rollup))); done; echo $s; }

stop_all() {
	local p
	p=$(ns_pids rpnd rpnd-engine serf)
	[ -z "$p" ] || kill -9 $p 2>/dev/null
	sleep 0.5
}

# ---- rpn ----
rpn_start() {	# rpn_start FIRST LAST
	local i
	for i in $(seq "$1" "$2"); do
		mkdir -p "$W/r$i"
		# All agents share one network namespace: none may program it
		# (they would fight over table inet rpn); this measures gossip.
		printf 'listen %s:7480\nadvertise %s\ndataplane no\n' "$(ip4 $i)" \
		    "$(ip4 $i)" > "$W/r$i/conf"
		"$B/rpnd" -f "$W/r$i/conf" -s "$W/r$i/sock" -S "$W/r$i/st" >"$W/r$i/log" 2>&1 &
		echo $! > "$W/r$i/pid"
		disown
	done
	for i in $(seq "$1" "$2"); do
		for _ in $(seq 100); do [ -S "$W/r$i/sock" ] && break; sleep 0.05; done
	done
}
rpn_socks() { local i; for i in $(seq "$1" "$2"); do echo "$W/r$i/sock"; done; }
rpn_join() {	# rpn_join I TOKEN
	"$B/rpn" -s "$W/r$1/sock" join "$(ip4 1)" --token "$2" --name "a$1" >/dev/null 2>&1
}

# rpn_fire N: N fresh agents; agent 1 founds the mesh and makes N-1 tokens,
# then N-1 "rpn join" processes start at once, all through it (the caller
# waits for them)
rpn_fire() {
	local n=$1 i a1 toks=()
	stop_all
	rm -rf "$W"/r[0-9]*
	rpn_start 1 "$n"
	"$B/rpn" -s "$W/r1/sock" init --name a1 >/dev/null
	for i in $(seq 2 "$n"); do toks[$i]=$("$B/rpnctl" -s "$W/r1/sock" invite); done
	gate_init
	# each join's arguments are worked out before the release, and its
	# shell becomes "rpn join" (exec): after the release nothing runs but
	# the joins and the agents (a function or a $(...) here forked twice a
	# join, 12 % of the burst's CPU at N = 100)
	a1=$(ip4 1)
	for i in $(seq 2 "$n"); do
		gated "$B/rpn" -s "$W/r$i/sock" join "$a1" --token "${toks[$i]}" \
		    --name "a$i" >/dev/null 2>&1 &
	done
	gate_open $((n - 1))
}

rpn_round() {	# rpn_round N: formation, late join, idle, kills; prints key=value lines
	local n=$1 run r
	for run in $(seq "$RUNS"); do
		rpn_fire "$n"
		r=$(watch_agents rpn 180000 alive "$n" $(rpn_socks 1 "$n")) || exit 1
		echo "formation_run=$r"
		wait
	done
	sleep 2
	rpn_start $((n + 1)) $((n + 1))
	tok=$("$B/rpnctl" -s "$W/r1/sock" invite)
	rpn_join $((n + 1)) "$tok" &
	r=$(watch_agents rpn 60000 alive $((n + 1)) $(rpn_socks 1 $((n + 1)))) || exit 1
	echo "latejoin=$r"
	wait
	idle rpnd 7480 $((n + 1))
	kills rpn $((n + 1))
}

# ---- Serf ----
serf_start() {
	local i
	for i in $(seq "$1" "$2"); do
		mkdir -p "$W/s$i"
		serf agent -node="a$i" -bind="$(ip4 $i):7946" -rpc-addr="$(ip4 $i):7373" \
		    -encrypt="$KEY" -log-level=info >"$W/s$i/log" 2>&1 &
		echo $! > "$W/s$i/pid"
		disown
	done
	for i in $(seq "$1" "$2"); do
		for _ in $(seq 100); do
			serf members -rpc-addr="$(ip4 $i):7373" >/dev/null 2>&1 && break
			sleep 0.05
		done
	done
}
serf_addrs() { local i; for i in $(seq "$1" "$2"); do echo "$(ip4 $i):7373"; done; }

serf_round() {
	local n=$1 i run r
	for run in $(seq "$SERF_RUNS"); do
		stop_all
		serf_start 1 "$n"
		gate_init
		for i in $(seq 2 "$n"); do
			gated serf join -rpc-addr="$(ip4 $i):7373" "$(ip4 1):7946" >/dev/null 2>&1 &
		done
		gate_open $((n - 1))
		r=$(watch_agents serf 180000 alive "$n" $(serf_addrs 1 "$n")) || exit 1
		echo "formation_run=$r"
		wait
	done
	sleep 2
	serf_start $((n + 1)) $((n + 1))
	serf join -rpc-addr="$(ip4 $((n + 1))):7373" "$(ip4 1):7946" >/dev/null 2>&1 &
	r=$(watch_agents serf 60000 alive $((n + 1)) $(serf_addrs 1 $((n + 1)))) || exit 1
	echo "latejoin=$r"
	wait
	idle serf 7946 $((n + 1))
	kills serf $((n + 1))
}

# idle PROC PORT N: traffic, CPU and RSS per agent over the idle window
idle() {
	local proc=$1 port=$2 n=$3 t0 t1 pk by tb rss pss
	sleep "${SETTLE_SECONDS:-30}"	# let the news of the joins die down
	counters_on "$port"
	t0=$(ticks "$proc")
	sleep "$IDLE"
	t1=$(ticks "$proc")
	pk=$(counter_get udp_out packets)
	by=$(counter_get udp_out bytes)
	tb=$(counter_get tcp_all bytes)
	counters_off
	# Gossip never stops, so no UDP at all means the counters failed; TCP
	# may well be 0 when idle, but must be there.
	need "idle UDP packets ($proc)" "$pk"
	need "idle UDP bytes ($proc)" "$by"
	[[ $tb =~ ^[0-9]+$ ]] || need "idle TCP bytes ($proc)" "$tb"
	need "$proc processes" "$(ns_pids "$proc" "$proc-engine" | wc -l)"
	# Payload bytes: IP (20) and UDP (8) headers off each datagram.
	echo "idle_udp_pps=$(echo "scale=2; $pk / $n / $IDLE" | bc)"
	echo "idle_udp_Bps=$(echo "scale=1; ($by - 28 * $pk) / $n / $IDLE" | bc)"
	echo "idle_wire_Bps=$(echo "scale=1; ($by + $tb) / $n / $IDLE" | bc)"
	echo "idle_tcp_Bps=$(echo "scale=1; $tb / $n / $IDLE" | bc)"
	echo "cpu_pct=$(echo "scale=3; ($t1 - $t0) * 100 / $HZ / $n / $IDLE" | bc)"
	rss=$(mem_kib "$proc" Rss)
	pss=$(mem_kib "$proc" Pss)
	need "RSS of $proc" "$rss"
	need "PSS of $proc" "$pss"
	echo "rss_mib=$(echo "scale=2; $rss / 1024 / $n" | bc)"
	echo "pss_mib=$(echo "scale=2; $pss / 1024 / $n" | bc)"
}

# kills KIND N: kill -9 KILLS agents one after another; time until all others say failed
kills() {
	local kind=$1 n=$2 k victim others i p r
	for k in $(seq "$KILLS"); do
		victim=$((n - k + 1))
		if [ "$kind" = rpn ]; then
			others=$(for i in $(seq 1 $((n - k))); do echo "$W/r$i/sock"; done)
			# the rpnd it started, and that rpnd's engine
			p=$(cat "$W/r$victim/pid")
			kill -9 $(pgrep -P "$p") "$p"
		else
			others=$(serf_addrs 1 $((n - k)))
			kill -9 "$(cat "$W/s$victim/pid")"
		fi
		r=$(watch_agents "$kind" 120000 failed "a$victim" $others) || exit 1
		echo "kill_run=$r"
	done
}

# loss_on PCT: drop PCT % of every packet the namespace sends, chosen at
# random by nftables (this kernel has no netem).  loss_off removes it and
# prints how many packets were dropped; it fails when none were, so a run
# that measured nothing cannot pass for a run under loss.
loss_on() {
	nft -f - <<-EOF
	table inet rpnbench_loss {
		chain out {
			type filter hook output priority -300; policy accept;
			numgen random mod 100 < $1 counter drop
		}
	}
	EOF
}
loss_off() {
	local d
	d=$(nft list chain inet rpnbench_loss out | awk '/counter packets/ {for (i=1;i<=NF;i++) if ($i=="packets") print $(i+1)}')
	nft delete table inet rpnbench_loss
	[ "${d:-0}" -gt 0 ] || { echo "loss: nothing was dropped" >&2; return 1; }
	echo "$d"
}

# loss KIND N: 5% loss on every packet in the namespace; count failures that were false
loss() {
	local kind=$1 n=$2 i
	stop_all
	if [ "$kind" = rpn ]; then
		rpn_start 1 "$n"
		"$B/rpn" -s "$W/r1/sock" init --name a1 >/dev/null
		for i in $(seq 2 "$n"); do rpn_join "$i" "$("$B/rpnctl" -s "$W/r1/sock" invite)"; done
		watch_agents rpn 120000 alive "$n" $(rpn_socks 1 "$n") >/dev/null || exit 1
	else
		serf_start 1 "$n"
		for i in $(seq 2 "$n"); do serf join -rpc-addr="$(ip4 $i):7373" "$(ip4 1):7946" >/dev/null 2>&1; done
		watch_agents serf 240000 alive "$n" $(serf_addrs 1 "$n") >/dev/null || exit 1
	fi
	for i in $(seq "$n"); do : > "$W/${kind:0:1}$i/log"; done
	loss_on 5
	sleep "$LOSS_SECONDS"	# the scenario: this long under loss
	dropped=$(loss_off) || exit 1
	echo "loss_dropped=$dropped"
	if [ "$kind" = rpn ]; then
		echo "loss_false_failures=$(cat "$W"/r*/log | grep -c ' is failed')"
		echo "loss_suspicions=$(cat "$W"/r*/log | grep -c ' is suspect')"
	else
		echo "loss_false_failures=$(cat "$W"/s*/log | grep -c 'EventMemberFailed')"
		echo "loss_suspicions=$(cat "$W"/s*/log | grep -ci 'suspect')"
	fi
}

# Datagrams the kernel dropped in this namespace for want of socket buffer room.
udp_rcvbuf_errors() { awk '$1 == "Udp:" && $2 ~ /^[0-9]/ {print $6}' /proc/net/snmp; }

# burst N: N agents, N-1 joins fired at agent 1 in the same instant, each
# by its own "rpn join" process; prints burst_run=done.. lines, then
# burst_phantoms= (members some agent lists that are not alive, 5 s after
# all were alive), burst_nonmember_frames= (joiners left outside),
# burst_suspicions= ("is suspect" log lines over all agents),
# burst_stranger_limited= (datagrams of not-yet-known senders dropped by
# the key-agreement rate limit, summed from every agent's status),
# burst_udp_rcvbuf_drops= (datagrams the kernel dropped during the burst
# because a socket's receive buffer was full), burst_challenges= and
# burst_challenge_streams= (address challenges sent, and of those over
# TCP, summed from every agent's status).
burst() {
	local n=$1 run i p nf su sl ch cs d0 d1
	for run in $(seq "$BURST_RUNS"); do
		rpn_fire "$n"
		d0=$(udp_rcvbuf_errors)
		r=$(watch_agents rpn $((n * 600)) alive "$n" $(rpn_socks 1 "$n")) || exit 1
		d1=$(udp_rcvbuf_errors)
		echo "burst_run=$r"
		wait
		sleep 5	# the scenario: settled; a phantom would now be suspect or failed
		p=0 sl=0 ch=0 cs=0
		for i in $(seq "$n"); do
			"$B/rpnctl" -s "$W/r$i/sock" status --json > "$W/status.json"
			p=$((p + $(jq '[.members[] | select(.state != "alive")] | length' "$W/status.json")))
			sl=$((sl + $(jq '[.. | .stranger_limited? // empty] | add // 0' "$W/status.json")))
			ch=$((ch + $(jq '[.. | .addr_challenges? // empty] | add // 0' "$W/status.json")))
			cs=$((cs + $(jq '[.. | .addr_challenge_streams? // empty] | add // 0' "$W/status.json")))
		done
		nf=$(cat "$W"/r*/log | grep -c 'a sealed frame from a non-member')
		su=$(cat "$W"/r*/log | grep -c ' is suspect')
		echo "burst_phantoms=$p burst_nonmember_frames=$nf burst_suspicions=$su burst_stranger_limited=$sl burst_udp_rcvbuf_drops=$((d1 - d0)) burst_challenges=$ch burst_challenge_streams=$cs"
	done
}

# ---- report ----
med() { sort -n | awk '{a[NR]=$1} END {if (NR) print (NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2); else print "-"}'; }
field() { grep "^$1=" "$2" | sed "s/^$1=//"; }
# summary of "done a/b p50 X p90 Y max Z" lines: median over runs of column $3 (ms -> s)
runs_col() { grep "^$1=" "$2" | awk -v c="$3" '{for (i=1;i<=NF;i++) if ($i==c) print $(i+1)/1000}' | med; }
ratio() { if [ "$1" = - ] || [ "$2" = - ] || [ "$(echo "$2 == 0" | bc)" = 1 ]; then echo -; else echo "scale=2; $1 / $2" | bc; fi; }
row() { printf '  %-40s %10s %10s %8s\n' "$1" "$2" "$3" "$(ratio "$2" "$3")"; }

for n in $BURST_SIZES; do
	burst "$n" > "$W/burst-$n.txt" 2>&1
	stop_all
	echo
	echo "join burst, N=$n: $((n - 1)) joins fired at one member at once, $BURST_RUNS runs"
	grep '^burst_run=' "$W/burst-$n.txt" | awk '{for (i=1;i<=NF;i++) if ($i=="max") printf "  all %s alive after %.2f s", '"$n"', $(i+1)/1000; sub(/^burst_run=/, ""); print "   (" $0 ")"}'
	grep '^burst_phantoms=' "$W/burst-$n.txt" | sed 's/^/  /'
	grep -q '^burst_run=' "$W/burst-$n.txt" || { echo "  no run finished:"; tail -5 "$W/burst-$n.txt" | sed 's/^/  | /'; }
done
for n in $SIZES; do
	rpn_round "$n" > "$W/rpn-$n.txt" 2>&1
	stop_all
	serf_round "$n" > "$W/serf-$n.txt" 2>&1
	stop_all
	r="$W/rpn-$n.txt" s="$W/serf-$n.txt"
	echo
	echo "gossip, N=$n agents: rpn $(git -C "$(dirname "$0")" describe --always 2>/dev/null) vs $(serf version | head -1) (-encrypt), same run"
	printf '  %-40s %10s %10s %8s\n' "metric" "rpn" "serf" "rpn/serf"
	row "formation: all list N alive, max (s)" "$(runs_col formation_run "$r" max)" "$(runs_col formation_run "$s" max)"
	row "formation: p50 of agents (s)" "$(runs_col formation_run "$r" p50)" "$(runs_col formation_run "$s" p50)"
	row "late join seen by all (s)" "$(runs_col latejoin "$r" max)" "$(runs_col latejoin "$s" max)"
	row "kill -9: all report failed, median (s)" "$(runs_col kill_run "$r" max)" "$(runs_col kill_run "$s" max)"
	row "idle UDP payload per agent (B/s)" "$(field idle_udp_Bps "$r")" "$(field idle_udp_Bps "$s")"
	row "idle on the wire, UDP+TCP (B/s)" "$(field idle_wire_Bps "$r")" "$(field idle_wire_Bps "$s")"
	row "idle UDP packets per agent (/s)" "$(field idle_udp_pps "$r")" "$(field idle_udp_pps "$s")"
	row "RSS per agent, all processes (MiB)" "$(field rss_mib "$r")" "$(field rss_mib "$s")"
	row "PSS per agent (MiB)" "$(field pss_mib "$r")" "$(field pss_mib "$s")"
	row "idle CPU per agent (% of a core)" "$(field cpu_pct "$r")" "$(field cpu_pct "$s")"
	if [ "$RUNS" -gt 1 ]; then
		echo "  rpn formation runs (max s): $(runs_col formation_run "$r" max >/dev/null; grep '^formation_run=' "$r" | awk '{for (i=1;i<=NF;i++) if ($i=="max") printf "%.2f ", $(i+1)/1000}')"
	fi
done
if [ "$LOSS_SECONDS" -gt 0 ]; then
	loss rpn "$LOSS_N" > "$W/loss-rpn.txt" 2>&1
	loss serf "$LOSS_N" > "$W/loss-serf.txt" 2>&1
	stop_all
	echo
	echo "5% loss on every packet, N=$LOSS_N, $LOSS_SECONDS s"
	row "false failures (member declared failed)" "$(field loss_false_failures "$W/loss-rpn.txt")" "$(field loss_false_failures "$W/loss-serf.txt")"
	row "suspicions raised" "$(field loss_suspicions "$W/loss-rpn.txt")" "$(field loss_suspicions "$W/loss-serf.txt")"
	row "packets dropped by nftables" "$(field loss_dropped "$W/loss-rpn.txt")" "$(field loss_dropped "$W/loss-serf.txt")"
fi
