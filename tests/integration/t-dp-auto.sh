# t-dp-auto.sh: the origin scenario with no interface options.  A cloud VM
# with two NICs, each with a DHCP default route (metrics 100 and 200),
# behind a router with strict reverse-path filtering: rpnd must find both
# uplinks by itself, answer a service through both uplink addresses (each
# reply out of the NIC it came in on), and never put an uplink's subnet in
# the set of sources allowed to use private services.  Fails on the code
# before auto-detection of uplinks: eth1 was taken for a LAN.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

topo_build
topo_cloud_dhcp
topo_servers
topo_start auto

st=$(ctl cloud status --json)
echo "$st" | jq -e '[.uplinks[] | select(.source == "auto") | .iface] == ["eth0", "eth1"]' \
    >/dev/null || fail "cloud's uplinks: $(echo "$st" | jq -c .uplinks)"
echo "$st" | jq -e '.uplinks[1] | .gateway == "198.51.100.17" and .table == 102 and .metric == 200' \
    >/dev/null || fail "uplink eth1: $(echo "$st" | jq -c '.uplinks[1]')"
echo "$st" | jq -e '.lans == [] and .lan_prefixes == []' >/dev/null ||
    fail "cloud advertises LANs: $(echo "$st" | jq -c '[.lans, .lan_prefixes]')"
ctl siteb status --json | jq -e '.lan_prefixes == ["100.64.2.0/24"] and
    .uplinks[0].iface == "eth0" and .lans[0] == {"iface": "lan0", "source": "auto"}' \
    >/dev/null || fail "siteb: $(ctl siteb status --json | jq -c '[.uplinks, .lans, .lan_prefixes]')"
say "found by rpnd: cloud uplinks eth0 (metric 100) and eth1 (metric 200), no LAN; siteb LAN lan0 100.64.2.0/24"

ctl siteb service add web tcp/8080 --to 100.64.2.10:80 --public >/dev/null
ctl siteb service add echo tcp/7000 --to 100.64.2.10:7 --public >/dev/null
ctl siteb service add intra tcp/8081 --to 100.64.2.10:81 >/dev/null
wait_until 100 0.02 'programmed cloud web && programmed cloud echo && programmed cloud intra' ||
    fail "services not programmed on cloud"
for a in 198.51.100.2 198.51.100.18; do
	[ "$(http inet "http://$a:8080/")" = srvb ] || fail "internet via $a: no answer"
	echo_check inet "$a" 7000 || fail "1 MiB through $a came back different"
done
say "internet -> cloud eth0 and eth1 -> siteb -> srvb: HTTP and 1 MiB echoed intact"

nsx cloud nft list table inet rpn > "$W/table.txt"
if grep -E '198\.51\.100\.(0|16)/28' "$W/table.txt" >/dev/null; then
	fail "an uplink subnet is an allowed source: $(grep -E '198\.51\.100\.' "$W/table.txt")"
fi
[ -z "$(http inet http://198.51.100.18:8081/ 2)" ] || fail "private service answered the internet via eth1"
say "allow4 holds no uplink subnet; the private service is refused through eth1"
for i in 101 102; do
	nsx cloud ip route show table "$i" | grep default >/dev/null ||
	    fail "table $i has no default route"
done
