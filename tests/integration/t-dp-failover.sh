# t-dp-failover.sh: a service with two owners spreads new connections over
# both; when one owner fails or removes its backend, every node stops sending
# it new connections.  A backend is added on another node with --node.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

topo_build
topo_servers
topo_start

ctl siteb service add web tcp/8080 --to 100.64.2.10:80 --public >/dev/null
# The operator's grant for a second owner is made from what cloud sees:
# let web reach it first.
wait_until 50 0.1 'ctl cloud service show web >/dev/null 2>&1' || fail "web did not reach cloud"
# from the cloud node, a backend on sitea (sitea signs it itself)
ctl cloud service add web tcp/8080 --to 100.64.1.10:80 --node sitea --public >/dev/null
wait_until 100 0.05 '[ "$(ctl cloud status --json | jq "[.services[] | select(.name == \"web\") | .forwarding.to[]] | length")" -eq 2 ]' ||
    fail "cloud does not forward web to two owners"
say "web has two owners (siteb, and sitea added from the cloud node with --node)"

spread() {	# 24 requests from the internet through cloud: who answered
	local i
	for i in $(seq 24); do http inet http://198.51.100.2:8080/; done | grep . | sort | uniq -c | tr -s ' ' | tr '\n' ';'
}
out=$(spread)
echo "$out" | grep srvb >/dev/null && echo "$out" | grep clia >/dev/null || fail "no spread over both owners: $out"
say "24 new connections via cloud: $out"

t0=$(date +%s.%N)
crash siteb
wait_for 300 0.1 all_see failed siteb cloud sitea || fail "siteb not reported failed"
say "siteb's rpnd killed: failed everywhere after $(echo "$(date +%s.%N) - $t0" | bc | cut -c1-4) s"
wait_until 50 0.1 '[ "$(ctl cloud status --json | jq "[.services[] | select(.name == \"web\") | .forwarding.to[]] | length")" -eq 1 ]' ||
    fail "cloud still forwards to the failed owner"
out=$(spread)
[ "$out" = " 24 clia;" ] || fail "new connections still reach the failed owner: $out"
say "after the failure all 24 new connections went to sitea: $out"

start siteb $(topo_args siteb)
wait_for 200 0.1 all_see alive siteb cloud sitea || fail "siteb did not come back"
wait_until 50 0.1 '[ "$(ctl cloud status --json | jq "[.services[] | select(.name == \"web\") | .forwarding.to[]] | length")" -eq 2 ]' ||
    fail "siteb did not get connections again"
say "siteb restarted: alive and serving again"

# removing a backend (on its own node) is seen everywhere
ctl siteb service del web >/dev/null
wait_until 50 0.1 '[ "$(ctl cloud status --json | jq "[.services[] | select(.name == \"web\") | .forwarding.to[]] | length")" -eq 1 ]' ||
    fail "the deleted backend is still used"
out=$(spread)
[ "$out" = " 24 clia;" ] || fail "the deleted backend got connections: $out"
ctl cloud service del web --node sitea >/dev/null
wait_until 50 0.1 'ctl siteb status --json | jq -e "[.services[] | select(.name == \"web\")] | length == 0" >/dev/null' ||
    fail "web did not disappear"
[ -z "$(http inet http://198.51.100.2:8080/ 2)" ] || fail "a removed service still answers"
say "backends removed (one locally, one with --node): web is gone everywhere"
expect_fail "deleting it again" "no service is named" ctl sitea service del web

# once the mesh has operators, changing another node's backends needs an
# operator's order: without the key, refused (remote-services is replaced)
expect_fail "--node without an operator key" "operator" \
    env RPN_OPERATOR_KEY="$W/none" "$RPN_BUILD/rpnctl" -s "$(sock cloud)" \
    service add x tcp/9100 --to 100.64.1.10:80 --node sitea
ctl sitea service list --json | jq -e '.services | length == 0' >/dev/null ||
    fail "the refused request added a service"
