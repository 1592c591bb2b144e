# t-hostile.sh: garbage, boxes of protocol version 1, tampered, replayed,
# old-version and outsider records sent at a live node are refused and
# counted, and change nothing.
# rpn-test: alone (it times something, or loads the machine: run.sh runs it by itself)
. "$(dirname "$0")/lib.sh"

hub
for i in 1 2 3; do node "n$i" "198.51.100.$i"; start "n$i"; done
mesh n1 n2 n3
for n in n1 n2 n3; do
	wait_until 100 0.1 '[ "$(count_alive $n)" -eq 3 ]' || fail "$n did not see 3 alive"
done
tool="$RPN_BUILD/rpn-tool"
# A member's key is read as the engine reads it, as _rpn: a key file is
# loaded only by its owner.
as_rpn="setpriv --reuid=_rpn --regid=_rpn --clear-groups"
t1=$(ctl n1 status --json | jq -r '.node.id')
mid=$(ctl n1 status --json | jq -r '.node.mesh')
inc2() { ctl n1 status --json | jq -r '.members[] | select(.name == "n2") | .incarnation'; }

# An early copy of n2's state, for the replay below; then n2 restarts with a newer record.
wait_until 50 0.1 'saved_members n2' || fail "n2's state file did not catch up"
mkdir "$W/old2"
cp "$W/n2/state/state" "$W/old2/state"
chown -R _rpn: "$W/old2"
stop n2
start n2
wait_until 100 0.1 '[ "$(count_alive n1)" -eq 3 ]' || fail "n2 did not come back"
before=$(inc2)

b=$(counter n1 bad_box)
nsx n3 "$tool" garbage "$(addr n1)"
wait_until 20 0.1 '[ "$(counter n1 bad_box)" -gt "$b" ]' || fail "garbage not counted as bad_box"
say "garbage datagram: refused (bad_box $(counter n1 bad_box))"

# A box of protocol version 1, genuinely sealed by n2, as a datagram and as a
# stream frame: refused before it is opened, and counted as bad_box.
b=$(counter n1 bad_box)
nsx n3 $as_rpn "$tool" v1-box "$W/n2/state" "$(addr n1)" "$t1"
wait_until 20 0.1 '[ "$(counter n1 bad_box)" -ge $((b + 2)) ]' ||
    fail "boxes of protocol version 1 not counted as bad_box ($b -> $(counter n1 bad_box))"
say "protocol-1 box, datagram and frame: refused (bad_box $(counter n1 bad_box))"

f=$(counter n1 records_forged)
nsx n3 $as_rpn "$tool" forged "$W/n2/state" "$(addr n1)" "$t1"
wait_until 20 0.1 '[ "$(counter n1 records_forged)" -gt "$f" ]' || fail "tampered record not counted"
say "tampered record: refused (records_forged $(counter n1 records_forged))"

s=$(counter n1 records_stale)
d=$(counter n1 records_duplicate)
nsx n3 $as_rpn "$tool" replay "$W/old2" "$W/n2/state" "$(addr n1)" "$t1"
wait_until 20 0.1 '[ $(( $(counter n1 records_stale) + $(counter n1 records_duplicate) )) -gt $((s + d)) ]' ||
    fail "replayed record not counted"
say "replayed old record: refused (stale $(counter n1 records_stale), duplicate $(counter n1 records_duplicate))"

s=$(counter n1 records_stale)
nsx n3 $as_rpn "$tool" old-version "$W/n2/state" "$(addr n1)" "$t1"
wait_until 20 0.1 '[ "$(counter n1 records_stale)" -gt "$s" ]' || fail "old version not counted as stale"
say "freshly signed older version: refused (records_stale $(counter n1 records_stale))"

m=$(counter n1 records_not_member)
nsx n3 "$tool" outsider "$(addr n1)" "$t1" "$mid"
wait_until 20 0.1 '[ "$(counter n1 records_not_member)" -gt "$m" ]' || fail "outsider record not counted"
ctl n1 status --json | jq -e '[.members[] | select(.name == "intruder")] | length == 0' >/dev/null ||
    fail "the outsider became a member"
say "outsider with a self-made chain: refused (records_not_member $(counter n1 records_not_member))"

# A record for rpn's own port, signed by a member that skips rpnd's checks:
# every node refuses to program it, and counts it (issue: it used to cut
# the mesh's joins and syncs everywhere).
o=$(counter n1 services_own_port)
nsx n3 $as_rpn "$tool" service-record "$W/n2/state" "$(addr n1)" "$t1" sneaky tcp/7480 \
    198.51.100.2:22
wait_until 20 0.1 '[ "$(counter n1 services_own_port)" -gt "$o" ]' ||
    fail "a service record for rpn's own port was not counted"
nsx n1 nft list table inet rpn | grep -E '7480' >/dev/null && fail "n1 programmed rpn's own port"
ctl n1 service show sneaky --json | jq -e '.service.programmed == false and
    (.service.problem | test("rpn.s own port"))' >/dev/null ||
    fail "status: $(ctl n1 service show sneaky --json | jq -c .service)"
say "a record for tcp/7480 (rpn's own port): not programmed, counted (services_own_port $(counter n1 services_own_port))"

[ "$(inc2)" = "$before" ] || fail "n2's incarnation changed: $before -> $(inc2)"
[ "$(count_alive n1)" -eq 3 ] || fail "the mesh is no longer whole"
say "nothing changed: n2 still at incarnation $before, three alive"
