# t-dp-restart.sh: "systemctl restart rpnd" (SIGTERM, then a start) keeps
# forwarding.  A long-lived TCP flow and a new connection every 50 ms pass
# through a node while its rpnd is stopped with SIGTERM and started again,
# first on a forwarding node (cloud), then on the service's owner (siteb):
# 0 broken, 0 refused.  rpn's table, rules and routes stay until "rpnd
# --teardown" (or "rpn leave").  Fails on the code before: SIGTERM removed
# the table and new connections were refused for about a second.
# rpn-test: alone (it times something, or loads the machine: run.sh runs it by itself)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

topo_build
topo_cloud_dhcp
topo_servers
topo_start auto
ctl siteb service add web tcp/8080 --to 100.64.2.10:80 --public >/dev/null
ctl siteb service add echo tcp/7000 --to 100.64.2.10:7 --public >/dev/null
wait_until 100 0.02 'programmed cloud web && programmed cloud echo' || fail "not programmed"

for node in cloud siteb; do
	conn_loop inet http://198.51.100.18:8080/ 6 "$W/conns-$node" &
	cl=$!
	long_flow inet 198.51.100.18 7000 6 "$W/flow-$node" &
	fl=$!
	# the restart comes once both carry traffic
	wait_until 50 0.1 'grep -q ok "$W/conns-$node" && [ -s "$W/flow-$node" ]' ||
	    fail "no traffic through cloud before the restart of $node"
	stop "$node"
	nsx "$node" nft list table inet rpn >/dev/null 2>&1 ||
	    fail "SIGTERM removed $node's table"
	start "$node"
	wait_until 100 0.05 '[ "$(count_alive '"$node"')" -eq 3 ]' ||
	    fail "$node did not come back"
	wait "$cl" "$fl"
	n=$(attempts "$W/conns-$node") f=$(fails "$W/conns-$node")
	[ "$f" -eq 0 ] || fail "restart of $node: $f of $n new connections failed"
	flow_intact "$W/flow-$node" 6 ||
	    fail "restart of $node broke the long-lived flow ($(wc -l < "$W/flow-$node") lines of 60)"
	say "restart of $node's rpnd: $n new connections, 0 failed; the 6 s flow intact"
done
programmed cloud web || fail "after the restarts, web is not programmed on cloud"

# A restart longer than failure detection: the others count siteb failed,
# but its table still forwards, and it is web's only owner, so they go on
# sending it new connections (with a problem in status that says so).
stop siteb
wait_for 300 0.1 all_see failed siteb cloud sitea || fail "siteb not reported failed while stopped"
[ "$(http inet http://198.51.100.18:8080/)" = srvb ] ||
    fail "web's only owner stopped and counted failed: web does not answer through cloud"
ctl cloud service show web --json | jq -e '.service.problem | test("no owner is up")' >/dev/null ||
    fail "cloud's status does not say web's owner is down: $(ctl cloud service show web --json | jq -c .service.problem)"
say "siteb stopped until counted failed: web still answers through cloud ($(ctl cloud service show web --json | jq -r .service.problem))"
start siteb
wait_until 100 0.05 '[ "$(count_alive siteb)" -eq 3 ]' || fail "siteb did not come back"
grep "rules and routes" "$W/cloud/log" | grep -i removed >/dev/null &&
    fail "a restart removed rpn's rules"

# --teardown removes exactly rpn's state, only while rpnd is stopped
expect_fail "teardown while running" "rpnd is running" \
    nsx cloud "$RPN_BUILD/rpnd" --teardown -s "$(sock cloud)"
nsx cloud nft add table inet foreign
stop cloud
nsx cloud "$RPN_BUILD/rpnd" --teardown -s "$(sock cloud)" >/dev/null ||
    fail "rpnd --teardown failed"
nsx cloud nft list table inet rpn >/dev/null 2>&1 && fail "--teardown left the table"
nsx cloud nft list table inet foreign >/dev/null 2>&1 || fail "--teardown removed a foreign table"
[ -z "$(nsx cloud ip rule list | grep 'proto 114')" ] || fail "--teardown left rules"
[ -z "$(nsx cloud ip route show table all | grep 'proto 114')" ] || fail "--teardown left routes"
[ "$(nsx cloud sysctl -n net.ipv4.conf.eth1.rp_filter)" = 0 ] ||
    fail "--teardown did not put rp_filter back on eth1"
say "rpnd --teardown (refused while running): table, rules, routes gone, rp_filter put back, foreign table kept"
