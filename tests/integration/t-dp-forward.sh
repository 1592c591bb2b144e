# t-dp-forward.sh: a service added once is forwarded by every node: from both
# LANs and from the internet through both uplinks of the two-homed cloud node
# (behind strict reverse-path filtering), with data checked both ways; private
# services stay private; UDP works; bad specs are refused.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

topo_build
topo_servers
topo_start

t0=$(date +%s.%N)
ctl siteb service add web tcp/8080 --to 100.64.2.10:80 --public >/dev/null
for n in cloud sitea siteb; do
	wait_until 100 0.02 'programmed '"$n"' web' || fail "web not programmed on $n"
done
# the kernel's state says since when it holds (null only before any)
ctl sitea status --json | jq -e '.kernel.state == "ok" and (.kernel.since | type) == "number"' >/dev/null ||
    fail "sitea's kernel state: $(ctl sitea status --json | jq -c .kernel)"
say "web added on siteb: programmed on all three after $(echo "$(date +%s.%N) - $t0" | bc | cut -c1-5) s"

[ "$(http clia http://100.64.1.1:8080/)" = srvb ] || fail "clia via sitea: '$(http clia http://100.64.1.1:8080/)'"
[ "$(http clib http://100.64.2.1:8080/)" = srvb ] || fail "clib via siteb (the owner)"
[ "$(http inet http://198.51.100.2:8080/)" = srvb ] || fail "internet via cloud uplink 1"
tx0=$(ip -n "$(ns cloud)" -s -j link show eth1 | jq '.[0].stats64.tx.packets')
[ "$(http inet http://198.51.100.18:8080/)" = srvb ] || fail "internet via cloud uplink 2 (return routing)"
tx1=$(ip -n "$(ns cloud)" -s -j link show eth1 | jq '.[0].stats64.tx.packets')
[ "$tx1" -gt "$tx0" ] || fail "the answer did not leave through uplink 2"
say "curl answered by site B's server from clia, clib, and the internet via both cloud uplinks"
say "(uplink 2's answers left through eth1: $((tx1 - tx0)) packets; rtr drops wrong-source packets)"

ctl siteb service add echo tcp/7000 --to 100.64.2.10:7 --public >/dev/null
wait_until 100 0.02 'programmed sitea echo && programmed cloud echo' || fail "echo not programmed"
echo_check clia 100.64.1.1 7000 || fail "1 MiB through sitea came back different"
echo_check inet 198.51.100.18 7000 || fail "1 MiB through cloud uplink 2 came back different"
say "1 MiB up and back intact: clia -> sitea -> siteb -> srvb, and internet -> cloud eth1 -> siteb -> srvb"

# private by default: members' LANs yes, the internet no; --allow opens a prefix
ctl siteb service add intra tcp/8081 --to 100.64.2.10:81 >/dev/null
wait_until 100 0.02 'programmed cloud intra && programmed sitea intra' || fail "intra not programmed"
[ "$(http clia http://100.64.1.1:8081/)" = intra ] || fail "private service refused to a member site's LAN"
[ -z "$(http inet http://198.51.100.2:8081/ 2)" ] || fail "private service answered the internet"
nsx cloud nft list chain inet rpn pre_dnat | grep 'counter packets [1-9]' >/dev/null ||
    fail "the refused connection was not counted"
say "private service: reached from clia, refused to the internet (and counted)"
ctl siteb service add partner tcp/8082 --to 100.64.2.10:81 --allow 203.0.113.10/32 >/dev/null
wait_until 100 0.02 'programmed cloud partner' || fail "partner not programmed"
[ "$(http inet http://198.51.100.2:8082/)" = intra ] || fail "--allow did not let 203.0.113.10 in"
say "--allow 203.0.113.10/32: the internet client gets through"
ctl siteb service show partner | contains "^access      allow from 203.0.113.10/32$" ||
    fail "service show partner: $(ctl siteb service show partner | grep access)"
# public with an --allow list: the list limits nothing, and show says so
ctl siteb service add pubal tcp/8083 --to 100.64.2.10:81 --allow 203.0.113.10/32 --public >/dev/null
ctl siteb service show pubal | contains "^access      public (anyone)$" ||
    fail "service show of a public service with --allow: $(ctl siteb service show pubal | grep -A1 access)"
ctl siteb service show pubal | contains "^allow       203.0.113.10/32 (no effect while public)$" ||
    fail "service show does not say the --allow list has no effect: $(ctl siteb service show pubal | grep -A1 access)"
ctl siteb service del pubal >/dev/null

ctl siteb service add dns udp/5353 --to 100.64.2.10:5353 >/dev/null
wait_until 100 0.02 'programmed sitea dns' || fail "dns not programmed"
out=$(echo hello-udp | nsx clia timeout 5 socat -t 2 - UDP:100.64.1.1:5353 2>/dev/null || true)
[ "$out" = hello-udp ] || fail "UDP service: got '$out'"
say "UDP service: a datagram from clia echoed back through sitea and siteb"

# what the table looks like (readable by nft, rules independent of services)
nsx sitea nft list table inet rpn > "$W/table.txt"
rules=$(grep -c '^\s*\(ct\|meta\|fib\|ip\|counter\|jump\|goto\|dnat\|masquerade\)' "$W/table.txt" || true)
say "sitea: table inet rpn holds $(grep -c '\. ' "$W/table.txt") map/set lines, $rules rule lines"

# refusals, each with a clear message and a non-zero exit
expect_fail "port 0" "a port is a number from 1 to 65535" ctl siteb service add x tcp/0 --to 100.64.2.10:80
expect_fail "port 65536" "a port is a number from 1 to 65535" ctl siteb service add x tcp/65536 --to 100.64.2.10:80
expect_fail "port 80x" "bad port in \"tcp/80x\": a port is a number from 1 to 65535" \
    ctl siteb service add x tcp/80x --to 100.64.2.10:80
expect_fail "bad protocol" "tcp/PORT or udp/PORT" ctl siteb service add x sctp/80 --to 100.64.2.10:80
expect_fail "bad address" "bad --to" ctl siteb service add x tcp/9000 --to 100.64.2.300:80
expect_fail "no --to" "missing --to" ctl siteb service add x tcp/9000
expect_fail "unknown node" "no member is named" ctl siteb service add x tcp/9000 --to 100.64.2.10:80 --node mars
expect_fail "duplicate" "already has a backend" ctl siteb service add web tcp/8080 --to 100.64.2.10:80
expect_fail "same name, other port" "every backend must use the same" \
    ctl sitea service add web tcp/9090 --to 100.64.1.10:80
expect_fail "port of another service" "already used by service web" \
    ctl sitea service add other tcp/8080 --to 100.64.1.10:80
expect_fail "rpn's own port" "rpn's own" ctl sitea service add x tcp/7480 --to 100.64.1.10:80
expect_fail "bad --allow" "host bits" ctl sitea service add x tcp/9000 --to 100.64.1.10:80 --allow 203.0.113.5/24
expect_fail "delete unknown" "no service" ctl sitea service del nosuch
ctl siteb service list --json | jq -e '.services | length == 5' >/dev/null || fail "refusals changed the services"

# the node itself: any of its own addresses reaches the service; loopback
# is left to local sockets (a local app on 127.0.0.1:8080 keeps its port)
for a in 198.51.100.2 198.51.100.18; do
	[ "$(http cloud "http://$a:8080/")" = srvb ] || fail "cloud to its own $a:8080"
done
[ "$(http siteb http://198.51.100.50:8080/)" = srvb ] || fail "siteb (the owner) to its own address"
[ "$(http sitea http://100.64.1.1:8080/)" = srvb ] || fail "sitea to its own LAN address"
http_handler "$W/lo.sh" cloud-loopback
nsx cloud socat TCP-LISTEN:8080,bind=127.0.0.1,fork,reuseaddr EXEC:"$W/lo.sh" >/dev/null 2>&1 &
wait_for 50 0.1 listening cloud tcp 127.0.0.1:8080 || fail "the loopback server did not start"
[ "$(http cloud http://127.0.0.1:8080/)" = cloud-loopback ] ||
    fail "cloud's own 127.0.0.1:8080 was taken over: '$(http cloud http://127.0.0.1:8080/)'"
[ "$(http cloud http://198.51.100.2:8080/)" = srvb ] || fail "a loopback listener stopped the service on cloud"
say "from the nodes themselves: own uplink and LAN addresses reach web; 127.0.0.1:8080 stays local"
