# t-selfclaim.sh: what a member says about itself is checked
# (docs/security.md, defence 23).  A member's node record, signed with its
# own key by `rpn-tool node-record` (none of rpnd's checks), claims an
# internet host's address (203.0.113.77) and two LAN prefixes that need an
# operator's approval: 0.0.0.0/1 (half the internet) and 100.64.0.0/16
# (private, but it holds another member's address).  Every other node
# keeps them out of its member and LAN sets and counts them, so a client
# at 203.0.113.77 cannot open a private service, while the member's real
# address stays in the set and reaches it.  A multi-homed node's second
# address, which never sends gossip, is proven by a challenge; proofs
# survive a restart, so new connections from members to a private service
# through a restarted node never fail.  Fails on the code before: the
# forged address entered every node's member set and 203.0.113.77 reached
# the private service.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

tool=$RPN_BUILD/rpn-tool
as_rpn="setpriv --reuid=_rpn --regid=_rpn --clear-groups"

# in_set NODE SET ADDR: the node's nft set SET holds ADDR.
in_set() {
	nsx "$1" nft get element inet rpn "$2" "{ $3 }" >/dev/null 2>&1
}
node_id() {
	ctl "$1" status --json | jq -r --arg n "$2" '.members[] | select(.name == $n) | .id'
}

topo_build
topo_cloud_dhcp
topo_servers
topo_start auto
ctl siteb service add intranet tcp/8081 --to 100.64.2.10:81 >/dev/null
ctl siteb service add web tcp/8080 --to 100.64.2.10:80 --public >/dev/null
wait_until 100 0.05 'programmed cloud intranet && programmed cloud web' ||
    fail "the services are not programmed on cloud"
for n in cloud siteb; do
	wait_until 100 0.05 'in_set '"$n"' members4 198.51.100.34' ||
	    fail "$n's member set does not hold sitea's address 198.51.100.34"
done
[ "$(http sitea http://198.51.100.2:8081/)" = intra ] ||
    fail "sitea (a member) does not reach the private service through cloud"
[ -z "$(http inet http://198.51.100.2:8081/)" ] ||
    fail "the internet reaches the private service"
say "sitea's address is proven on cloud and siteb; sitea reaches the private service, the internet does not"

# Every real address proven before the count below is taken, so that it
# can only rise for the forged one: cloud's second uplink sends nothing
# and is proven by a stream, from 3 s after the mesh formed.
wait_until 150 0.1 '[ "$(counter cloud addrs_unproven)" -eq 0 ] &&
    [ "$(counter siteb addrs_unproven)" -eq 0 ]' ||
    fail "real addresses still unproven: cloud $(counter cloud addrs_unproven), siteb $(counter siteb addrs_unproven)"

# sitea turns rogue: its rpnd stops (its kernel state stays, so its own
# address still works) and a record in its name claims more.
wait_until 100 0.1 saved_members sitea || fail "sitea's state file is behind"
id_cloud=$(node_id cloud cloud) id_siteb=$(node_id siteb siteb)
stop sitea
ua=$(counter cloud addrs_unproven) ub=$(counter siteb addrs_unproven)
nsx sitea $as_rpn "$tool" node-record "$W/sitea/state" 198.51.100.2 \
    "$id_cloud" addr 203.0.113.77 lan 0.0.0.0/1 lan 100.64.0.0/16 ||
    fail "rpn-tool node-record failed"
nsx sitea $as_rpn "$tool" node-record "$W/sitea/state" 198.51.100.50 \
    "$id_siteb" addr 203.0.113.77 lan 0.0.0.0/1 lan 100.64.0.0/16 \
    >/dev/null || fail "rpn-tool node-record failed"
for n in cloud siteb; do
	wait_until 100 0.1 'ctl '"$n"' status --json | jq -e ".members[] |
	    select(.name == \"sitea\") | .addrs | index(\"203.0.113.77:7480\")" >/dev/null' ||
	    fail "$n did not take sitea's new node record"
done
say "a node record in sitea's name, signed with its key, adds 203.0.113.77 and LANs 0.0.0.0/1, 100.64.0.0/16"

# The record is stored; wait until each node has computed its sets from it
# (the counter of refused LANs says so, or the foreign address shows up in
# the kernel), then look at the kernel.
for n in cloud siteb; do
	wait_until 100 0.1 'in_set '"$n"' members4 203.0.113.77 ||
	    [ "$(counter '"$n"' lans_unapproved)" -ge 2 ] 2>/dev/null' ||
	    fail "$n: lans_unapproved is $(counter "$n" lans_unapproved), want 2"
	in_set "$n" members4 203.0.113.77 &&
	    fail "$n's member set holds the foreign address 203.0.113.77"
	for a in 1.2.3.4 100.64.200.1; do
		in_set "$n" lans4 "$a" && fail "$n's LAN set holds $a"
	done
	in_set "$n" members4 198.51.100.34 ||
	    fail "$n's member set lost sitea's real address"
	in_set "$n" lans4 100.64.1.10 || fail "$n's LAN set lost sitea's real LAN"
done
wait_until 100 0.1 '[ "$(counter cloud addrs_unproven)" -gt "$ua" ] &&
    [ "$(counter siteb addrs_unproven)" -gt "$ub" ]' ||
    fail "addrs_unproven did not rise: cloud $ua -> $(counter cloud addrs_unproven), siteb $ub -> $(counter siteb addrs_unproven)"
say "cloud and siteb: 203.0.113.77 not in members4, neither LAN in lans4, sitea's real address and LAN still in (addrs_unproven $(counter cloud addrs_unproven)/$(counter siteb addrs_unproven), lans_unapproved $(counter cloud lans_unapproved)/$(counter siteb lans_unapproved))"

# A client at the foreign address: it reaches cloud (the public service
# answers it), but not the private one; sitea's real address does.
nsx inet ip addr add 203.0.113.77/24 dev eth0
[ "$(nsx inet curl -s --max-time 3 --interface 203.0.113.77 http://198.51.100.2:8080/)" = srvb ] ||
    fail "203.0.113.77 does not reach cloud's public service"
[ -z "$(nsx inet curl -s --max-time 3 --interface 203.0.113.77 http://198.51.100.2:8081/ || true)" ] ||
    fail "203.0.113.77 (claimed by sitea, never proven) opens the private service"
[ "$(http sitea http://198.51.100.2:8081/)" = intra ] ||
    fail "sitea's real address no longer reaches the private service"
say "203.0.113.77 gets the public service, not the private one; sitea's real address still gets it"

# cloud's second uplink address never carries gossip (its default route
# is the first); it entered the others' sets by answering a challenge.
in_set siteb members4 198.51.100.18 ||
    fail "siteb's member set does not hold cloud's second address 198.51.100.18"
[ "$(counter siteb addr_challenges)" -gt 0 ] || fail "siteb sent no challenge"
say "cloud's second address 198.51.100.18 proven on siteb by a challenge (addr_challenges $(counter siteb addr_challenges))"

# An operator approves one of the two prefixes: that one enters the LAN
# sets, the other stays out.
ctl cloud lan approve sitea 100.64.0.0/16 >/dev/null
for n in cloud siteb; do
	wait_until 100 0.1 'in_set '"$n"' lans4 100.64.200.1' ||
	    fail "$n: the approved prefix 100.64.0.0/16 is not in lans4"
	in_set "$n" lans4 1.2.3.4 && fail "$n: the unapproved 0.0.0.0/1 entered lans4"
	[ "$(counter "$n" lans_unapproved)" -eq 1 ] ||
	    fail "$n: lans_unapproved is $(counter "$n" lans_unapproved), want 1"
done
say "an operator approves 100.64.0.0/16 for sitea: it enters lans4 on cloud and siteb; 0.0.0.0/1 stays out"

# sitea comes back: its own record replaces the forged one everywhere, and
# what it no longer advertises leaves the counts.
start sitea
for n in cloud siteb; do
	wait_until 100 0.1 '[ "$(counter '"$n"' lans_unapproved)" -eq 0 ] &&
	    [ "$(counter '"$n"' addrs_unproven)" -le "$ua" ]' ||
	    fail "$n still counts sitea's forged claims"
done
wait_until 100 0.05 '[ "$(count_alive sitea)" -eq 3 ]' || fail "sitea did not come back"
say "sitea restarted: its own record replaced the forged one (lans_unapproved 0)"

# Restarts keep the proofs (the state file): new connections from a member
# to a private service through the restarted node, every 50 ms, never fail.
for node in cloud siteb; do
	wait_until 100 0.1 saved_members "$node" || fail "$node's state file is behind"
	conn_loop sitea http://198.51.100.2:8081/ 5 "$W/conns-$node" &
	cl=$!
	wait_until 50 0.1 'grep -q ok "$W/conns-$node"' ||
	    fail "no connection from sitea before the restart of $node"
	stop "$node"
	start "$node"
	wait_until 100 0.05 '[ "$(count_alive '"$node"')" -eq 3 ]' ||
	    fail "$node did not come back"
	wait "$cl"
	n=$(attempts "$W/conns-$node") f=$(fails "$W/conns-$node")
	[ "$f" -eq 0 ] || fail "restart of $node: $f of $n new connections from sitea failed"
	say "restart of $node's rpnd: $n new connections from a member to a private service, 0 failed"
done
