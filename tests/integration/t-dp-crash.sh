# t-dp-crash.sh: kill -9 of rpnd leaves established flows forwarding and a
# restart reconciles without dropping them; a flushed ruleset is restored;
# another table is never touched; "keep-on-exit no" makes SIGTERM remove
# exactly rpn's table, rules and routes (the default keeps them:
# t-dp-restart).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

topo_build
topo_servers
# someone else's table, present before rpnd starts
nsx sitea nft -f - <<'NFT'
table inet theirs {
	chain input { type filter hook input priority 10; counter accept; }
}
NFT
before=$(nsx sitea nft list table inet theirs | grep -v counter)
topo_start
ctl siteb service add echo tcp/7000 --to 100.64.2.10:7 >/dev/null
wait_until 100 0.05 'programmed sitea echo' || fail "echo not programmed"

# a long-lived connection from clia through sitea, kept open by a coprocess
coproc CONN { nsx clia timeout 60 socat - TCP:100.64.1.1:7000 2>/dev/null; }
line() {	# send a line, expect it back within 3 s
	echo "$1" >&"${CONN[1]}"
	local got
	read -r -t 3 got <&"${CONN[0]}" || return 1
	[ "$got" = "$1" ]
}
line before-crash || fail "the connection does not echo"
crash sitea
line during-crash || fail "an established flow stopped when rpnd was killed"
nsx sitea nft list table inet rpn >/dev/null || fail "the kernel state went away with rpnd"
say "rpnd on sitea killed -9: the established connection still echoes"
start sitea $(topo_args sitea)
wait_until 100 0.05 'programmed sitea echo' || fail "no reconcile after restart"
line after-restart || fail "the connection broke when rpnd restarted"
say "rpnd restarted and reconciled: the same connection still echoes"
eval "exec ${CONN[1]}>&-"

# someone flushes the whole ruleset: rpn notices and restores its table
nsx sitea nft flush ruleset
wait_until 50 0.1 'nsx sitea nft list table inet rpn >/dev/null 2>&1' || fail "table inet rpn not restored"
wait_until 50 0.1 'echo_check clia 100.64.1.1 7000' || fail "forwarding not restored after the flush"
grep -q "someone else changed table inet rpn" "$W/sitea/log" || fail "the restore was not logged"
say "nft flush ruleset: table inet rpn restored within two seconds, traffic flows again"

# the foreign table (flushed above by that same command, so recreate and check rpn leaves it be)
nsx sitea nft -f - <<'NFT'
table inet theirs {
	chain input { type filter hook input priority 10; counter accept; }
}
NFT
ctl siteb service add web tcp/8080 --to 100.64.2.10:80 >/dev/null
wait_until 100 0.05 'programmed sitea web' || fail "web not programmed"
[ "$(nsx sitea nft list table inet theirs | grep -v counter)" = "$before" ] ||
    fail "rpn changed another table"
say "table inet theirs is untouched by rpn's updates"

# keep-on-exit no: SIGTERM removes rpn's table, rules and routes; the rest stays
rules_before=$(nsx cloud ip rule | grep -c 'proto 114' || true)
[ "$rules_before" -ge 4 ] || fail "cloud has $rules_before rpn rules, expected 2 per uplink"
stop cloud
echo "keep-on-exit no" > "$W/cloud/rpnd.conf"
start cloud -f "$W/cloud/rpnd.conf" $(topo_args cloud)
wait_until 100 0.05 'programmed cloud web' || fail "web not programmed on cloud after restart"
stop cloud
! nsx cloud nft list table inet rpn >/dev/null 2>&1 || fail "SIGTERM left table inet rpn"
[ "$(nsx cloud ip rule | grep -c 'proto 114' || true)" -eq 0 ] || fail "SIGTERM left rpn's rules"
[ "$(nsx cloud ip route show table all | grep -c 'proto 114' || true)" -eq 0 ] || fail "SIGTERM left rpn's routes"
nsx cloud ip route | grep "default via 198.51.100.1" >/dev/null || fail "the main table lost its default route"
say "SIGTERM with keep-on-exit no: cloud's table, $rules_before rules and routes removed; main table intact"
