#!/usr/bin/env bash
# svc100k.sh BUILD [N] [TAG]: dataplane.sh section 4 in a namespace of its
# own (rpnsvc-TAG), with the engine's CPU time beside the wall times, so
# that two builds can be measured side by side on a loaded machine:
#   tests/bench/svc100k.sh build 100000 new & tests/bench/svc100k.sh OLD/build 100000 old
# Adds N services one request at a time (rpn-tool add-services), reads the
# RSS of both processes 3 s later, stops rpnd (SIGTERM), starts it again and
# measures the restart two ways (and the RSS again at the end):
#   acked:      from the start to the parent's answer to the cold sync's
#               transactions (the engine's debug log: the restart runs with
#               -d), without anything asking the console meanwhile;
#   programmed: from the start to /metrics saying every service is
#               programmed, asked ten times a second from then on (each
#               request walks all N services).
# BACKENDS=live (the default) gives the services' backend (100.64.9.10:80)
# a TCP and a UDP listener in the namespace, so the health checks find it
# up; BACKENDS=dead leaves it unreachable (checks fail, services go down
# one by one).  PERF=FILE records the restart with perf record -g (both
# processes, until all is programmed; PERF_OPTS, default -g, are its options).
# STEADY=1 also reads the RSS once 99 % of the backends have been checked
# and their health published (a health record a service: N / 256 s, 6.5
# min at 100k).
# SMAPS=PREFIX copies both processes' /proc/PID/smaps, read with the RSS
# after the add, to PREFIX.parent and PREFIX.engine.  KEEP=1 keeps the work
# directory.  FROM=DIR (a directory KEEP=1 kept) skips the add (and
# STEADY): rpnd starts on a copy of DIR's state, and only the restart is
# measured, so that one steady state serves many restarts (each restart
# reads the file the first start wrote as it stopped: the same records).
# Needs root.
set -u
B=$(cd "${1:?usage: svc100k.sh BUILD [N] [TAG]}" && pwd)
N=${2:-100000}
TAG=${3:-x}
NS=rpnsvc-$TAG
W=$(mktemp -d /tmp/rpn-svc100k.XXXXXX)
chmod 755 "$W"
export RPN_OPERATOR_KEY=$W/operator.key
P=
BACKENDS=${BACKENDS:-live}
cleanup() {
	[ -n "$P" ] && kill "$P" 2>/dev/null
	[ -n "${PERFP:-}" ] && kill -INT "$PERFP" 2>/dev/null && wait "$PERFP" 2>/dev/null
	sleep 1
	ip netns pids "$NS" 2>/dev/null | xargs -r kill -9
	sleep 0.2
	ip netns del "$NS" 2>/dev/null
	if [ -n "${KEEP:-}" ]; then echo "kept $W"; else rm -rf "$W"; fi
}
[ "$(id -u)" = 0 ] || { echo "svc100k.sh needs root"; exit 1; }
ip netns add "$NS" || exit 1
trap cleanup EXIT
trap 'exit 1' INT TERM
ip -n "$NS" link set lo up
x() { ip netns exec "$NS" "$@"; }
if [ "$BACKENDS" = live ]; then
	# the backend answers: TCP connections accepted (and closed), UDP
	# datagrams taken (silence is "up" for a UDP check)
	ip -n "$NS" addr add 100.64.9.10/32 dev lo
	x python3 -c 'import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("100.64.9.10", 80))
s.listen(4096)
while True:
    c, _ = s.accept()
    c.close()' &
	x "$B/rpn-tool" udp-serve 80 >/dev/null 2>&1 &
	disown -a
	sleep 0.5
	# (both in the namespace: its cleanup ends them)
fi
cpu() { awk '{ print ($14 + $15) / 100 }' "/proc/$1/stat"; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
start() {
	# not through x(): $! must be rpnd itself (ip netns exec execs in place)
	if [ -n "${PERF:-}" ] && [ "$#" -gt 0 ]; then
		# perf follows the engine, a child of rpnd
		perf record -q ${PERF_OPTS:--g} -o "$PERF" -- ip netns exec "$NS" "$B/rpnd" \
		    -s "$W/sock" -S "$W/st" "$@" >>"$W/log" 2>&1 &
		PERFP=$!
		P=
		for _ in $(seq 100); do
			P=$(pgrep -P "$PERFP" | head -1) && [ -n "$P" ] && break
			sleep 0.02
		done
	else
		ip netns exec "$NS" "$B/rpnd" -s "$W/sock" -S "$W/st" "$@" >>"$W/log" 2>&1 &
		P=$!
	fi
	E=
	for _ in $(seq 600); do
		[ -S "$W/sock" ] && E=$(pgrep -P "$P" | head -1) && [ -n "$E" ] && break
		sleep 0.05
	done
	[ -n "$E" ] || { echo "svc100k.sh: rpnd did not start"; tail -5 "$W/log"; exit 1; }
}
# the console's /metrics: "SERVICES PROGRAMMED"
programmed() {
	x curl -s --max-time 5 http://127.0.0.1:7481/metrics 2>/dev/null |
	    awk '/^rpn_services / {s = $2} /^rpn_services_programmed / {p = $2}
		END {print s + 0, p + 0}'
}
# wait until /metrics says all N are programmed (5 min at most); s and p
# are what it said last
wait_programmed() {
	s=0 p=0
	for _ in $(seq 3000); do
		read -r s p < <(programmed)
		[ "$s" -ge "$N" ] && [ "$s" = "$p" ] && return 0
		sleep 0.1
	done
	return 1
}

if [ -n "${FROM:-}" ]; then
	# a first start programs the kernel, as the run that kept the state
	# had: the restart measured below finds its table there
	cp -a "$FROM/st" "$FROM/operator.key" "$W/" || exit 1
	start
	wait_programmed ||
	    { echo "svc100k.sh: the first start programmed $p of $s"; exit 1; }
	echo "$TAG: the state kept in $FROM, $p of $s services programmed"
else
	start
	x "$B/rpn" -s "$W/sock" init --name big >/dev/null || exit 1
	c0=$(cpu "$E")
	out=$(x "$B/rpn-tool" add-services "$W/sock" "$N") || exit 1
	c1=$(cpu "$E")
	sleep 3	# what section 4 waits before reading the RSS
	pr=$(awk '/^VmRSS/ {print $2}' "/proc/$P/status")
	pe=$(awk '/^VmRSS/ {print $2}' "/proc/$E/status")
	if [ -n "${SMAPS:-}" ]; then
		cp "/proc/$P/smaps" "$SMAPS.parent"
		cp "/proc/$E/smaps" "$SMAPS.engine"
	fi
	echo "$TAG add: $out engine_cpu=$(echo "$c1 - $c0" | bc) s;" \
	    "rss parent=$(mib "$pr") MiB engine=$(mib "$pe") MiB"
	if [ -n "${STEADY:-}" ]; then
		# every backend checked and its health published, but for 1 %: at
		# 256 checks a second, N / 256 s (6.5 min at 100k); a check that
		# failed once on a busy machine waits that long again for its second
		# (two failures mark it down, one success up).  Then 10 s for the
		# gossip and the state file to settle.
		t_s=$(date +%s)
		unk=$N
		for _ in $(seq 1800); do
			unk=$(x curl -s --max-time 5 http://127.0.0.1:7481/metrics |
			    awk '/^rpn_backends\{health="unknown"\}/ {print $2}')
			[ "${unk:-$N}" -le $((N / 100)) ] && break
			sleep 1
		done
		[ "${unk:-$N}" -le $((N / 100)) ] ||
		    { echo "svc100k.sh: $unk backends still unchecked"; exit 1; }
		sleep 10
		held=$(x curl -s --max-time 5 http://127.0.0.1:7481/metrics |
		    awk '/^rpn_records_held / {print $2}')
		pr=$(awk '/^VmRSS/ {print $2}' "/proc/$P/status")
		pe=$(awk '/^VmRSS/ {print $2}' "/proc/$E/status")
		if [ -n "${SMAPS:-}" ]; then
			cp "/proc/$P/smaps" "$SMAPS.parent.steady"
			cp "/proc/$E/smaps" "$SMAPS.engine.steady"
		fi
		echo "$TAG steady: checked (but $unk) after $(( $(date +%s) - t_s - 10 )) s;" \
		    "records held=$held; rss parent=$(mib "$pr") MiB engine=$(mib "$pe") MiB"
	fi
fi
kill "$P"
# the engine too, or a new start would find its socket and its /metrics
for _ in $(seq 300); do
	[ -e "/proc/$P" ] || [ -e "/proc/$E" ] || break
	sleep 0.1
done
[ -e "/proc/$P" ] || [ -e "/proc/$E" ] && { echo "svc100k.sh: rpnd did not stop"; exit 1; }
P=
rm -f "$W/sock"
# the log's times are local, to the millisecond: seconds since midnight
secs() { awk -F'[T:]' '{ printf "%.3f\n", $2 * 3600 + $3 * 60 + $4 }'; }
mark=$(stat -c %s "$W/log")
t0=$(date +%s.%N)
d0=$(date +%H:%M:%S.%N | awk -F: '{ printf "%.3f\n", $1 * 3600 + $2 * 60 + $3 }')
start -d
# acked: the parent answered the cold sync (the engine's first answered
# transaction), read from the log, nothing asked of the engine meanwhile
ta=
# (a build without that debug line: no acked figure)
grep -qs "answered %llu ms after it began" "$B/rpnd" "$B/rpnd-engine" || ta=none
for _ in $(seq 6000); do
	[ "$ta" = none ] && break
	l=$(tail -c +"$((mark + 1))" "$W/log" | grep -m1 "data plane: transaction .* answered")
	[ -n "$l" ] && ta=$(echo "$l" | secs) && break
	sleep 0.01
done
c_ack=$(cpu "$E")
wait_programmed; ok=$?
t1=$(date +%s.%N)
[ "$ok" = 0 ] || { echo "svc100k.sh: not all programmed ($p of $s)"; exit 1; }
c_prog=$(cpu "$E")
cp_=$(cpu "$P")
# the RSS once all is programmed again (the cold sync's buffers included)
rp=$(awk '/^VmRSS/ {print $2}' "/proc/$P/status")
re=$(awk '/^VmRSS/ {print $2}' "/proc/$E/status")
[ -n "${PERFP:-}" ] && { kill -INT "$PERFP"; wait "$PERFP"; PERFP=; }
[ "$ta" = none ] || ta=$(echo "$ta - $d0" | bc)
echo "$TAG restart ($BACKENDS backends): acked=$ta s" \
    "(engine_cpu=$c_ack s);" \
    "programmed=$(echo "$t1 - $t0" | bc) s per /metrics" \
    "(engine_cpu=$c_prog s, parent_cpu=$cp_ s); services=$s;" \
    "rss parent=$(mib "$rp") MiB engine=$(mib "$re") MiB"
# the timeline, seconds from the start (the restart's log lines)
tail -c +"$((mark + 1))" "$W/log" |
    grep -E "started|restored|restoring took|state file read|transaction [0-9]+ with|answered|programmed in|is down|is up|ready|elements" |
    head -${TIMELINE:-12} | while IFS= read -r l; do
	printf '  +%6.3f %s\n' "$(echo "$(echo "$l" | secs) - $d0" | bc)" "${l#* }"
done
echo "  health flips logged since the start: $(tail -c +"$((mark + 1))" "$W/log" | grep -c 'backend .* is ')"
