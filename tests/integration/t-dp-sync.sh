# t-dp-sync.sh: a full sync never makes the kernel take everything in one
# commit, and never shows a service half programmed.  sitea holds 30
# services (each an element in svc4 and one in public; s1 TCP, the others
# UDP) while `nft monitor`
# watches its table:
# - a restart over the kept table writes none of them again (the table is
#   not replaced; only differences would be written);
# - with the table deleted, a start with RPN_SYNC_CHUNK=8 programs the
#   skeleton first and then the elements in transactions of at most 8,
#   each service's two elements in the same one; then all 30 answer.
# Fails on the code before: a full sync replaced the table (delete table,
# then every element again) in one transaction.
# rpn-test: alone (it times something, or loads the machine: run.sh runs it by itself)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

N=30
topo_build
topo_servers
# s1 is srvb's HTTP; the others its UDP echo (TCP backend checks of 29
# services at once would overrun the test's small servers)
topo_start
ctl siteb service add s1 tcp/9001 --to 100.64.2.10:80 --public >/dev/null || fail "service add s1"
for i in $(seq 2 "$N"); do
	ctl siteb service add "s$i" "udp/$((9000 + i))" --to 100.64.2.10:5353 --public >/dev/null ||
	    fail "service add s$i"
done
# echoes NS PORT: a datagram through sitea's service port comes back
echoes() {
	[ "$(echo "hello $2" | nsx "$1" timeout 5 socat -t 2 - "UDP:100.64.1.1:$2" 2>/dev/null)" = "hello $2" ]
}
wait_until 200 0.05 'programmed sitea s'"$N"' && programmed sitea s1' || fail "not programmed on sitea"
[ "$(http clia "http://100.64.1.1:9001/" 10)" = srvb ] || fail "s1 does not answer through sitea"
wait_until 20 0.2 "echoes clia 9002" || fail "s2 does not echo through sitea"

# monitor FILE: nft monitor in sitea's namespace, its pid in FILE.pid
monitor() {
	nsx sitea nft monitor >"$1" 2>&1 &
	echo $! >"$1.pid"
	sleep 0.3	# (nft monitor subscribes as it starts: no event to wait for)
}
unmonitor() { kill "$(cat "$1.pid")"; wait "$(cat "$1.pid")" 2>/dev/null || true; }

# 1. a restart over the kept table (t-dp-restart runs traffic through one)
monitor "$W/mon1"
stop sitea
start sitea $(topo_args sitea)
wait_until 100 0.05 '[ "$(count_alive sitea)" -eq 3 ] && programmed sitea s'"$N" ||
    fail "sitea did not come back"
sleep 0.5	# the last events reach the monitor
unmonitor "$W/mon1"
grep -q "^delete table inet rpn" "$W/mon1" && fail "the restart replaced the table"
n=$(grep -c "^add element inet rpn \(svc4\|public\) " "$W/mon1" || true)
[ "$n" -eq 0 ] || fail "the restart wrote $n service elements again: $(grep -m3 '^add element' "$W/mon1")"
[ "$(http clia "http://100.64.1.1:9001/" 10)" = srvb ] || fail "s1 does not answer after the restart"
say "restart over the kept table: the table kept, no service element written again; s1 answers"

# 2. a cold sync in bounded transactions
stop sitea
nsx sitea nft delete table inet rpn
monitor "$W/mon2"
export RPN_SYNC_CHUNK=8
start sitea $(topo_args sitea)
unset RPN_SYNC_CHUNK
wait_until 100 0.05 '[ "$(count_alive sitea)" -eq 3 ] && programmed sitea s'"$N" ||
    fail "sitea did not come back"
sleep 0.5
unmonitor "$W/mon2"
# per generation (transaction) of rpnd's: its elements; per service port:
# the generation of its svc4 element and of its public one
awk '
	/^add element inet rpn / && $5 !~ /^nic_/ { e++; if ($5 == "svc4" || $5 == "public") g[$5, $7 $9] = gen }
	/^# new generation .*\(rpnd\)/ {
		if (e > 0) { txns++; if (e > max) max = e }
		if (!gen) first = e + 0
		gen++; e = 0
	}
	END {
		split_bad = 0
		for (k in g) { split(k, p, SUBSEP); if (g["svc4", p[2]] != g["public", p[2]]) split_bad++ }
		printf "txns=%d max=%d first=%d split=%d\n", txns, max, first, split_bad
	}' "$W/mon2" >"$W/sync.txt"
read -r txns max first split < <(tr '=' ' ' <"$W/sync.txt" | awk '{print $2, $4, $6, $8}')
[ "$first" = 0 ] || fail "the skeleton's transaction carried $first elements"
[ "$txns" -ge $((2 * N / 8)) ] || fail "the cold sync was $txns transactions: $(cat "$W/sync.txt")"
[ "$max" -le 8 ] || fail "a transaction carried $max elements (bound 8)"
[ "$split" = 0 ] || fail "$split services had their elements in different transactions"
[ "$(http clia "http://100.64.1.1:9001/" 10)" = srvb ] || fail "s1 does not answer after the cold sync"
for i in 15 "$N"; do
	wait_until 20 0.2 "echoes clia $((9000 + i))" || fail "s$i does not echo after the cold sync"
done
say "cold sync: the skeleton alone, then $txns transactions of at most $max elements, no service split; s1, s15, s$N answer"
