# t-dp-udp.sh: a UDP service moves to another owner; the stale conntrack
# entries that still point at the old one are deleted, so a client that
# keeps its source port reaches the new owner at once instead of talking to
# the old one until the UDP timeout (kube-proxy #139628).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

topo_build
topo_start
# UDP servers that name their host
for who in srvb clia; do
	nsx "$who" "$RPN_BUILD/rpn-tool" udp-serve 5354 "$who" >/dev/null 2>&1 &
done
wait_until 50 0.1 'listening srvb udp 5354 && listening clia udp 5354' ||
    fail "the UDP servers did not start"

ask() {	# one datagram from the internet client, always from source port 40000
	echo q | nsx inet timeout 5 socat -t 1 - \
	    UDP:198.51.100.2:5354,sourceport=40000,reuseaddr 2>/dev/null | head -1
}
owners() {
	ctl cloud status --json | jq -r '[.services[] | select(.name == "who") | .forwarding.to[]] | join(",")'
}

ctl siteb service add who udp/5354 --to 100.64.2.10:5354 --public >/dev/null
wait_until 100 0.05 '[ "$(owners)" = 198.51.100.50:5354 ]' || fail "who not programmed on cloud"
[ "$(ask)" = srvb ] || fail "the first datagram was not answered by srvb"
[ "$(ask)" = srvb ] || fail "the second datagram was not answered by srvb"
say "internet:40000 -> cloud -> siteb -> srvb, twice (one conntrack entry on cloud)"

# the service moves: a backend on sitea, then siteb's removed
ctl sitea service add who udp/5354 --to 100.64.1.10:5354 --public >/dev/null
ctl siteb service del who >/dev/null
wait_until 100 0.05 '[ "$(owners)" = 198.51.100.34:5354 ]' || fail "cloud does not forward who to sitea"
got=$(ask)
[ "$got" = clia ] || fail "same source port after the move: answered by '${got:-nobody}', not clia (stale conntrack entry kept)"
say "same client port after the move: answered by clia at once (the stale entry was deleted)"
