# t-leave.sh: rpn leave is seen as "left" (not "failed"); the leaving node
# withdraws its services (no member lists them within 2 s, and they do not
# come back when it rejoins) and removes rpn's kernel state; the node can
# join again.  The services part fails on the code before: the left node's
# service stayed listed as a conflict that nobody could delete.  Its old
# token is refused after the leave (a new one is needed): it was taken
# before, as a retry of the join it had made.
. "$(dirname "$0")/lib.sh"

hub
for i in 1 2 3; do node "n$i" "198.51.100.$i"; start "n$i"; done
mesh n1 n2
tok3=$(ctl n1 invite)	# n3's own token, tried again after it left
rpn n3 join "$(addr n1)" --token "$tok3" --name n3 >/dev/null
wait_until 100 0.1 '[ "$(count_alive n1)" -eq 3 ]' || fail "mesh did not form"

listed() {	# listed NODE SERVICE: NODE's service list has it
	ctl "$1" service list --json | jq -e --arg s "$2" 'any(.services[]; .name == $s)' >/dev/null
}
ctl n3 service add svc3 tcp/9003 --to 198.51.100.3:9 >/dev/null
wait_until 100 0.05 'listed n1 svc3 && listed n2 svc3' || fail "svc3 not listed"
nsx n3 nft list table inet rpn >/dev/null || fail "n3 has no table while in the mesh"
# a copy of n3's state directory, taken before it leaves
stop n3
cp -a "$W/n3/state" "$W/n3copy-state"
start n3
wait_for 100 0.1 all_see alive n3 n1 n2 || fail "n3 did not come back after its restart"
t0=$(date +%s%3N)
rpn n3 leave > "$W/leave.out" &
leaver=$!
wait_until 40 0.05 '! listed n1 svc3 && ! listed n2 svc3' || fail "svc3 still listed 2 s after n3 began to leave"
say "n3's service svc3 gone from every member $(( $(date +%s%3N) - t0 )) ms after rpn leave began"
wait "$leaver"
grep "left the mesh" "$W/leave.out" >/dev/null || fail "leave did not say so"
wait_for 50 0.1 all_see left n3 n1 n2 || fail "the others do not show n3 as left"
say "n3 left: n1 and n2 show it as left"
nsx n3 nft list table inet rpn >/dev/null 2>&1 && fail "rpn leave left n3's table"
out=$(ctl n3 status 2>&1) && fail "status exits 0 outside a mesh"
echo "$out" | grep "not in a mesh" >/dev/null || fail "status outside a mesh says: $out"
expect_fail "leave twice" "not in a mesh" rpn n3 leave
# no failure was ever reported for n3
ctl n1 status --json | jq -e '.members[] | select(.name == "n3") | .state == "left"' >/dev/null ||
    fail "n3 not left on n1"

# leaving is final for n3's key: its old state directory, started on
# another machine, gets nowhere (refused by n1 and n2, and counted)
node n3copy 198.51.100.33
mkdir -p "$W/n3copy"
cp -a "$W/n3copy-state" "$W/n3copy/state"
before=$(( $(counter n1 records_refused) + $(counter n2 records_refused) ))
start n3copy
wait_until 100 0.1 '[ $(( $(counter n1 records_refused) + $(counter n2 records_refused) )) -gt $before ]' ||
    fail "the copy's node record was not refused"
sleep 2		# the scenario: the copy keeps talking to the mesh for a while
all_see left n3 n1 n2 || fail "a copy of n3's state directory brought n3 back"
crash n3copy
say "a copy of n3's state directory after the leave: refused everywhere, n3 stays left"

# nor does the token n3 joined with bring it back: its retries ended with
# its leave, through another member (n2) as through the token's maker (n1).
# This failed on the code before: "joined", exit 0, alive everywhere.
for via in n2 n1; do
	expect_fail "n3's old token through $via after the leave" \
	    "already used (by this node, which has left the mesh since): a node that left needs a new token" \
	    rpn n3 join "$(addr "$via")" --token "$tok3" --name n3
done
all_see left n3 n1 n2 || fail "n3's old token brought it back"

rpn n3 join "$(addr n2)" --token "$(ctl n2 invite)" --name n3 >/dev/null
wait_for 100 0.1 all_see alive n3 n1 n2 || fail "n3 did not come back after rejoining"
say "n3 rejoined with a new token: alive everywhere"
listed n3 svc3 && fail "svc3 came back on n3 when it rejoined"
# what n3 publishes now reaches n1 after anything it published on rejoining
ctl n3 service add svc4 tcp/9004 --to 198.51.100.3:9 >/dev/null
wait_until 100 0.05 'listed n1 svc4' || fail "svc4, added after rejoining, not listed on n1"
listed n1 svc3 && fail "svc3 came back when n3 rejoined"
wait_until 50 0.1 'nsx n3 nft list table inet rpn >/dev/null 2>&1' || fail "no table after rejoining"
say "svc3 did not come back; n3's table is back"
