# t-metrics.sh: GET /metrics on the console's loopback listener, checked
# by promtool; members by state follow a node's death; a service add is
# observed by the programming-latency histogram on every node; and each
# service's "programmed_on" reaches 3 of 3, stays at 2 of 3 for a service
# added while one node's parent (the process that programs its kernel) is
# stopped, and reaches 3 of 3 once it runs again.
. "$(dirname "$0")/lib.sh"

command -v promtool >/dev/null || skip "promtool (Debian prometheus) is not installed"
command -v curl >/dev/null || skip "curl is not installed"

hub
for i in 1 2 3; do
	node "n$i" "198.51.100.$i"
	start "n$i"
done
mesh n1 n2 n3
wait_until 100 0.1 '[ "$(count_alive n1)" -eq 3 ] && [ "$(count_alive n3)" -eq 3 ]' ||
    fail "the mesh did not form"

# metrics NODE: the exposition, from inside NODE's namespace.
metrics() {
	nsx "$1" curl -sf --max-time 5 http://127.0.0.1:7481/metrics
}
# value NODE SAMPLE: one sample's value ("" if absent), e.g.
# value n1 'rpn_members{state="alive"}'.
value() {
	metrics "$1" | awk -v s="$2" '$1 == s { print $2; f = 1 } END { exit !f }'
}
# programmed_on NODE SERVICE: "N/M" from the service JSON.
programmed_on() {
	ctl "$1" service show "$2" --json 2>/dev/null |
	    jq -r '.service.programmed_on | "\(.nodes)/\(.of)"' || true
}
# backend_health NODE SERVICE: the first backend's health as NODE sees it.
backend_health() {
	ctl "$1" service show "$2" --json 2>/dev/null |
	    jq -r '.service.backends[0].health' || true
}
prog_count() { value "$1" rpn_network_programming_duration_seconds_count; }
prog_sum() { value "$1" rpn_network_programming_duration_seconds_sum; }

for n in n1 n2 n3; do
	wait_for 50 0.1 listening "$n" tcp 127.0.0.1:7481 || fail "$n: no console listener"
done
metrics n1 > "$W/m1.txt" || fail "GET /metrics on n1 failed"
promtool check metrics < "$W/m1.txt" > "$W/promtool.out" 2>&1 ||
    fail "promtool: $(head -5 "$W/promtool.out")"
for f in rpn_members rpn_records_total rpn_gossip_bytes_total rpn_gossip_packets_total \
    rpn_probe_rtt_seconds rpn_services rpn_backends rpn_kernel_state \
    rpn_network_programming_duration_seconds; do
	grep -q "^# TYPE $f " "$W/m1.txt" || fail "no $f in /metrics"
done
[ "$(value n1 'rpn_members{state="alive"}')" = 3 ] ||
    fail "n1: members alive $(value n1 'rpn_members{state="alive"}'), not 3"
[ "$(value n1 'rpn_members{state="failed"}')" = 0 ] || fail "n1: a failed member already"
wait_until 100 0.1 '[ "$(value n1 rpn_probe_rtt_seconds_count)" -gt 0 ]' ||
    fail "n1 measured no probe round trip"
[ "$(value n1 'rpn_records_total{result="accepted"}')" -gt 0 ] || fail "n1 accepted no record"
say "promtool accepts n1's /metrics ($(wc -l < "$W/m1.txt") lines); 3 alive," \
    "$(value n1 rpn_probe_rtt_seconds_count) probe round trips"

# A service: every node observes its programming, and counts it on all three.
declare -A c0
for n in n1 n2 n3; do c0[$n]=$(prog_count "$n"); done
ctl n2 service add web tcp/8080 --to 100.64.2.10:80 >/dev/null
for n in n1 n2 n3; do
	wait_until 100 0.1 '[ "$(programmed_on '"$n"' web)" = 3/3 ]' ||
	    fail "$n: web programmed on $(programmed_on $n web) nodes, not 3/3"
	c=$(prog_count "$n")
	s=$(prog_sum "$n")
	[ "$c" -gt "${c0[$n]}" ] || fail "$n: programming latency count $c, was ${c0[$n]}"
	awk -v s="$s" 'BEGIN { exit !(s > 0 && s < 10) }' ||
	    fail "$n: programming latency sum $s"
	say "$n: web programmed on 3/3; latency observations ${c0[$n]} -> $c, sum $s s"
done
# and logs (debug) the moment its parent acked it, as section 5 of
# tests/bench/dataplane.sh reads from 100 nodes
for n in n1 n2 n3; do
	grep -Eq "data plane: tcp/8080 committed in transaction [0-9]+, [0-9.]+ ms after its record arrived" \
	    "$W/$n/log" || fail "$n: no debug line for tcp/8080's commit"
done
metrics n2 | promtool check metrics >/dev/null 2>&1 || fail "promtool refuses n2's /metrics"
# every member's digest reaches n1 a moment after its own count says 3/3
wait_until 50 0.1 '[ "$(value n1 rpn_services_programmed_everywhere)" = 1 ]' ||
    fail "n1: services programmed everywhere $(value n1 rpn_services_programmed_everywhere)"

# web's backend does not exist: its owner finds it down about a second
# after the add, and a backend's health is part of what every node's
# digest is made from.  Let that settle before n3's parent stops, or web
# changes on n1 and n2 while n3 cannot follow, and is rightly 2/3.
wait_until 100 0.1 '[ "$(backend_health n1 web)" = down ]' ||
    fail "n1: web's backend is $(backend_health n1 web), not down"
wait_until 50 0.1 '[ "$(value n1 rpn_services_programmed_everywhere)" = 1 ]' ||
    fail "n1: web not programmed everywhere once its backend is down"

# n3's parent stopped: its kernel is behind.  A service added now is
# programmed on n1 and n2 only; web, which n3 holds, stays 3/3.
p3=$(cat "$W/n3/pid")
kill -STOP "$p3"
c3=$(prog_count n3)
ctl n2 service add db tcp/5432 --to 100.64.2.10:5432 >/dev/null
# n3's engine has the record (it got that far) but cannot program it.
wait_until 100 0.1 'has_service n3 db' || { kill -CONT "$p3"; fail "n3 never heard of db"; }
for n in n1 n2; do
	wait_until 100 0.1 '[ "$(programmed_on '"$n"' db)" = 2/3 ]' ||
	    { kill -CONT "$p3"; fail "$n: db programmed on $(programmed_on $n db), not 2/3"; }
done
# n1 and n2 have published their new digests and n3 heard them: a
# digest of n3's would have arrived with them, had it one to publish.
wait_until 50 0.1 '[ "$(value n3 rpn_services_programmed)" -ge 1 ]' || true
# (a lower bound: while n2's digest lags n1's after some change, n1 may
# count n2 out for a moment too; what must never happen is n3 counted in)
[ "$(programmed_on n1 db)" != 3/3 ] || { kill -CONT "$p3"; fail "n1: db 3/3 with n3 stopped"; }
wait_until 150 0.1 '[ "$(programmed_on n1 web)" = 3/3 ]' ||
    { kill -CONT "$p3"; fail "n1: web $(programmed_on n1 web) with n3 stopped"; }
[ "$(prog_count n3)" = "$c3" ] || { kill -CONT "$p3"; fail "n3 observed a programming with its parent stopped"; }
say "n3's parent stopped: db on $(programmed_on n1 db) (n1), $(programmed_on n2 db) (n2); web still $(programmed_on n1 web)"
kill -CONT "$p3"
for n in n1 n2 n3; do
	wait_until 100 0.1 '[ "$(programmed_on '"$n"' db)" = 3/3 ]' ||
	    fail "$n: db programmed on $(programmed_on $n db) after n3's parent resumed"
done
[ "$(prog_count n3)" -gt "$c3" ] || fail "n3 did not observe db's programming once its parent resumed"
say "n3's parent resumed: db on 3/3 everywhere; n3's latency sum $(prog_sum n3) s"

# A node killed: failed on the others' /metrics, and the services it can
# no longer vouch for are counted of two.
kill -KILL "$(cat "$W/n3/pid")"
wait_until 300 0.1 '[ "$(value n1 '\''rpn_members{state="failed"}'\'')" = 1 ]' ||
    fail "n1: failed members $(value n1 'rpn_members{state="failed"}') after n3 was killed"
[ "$(value n1 'rpn_members{state="alive"}')" = 2 ] || fail "n1: alive $(value n1 'rpn_members{state="alive"}') after the kill"
wait_until 50 0.1 '[ "$(programmed_on n1 web)" = 2/2 ]' || fail "n1: web $(programmed_on n1 web) after n3 failed"
metrics n1 | promtool check metrics >/dev/null 2>&1 || fail "promtool refuses n1's /metrics after the kill"
say "n3 killed: n1 counts 2 alive, 1 failed; web on $(programmed_on n1 web)"
