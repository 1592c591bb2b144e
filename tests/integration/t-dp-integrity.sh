# t-dp-integrity.sh: the kernel's table cannot drift from rpn's mirror.
# Another program deletes an element, inserts a rule, flushes a set or a
# chain, deletes the whole table: rpnd hears of it (NFNLGRP_NFTABLES, no
# polling) and puts the table back, verified down to the element; nothing
# is left unread in its netlink sockets; "programmed" is never true for
# something the kernel does not hold.  Fails on the code before: after a
# foreign element delete the next batch's acks stayed in the socket and a
# deleted table was never restored.
# rpn-test: alone (it times something, or loads the machine: run.sh runs it by itself)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

topo_build
topo_servers
topo_start
ctl siteb service add web tcp/8080 --to 100.64.2.10:80 --public >/dev/null
ctl siteb service add intra tcp/8081 --to 100.64.2.10:81 >/dev/null
wait_until 100 0.02 'programmed cloud web && programmed cloud intra' || fail "not programmed"
nsx cloud nft list table inet rpn > "$W/before.txt"
rules() { nsx cloud nft -a list chain inet rpn "$1" | grep -c ' # handle ' || true; }
pre0=$(rules pre)

# repaired NAME: wait for the table to hold what it did before; print ms
repaired() {
	local t0=$1 i
	for ((i = 0; i < 400; i++)); do
		if nsx cloud nft list table inet rpn 2>/dev/null | diff -q - "$W/before.txt" >/dev/null &&
		    [ "$(rules pre)" = "$pre0" ]; then
			echo $(( $(date +%s%3N) - t0 ))
			return 0
		fi
		sleep 0.005
	done
	return 1
}
edit() {	# edit WHAT NFT-COMMAND...: a foreign change, then the repair
	local what=$1 t0 ms
	shift
	t0=$(date +%s%3N)
	nsx cloud nft "$@"
	ms=$(repaired "$t0") || fail "$what: not repaired within 2 s"
	[ "$ms" -le 1000 ] || fail "$what: repaired after $ms ms"
	# rpnd's own measure, from the kernel's news to the verified table
	own=$(grep "repaired and verified" "$W/cloud/log" | tail -1 |
	    sed -n 's/.*verified \([0-9]*\) ms after.*/\1/p')
	[ -n "$own" ] && [ "$own" -le 500 ] || fail "$what: rpnd repaired it ${own:-?} ms after the news"
	say "$what: repaired ${own} ms after the news (seen by this test after $ms ms)"
	[ "$(http inet http://198.51.100.2:8080/)" = srvb ] || fail "$what: web does not answer"
}
edit "foreign element delete" delete element inet rpn svc4 '{ tcp . 8080 }'
edit "foreign rule that accepts everything" insert rule inet rpn pre accept
edit "foreign set flush" flush set inet rpn members4
edit "foreign chain flush" flush chain inet rpn post_snat
edit "foreign table delete" delete table inet rpn
edit "foreign element add" add element inet rpn public '{ tcp . 8081 }'
[ -z "$(http inet http://198.51.100.2:8081/ 2)" ] || fail "the private service answered the internet"

# rpn's own changes go on, and "programmed" means the kernel holds it
ctl siteb service del web >/dev/null
ctl siteb service add web2 tcp/8082 --to 100.64.2.10:80 --public >/dev/null
wait_until 100 0.02 'programmed cloud web2' || fail "web2 not programmed after the repairs"
nsx cloud nft get element inet rpn svc4 '{ tcp . 8082 }' >/dev/null 2>&1 ||
    fail "web2 is programmed but the kernel does not hold it"
# the delete was sent before the add, but gossip may bring it a moment later
wait_until 50 0.05 '! nsx cloud nft get element inet rpn svc4 "{ tcp . 8080 }" >/dev/null 2>&1' ||
    fail "the deleted web is still in the kernel"
st=$(ctl cloud status --json)
echo "$st" | jq -e '.kernel.state == "ok" and .kernel.held == [] and .counters.dp_foreign_changes > 0 and
    .counters.dp_repairs >= 6' >/dev/null || fail "status: $(echo "$st" | jq -c '[.kernel, .counters.dp_repairs, .counters.dp_foreign_changes]')"
say "after the repairs: web2 programmed and in the kernel; $(echo "$st" | jq .counters.dp_repairs) repairs, kernel ok"

# a program that keeps rewriting the table does not make rpnd rewrite it as fast
r0=$(counter cloud dp_repairs)
t0=$(date +%s%3N)
# One shell in the namespace: each edit costs one nft, not an ip netns exec too.
# shellcheck disable=SC2016
nsx cloud bash -c 'for i in $(seq 60); do
	nft add element inet rpn public "{ tcp . $((20000 + i)) }"
	sleep 0.02	# the scenario: a program that rewrites the table every 20 ms
done'
t1=$(date +%s%3N)
r1=$(counter cloud dp_repairs)
# rpnd backs off after 8 repairs within a second; on a host so loaded that
# the 60 edits took over 4 s (fewer than 15 a second) that need not happen,
# and the test says so instead of failing on the host.
if [ $((t1 - t0)) -le 4000 ]; then
	grep -q "another program keeps changing table inet rpn" "$W/cloud/log" ||
	    fail "a program rewriting the table 60 times in $((t1 - t0)) ms was not noticed"
	[ $((r1 - r0)) -lt 40 ] || fail "$((r1 - r0)) repairs for 60 foreign edits in $((t1 - t0)) ms"
else
	say "NOTE: the 60 edits took $((t1 - t0)) ms on this loaded host; the back-off was not checked"
fi
wait_until 100 0.1 'ctl cloud status --json | jq -e ".kernel.state == \"ok\"" >/dev/null' ||
    fail "the table was not repaired after the edits stopped"
nsx cloud nft list set inet rpn public | contains 20001 && fail "a foreign element survived"
say "60 foreign edits in $((t1 - t0)) ms: $((r1 - r0)) repairs, then the table is right again"

# nothing of any answer is left in rpnd's netlink sockets: answers still on
# their way are read within moments, one never read stays
ppid=$(cat "$W/cloud/pid")
unread() {	# unread: "INODE BYTES" for each of rpnd's netlink sockets holding some
	local fd ino rmem
	for fd in /proc/"$ppid"/fd/*; do
		ino=$(readlink "$fd" | sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p')
		[ -n "$ino" ] || continue
		rmem=$(nsx cloud awk -v i="$ino" '$NF == i { print $5 }' /proc/net/netlink)
		[ -z "$rmem" ] || [ "$rmem" -eq 0 ] || echo "$ino $rmem"
	done
}
wait_until 50 0.1 '[ -z "$(unread)" ]' ||
    fail "netlink sockets of rpnd hold unread bytes (inode bytes): $(unread)"
say "rpnd's netlink sockets hold no unread answers"
