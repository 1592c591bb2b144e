# t-dp-plain.sh: uplink marks only where a node needs them.  The sites
# have one uplink each, found by its default route (rpnd with no interface
# options), so replies route the same with or without a mark: their tables
# have no per-packet chain (no pre, no out, no stamp or restore), and every
# rpn decision is in the NAT chains, once per connection.  The cloud node
# has two uplinks and keeps the mark restore.  Real traffic both ways:
# HTTP and 1 MiB echoed through sitea from its LAN and from the internet
# (the upstream router drops wrong-source packets), and through cloud's
# second uplink.  Fails on the code before: every node had pre and out.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

topo_build
topo_cloud_dhcp
topo_servers
topo_start auto
ctl siteb service add web tcp/8080 --to 100.64.2.10:80 --public >/dev/null
ctl siteb service add echo tcp/7000 --to 100.64.2.10:7 --public >/dev/null
wait_until 100 0.05 'programmed sitea web && programmed sitea echo &&
    programmed cloud web && programmed cloud echo' || fail "not programmed"

for n in sitea siteb; do
	nsx "$n" nft list table inet rpn > "$W/$n.nft"
	for c in pre out stamp_1 restore_1; do
		grep -q "chain $c {" "$W/$n.nft" && fail "$n (one uplink, found by its default route) has chain $c"
	done
	grep -q "nic_restore" "$W/$n.nft" && fail "$n has the uplink maps"
done
wait_until 50 0.1 'nsx cloud nft list chain inet rpn pre | contains nic_restore' ||
    fail "cloud (two uplinks) lost its mark restore"
say "sitea and siteb: no per-packet chain, no marks; cloud (two uplinks): the mark restore in pre"

[ "$(http clia http://100.64.1.1:8080/)" = srvb ] || fail "clia via sitea"
[ "$(http inet http://198.51.100.34:8080/)" = srvb ] || fail "internet via sitea's uplink"
echo_check clia 100.64.1.1 7000 || fail "1 MiB through sitea from its LAN came back different"
echo_check inet 198.51.100.34 7000 || fail "1 MiB through sitea's uplink came back different"
[ "$(http inet http://198.51.100.18:8080/)" = srvb ] || fail "internet via cloud uplink 2"
echo_check inet 198.51.100.18 7000 || fail "1 MiB through cloud's uplink 2 came back different"
say "HTTP and 1 MiB echoed through sitea from clia and from the internet, and through cloud's eth1"

# a private service is still refused to the internet, by the NAT chain, and counted
ctl siteb service add intra tcp/8081 --to 100.64.2.10:81 >/dev/null
wait_until 100 0.05 'programmed sitea intra' || fail "intra not programmed"
[ "$(http clia http://100.64.1.1:8081/)" = intra ] || fail "private service refused to sitea's LAN"
[ -z "$(http inet http://198.51.100.34:8081/ 2)" ] || fail "private service answered the internet"
nsx sitea nft list chain inet rpn pre_dnat | contains 'counter packets [1-9]' ||
    fail "the refused connection was not counted"
say "private service: reached from clia, refused to the internet by pre_dnat (and counted)"
