# t-dp-flap.sh: rpnd follows the host's interfaces without a restart.  The
# second uplink of the two-NIC cloud node goes down and up, and its DHCP
# client puts the default route back: per-uplink table 102 is refilled and
# return routing through eth1 works again at once (nothing fails 1 s after
# the route is back), and a long-lived flow through eth1 survives.  A
# LAN address added at run time is advertised to every node, and a sysctl
# someone resets is put back.  Fails on the code before: table 102 stayed
# empty until a restart.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

topo_build
topo_cloud_dhcp
topo_servers
topo_start auto
ctl siteb service add web tcp/8080 --to 100.64.2.10:80 --public >/dev/null
ctl siteb service add echo tcp/7000 --to 100.64.2.10:7 --public >/dev/null
wait_until 100 0.02 'programmed cloud web && programmed cloud echo' || fail "not programmed"

conn_loop inet http://198.51.100.18:8080/ 7 "$W/conns" &
cl=$!
long_flow inet 198.51.100.18 7000 7 "$W/flow" &
fl=$!
# the flap comes once both carry traffic through eth1
wait_until 50 0.1 'grep -q ok "$W/conns" && [ -s "$W/flow" ]' ||
    fail "no traffic through eth1 before the flap"
down=$(date +%s%3N)
nsx cloud ip link set eth1 down
sleep 0.5	# the scenario: the link stays down for half a second
nsx cloud ip link set eth1 up
# what the DHCP client does when the link comes back
nsx cloud ip route replace default via 198.51.100.17 dev eth1 metric 200
back=$(date +%s%3N)
wait_until 50 0.02 'nsx cloud ip route show table 102 | contains default' ||
    fail "table 102 was not refilled after the flap"
say "table 102 refilled $(( $(date +%s%3N) - back )) ms after the default route came back"
wait "$cl" "$fl"
during=$(fails "$W/conns" "$down" "$back")
after=$(fails "$W/conns" $((back + 1000)))
late=$(fails "$W/conns" "$back" $((back + 1000)))
[ "$after" -eq 0 ] || fail "$after connections via eth1 failed more than 1 s after the route came back"
# How long the failures lasted is reported, not asserted: it is the half
# second the link is down plus however long this loaded host takes to run
# "ip" twice (over 1 s under ASan on two busy cores).  What is asserted is
# the limit that matters: nothing fails 1 s after the route is back.
failed_ms=$(awk -v a="$down" '$2 == "fail" && $1 >= a { if (!f) f = $1; l = $1 } END { print l - f + 0 }' "$W/conns")
flow_intact "$W/flow" 7 || fail "the long-lived flow via eth1 broke ($(wc -l < "$W/flow") of 70 lines)"
say "flap of eth1: $(attempts "$W/conns") connections, $during failed while down, $late in the second after, 0 later (failures over $failed_ms ms); flow intact"

# The link back, its DHCP client slow to put the route back: table 102
# keeps the gateway eth1 had, and eth1 answers before the route returns
# (fails on the code before: table 102 stayed empty until the route).
nsx cloud ip link set eth1 down
sleep 0.5	# the scenario: the link stays down for half a second
nsx cloud ip link set eth1 up
wait_until 50 0.05 'nsx cloud ip route show table 102 | contains "^default via 198.51.100.17 "' ||
    fail "table 102 has no default route while main has none via eth1"
wait_until 50 0.1 '[ "$(http inet http://198.51.100.18:8080/)" = srvb ]' ||
    fail "no answer through eth1 before its DHCP route came back"
nsx cloud ip route show default | contains "dev eth1" &&
    fail "main has a default route via eth1 already: the check above proved nothing"
nsx cloud ip route replace default via 198.51.100.17 dev eth1 metric 200
say "eth1 down 0.5 s and up, its route not back yet: table 102 kept its gateway, eth1 answered"

# The other uplink, eth0, which also carries the leg to siteb (main's
# default route) of the flows that come in on eth1: its address removed
# and put back as a DHCP client re-applying its lease does, then the link
# down for half a second.  Flows in through either uplink live on: the
# kernel forgets the translations of a masquerade's device on both events
# (masq_device_event, masq_inet_event), and a flow in on eth1 was reset
# by siteb, its leg's port given to another (fails on the code before:
# the eth1 flow broke, 13-19 of 80 lines).
# lease DEV OLD NEW GW METRIC: cloud's DHCP client on DEV swaps address
# OLD/28 for NEW/28 (the same one, re-applied) and puts its route back.
lease() {
	nsx cloud ip addr del "$2/28" dev "$1"
	nsx cloud ip addr add "$3/28" dev "$1"
	nsx cloud ip route replace default via "$4" dev "$1" metric "$5"
}
long_flow inet 198.51.100.2 7000 8 "$W/f0" &
f0=$!
long_flow inet 198.51.100.18 7000 8 "$W/f1" &
f1=$!
wait_until 50 0.1 '[ -s "$W/f0" ] && [ -s "$W/f1" ]' ||
    fail "no flow through both uplinks before eth0's events"
lease eth0 198.51.100.2 198.51.100.2 198.51.100.1 100
wait_until 50 0.1 '[ "$(wc -l < "$W/f1")" -ge 25 ]' ||
    fail "the flow via eth1 stalled after eth0's address came back"
nsx cloud ip link set eth0 down
sleep 0.5	# the scenario: the link stays down for half a second
nsx cloud ip link set eth0 up
nsx cloud ip route replace default via 198.51.100.1 dev eth0 metric 100
wait "$f0" "$f1"
flow_intact "$W/f0" 8 || fail "the flow in via eth0 broke ($(wc -l < "$W/f0") of 80 lines)"
flow_intact "$W/f1" 8 || fail "the flow in via eth1 broke when eth0 flapped ($(wc -l < "$W/f1") of 80 lines)"
say "eth0's address re-applied, then eth0 down 0.5 s: the flows in through eth0 and eth1 intact"
wait_until 50 0.1 '[ "$(http inet http://198.51.100.2:8080/)" = srvb ]' ||
    fail "no new connection via eth0 after its flap"

# A new lease with another address on eth1: nic_snat follows it, and the
# new address answers.
snat_of() { nsx cloud nft list map inet rpn nic_snat | grep -o "\"$1\" : [0-9.]*" | awk '{print $3}'; }
[ "$(snat_of eth1)" = 198.51.100.18 ] || fail "nic_snat maps eth1 to '$(snat_of eth1)', not 198.51.100.18"
lease eth1 198.51.100.18 198.51.100.19 198.51.100.17 200
wait_until 100 0.05 '[ "$(snat_of eth1)" = 198.51.100.19 ]' ||
    fail "nic_snat did not follow eth1's new address: '$(snat_of eth1)'"
wait_until 50 0.1 '[ "$(http inet http://198.51.100.19:8080/)" = srvb ]' ||
    fail "web does not answer at eth1's new address"
lease eth1 198.51.100.19 198.51.100.18 198.51.100.17 200
wait_until 100 0.05 '[ "$(snat_of eth1)" = 198.51.100.18 ]' ||
    fail "nic_snat did not follow eth1's address back: '$(snat_of eth1)'"
say "eth1 renumbered to .19 and back: nic_snat followed, web answered at .19"

# a new LAN at run time
nsx siteb ip link add lan1 type veth peer name lan1p
nsx siteb ip addr add 100.64.3.1/24 dev lan1
nsx siteb ip link set lan1 up
t0=$(date +%s%3N)
wait_until 100 0.02 'nsx cloud nft get element inet rpn lans4 "{ 100.64.3.7 }" >/dev/null 2>&1' ||
    fail "the new LAN 100.64.3.0/24 did not reach cloud's table"
say "siteb's new LAN 100.64.3.0/24 is an allowed source on cloud after $(( $(date +%s%3N) - t0 )) ms"
ctl siteb status --json | jq -e '.lan_prefixes | index("100.64.3.0/24")' >/dev/null ||
    fail "siteb's status does not list the new LAN"

# a sysctl put back
nsx cloud sysctl -qw net.ipv4.conf.eth1.rp_filter=1
wait_until 70 0.1 '[ "$(nsx cloud sysctl -n net.ipv4.conf.eth1.rp_filter)" = 2 ]' ||
    fail "rp_filter on eth1 was not put back"
say "rp_filter reset on eth1 by someone else: put back within 7 s"
