# t-dp-lans.sh: LAN prefixes are limited only by memory.  25 nodes with 200
# LAN prefixes each (5,000 across the mesh, some of them overlapping) join
# one mesh; every node programs all of them (overlaps merged, since the
# kernel's interval sets refuse overlapping elements).  Fails on the code
# before: a node advertised at most 16, kept at most 64 mesh-wide, and the
# parent could stop on the 65th.
. "$(dirname "$0")/lib.sh"

N=${LANS_NODES:-25}
hub
for i in $(seq 1 "$N"); do
	node "n$i" "198.51.100.$i"
	# a LAN interface with 200 prefixes: 10.i.y.0/25, y = 0..199 (never
	# adjacent, so the kernel keeps 200 ranges per node)
	nsx "n$i" ip link add lan0 type veth peer name lan0p
	for y in $(seq 0 199); do echo "addr add 10.$i.$y.1/25 dev lan0"; done |
	    nsx "n$i" ip -batch -
	nsx "n$i" ip link set lan0 up
done
# overlaps: n1 also has 10.2.0.0/16 (n2's prefixes) and 10.1.5.0/24 (its own /25)
nsx n1 ip addr add 10.2.0.1/16 dev lan0
nsx n1 ip addr add 10.1.5.200/24 dev lan0
say "$(date +%T.%N | cut -c1-12) topology built"
for i in $(seq 1 "$N"); do start "n$i"; done
[ "$(ctl n2 status --json | jq '.lan_prefixes | length')" -eq 200 ] ||
    fail "n2 advertises $(ctl n2 status --json | jq '.lan_prefixes | length') LAN prefixes, not 200"
# Each node advertises its uplink address only: by default it would also
# advertise addresses of its LAN, and n1's 10.2.0.0/16 would then hold one
# of n2's, which makes it a prefix that needs an operator's approval
# (docs/security.md, defence 23; t-selfclaim).
rpn n1 init --name n1 --advertise "$(addr n1)" >/dev/null
for i in $(seq 2 "$N"); do
	tok=$(ctl n1 invite)
	rpn "n$i" join "$(addr n1)" --token "$tok" --name "n$i" \
	    --advertise "$(addr "n$i")" >/dev/null
done
say "$(date +%T.%N | cut -c1-12) $N nodes joined, 200 LAN prefixes each (n1: 202)"

# every node holds every prefix: 5,000 (+2) prefixes, merged into ranges:
# n1's 10.1.5.0/24 joins its 10.1.5.0/25 and the adjacent 10.1.6.0/25, and
# its 10.2.0.0/16 swallows n2's 200 and touches n3's 10.3.0.0/25.
want=$(( 199 + (N - 2) * 200 ))
for i in 1 2 3 "$N"; do
	wait_until 300 0.1 '[ "$(nsx n'"$i"' nft -j list set inet rpn lans4 |
	    jq "[.nftables[] | .set? | select(.) | .elem[]?] | length")" -eq '"$want"' ]' ||
	    fail "n$i's lans4 has $(nsx "n$i" nft -j list set inet rpn lans4 | jq '[.nftables[] | .set? | select(.) | .elem[]?] | length') ranges, want $want"
done
for a in 10.1.5.130 10.2.7.200 10.$N.199.100; do
	nsx n3 nft get element inet rpn lans4 "{ $a }" >/dev/null 2>&1 ||
	    fail "n3's lans4 does not hold $a"
done
nsx n3 nft get element inet rpn lans4 '{ 10.3.0.200 }' >/dev/null 2>&1 &&
    fail "n3's lans4 holds 10.3.0.200, outside every prefix"
grep -l "fatal" "$W"/n*/log >/dev/null 2>&1 && fail "a node stopped: $(grep -h fatal "$W"/n*/log | head -3)"
say "nodes 1, 2, 3 and $N hold all $((N * 200 + 2)) prefixes as $want ranges (overlaps merged)"
