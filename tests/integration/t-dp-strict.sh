# t-dp-strict.sh: a two-homed node that itself runs strict reverse-path
# filtering (net.ipv4.conf.all.rp_filter=1) keeps it strict and switches to
# the both-directions mark restore (docs/dataplane.md, R7): connections
# through either uplink are answered, data intact both ways, and the node's
# own reverse-path filter drops nothing.  (The default, R9, would have to
# loosen the uplinks to rp_filter=2.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

topo_build
topo_servers
nsx cloud sysctl -qw net.ipv4.conf.all.rp_filter=1
topo_start
grep -q "restoring the uplink mark in both directions" "$W/cloud/log" ||
    fail "cloud did not choose strict-rpf"
nsx cloud nft list chain inet rpn pre > "$W/pre.txt"
head -4 "$W/pre.txt" | grep 'ct direction reply' >/dev/null &&
    fail "strict-rpf chain still restores on replies only"
for i in eth0 eth1; do
	[ "$(nsx cloud sysctl -n "net.ipv4.conf.$i.src_valid_mark")" = 1 ] ||
	    fail "src_valid_mark not set on $i"
	[ "$(nsx cloud sysctl -n "net.ipv4.conf.$i.rp_filter")" != 2 ] ||
	    fail "rpn loosened rp_filter on $i"
done
say "cloud (all.rp_filter=1) runs strict-rpf: restore on every packet, src_valid_mark=1, rp_filter left strict"

ctl siteb service add web tcp/8080 --to 100.64.2.10:80 --public >/dev/null
ctl siteb service add echo tcp/7000 --to 100.64.2.10:7 --public >/dev/null
wait_until 100 0.02 'programmed cloud web && programmed cloud echo' || fail "not programmed on cloud"
rpf0=$(nsx cloud nstat -az TcpExtIPReversePathFilter | awk '/IPReversePath/ {print $2}')
for a in 198.51.100.2 198.51.100.18; do
	[ "$(http inet "http://$a:8080/")" = srvb ] || fail "internet via $a"
	echo_check inet "$a" 7000 || fail "1 MiB through $a came back different"
done
rpf1=$(nsx cloud nstat -az TcpExtIPReversePathFilter | awk '/IPReversePath/ {print $2}')
[ "${rpf1:-0}" = "${rpf0:-0}" ] || fail "cloud's strict rp_filter dropped $((rpf1 - rpf0)) packets"
say "internet -> cloud eth0 and eth1 -> siteb -> srvb: HTTP and 1 MiB echoed intact, no rp_filter drops"
