# t-tombstone.sh: a deleted service never comes back.  n2 deletes a service;
# once its tombstone is older than tombstone-ttl (2 s here, a day by
# default) n2 publishes its live records again above a floor, and every
# node drops the tombstone.  A copy of the deleted record, replayed after
# that, after n1 restarts, and at a node that joined later, is refused.
# Fails on the code before: tombstone floors lived only in memory.
. "$(dirname "$0")/lib.sh"

hub
for i in 1 2 3; do
	node "n$i" "198.51.100.$i"
	echo "tombstone-ttl 2s" > "$W/n$i/rpnd.conf"
done
for i in 1 2; do start "n$i" -f "$W/n$i/rpnd.conf"; done
mesh n1 n2
wait_until 100 0.1 '[ "$(count_alive n1)" -eq 2 ]' || fail "mesh did not form"
listed() { ctl "$1" service list --json | jq -e --arg s "$2" 'any(.services[]; .name == $s)' >/dev/null; }
t1=$(ctl n1 status --json | jq -r .node.id)

ctl n2 service add keep tcp/9001 --to 198.51.100.2:9 >/dev/null
ctl n2 service add gone tcp/9002 --to 198.51.100.2:9 >/dev/null
wait_until 100 0.05 'listed n1 gone && listed n1 keep' || fail "services not listed on n1"
wait_until 50 0.1 'saved n2 service keep && saved n2 service gone' ||
    fail "n2's state file does not hold both services"
mkdir "$W/old2"
cp "$W/n2/state/state" "$W/old2/state"
chown -R _rpn: "$W/old2"
ctl n2 service del gone >/dev/null
wait_until 100 0.05 '! listed n1 gone' || fail "gone still listed on n1"
say "n2 deleted 'gone'; a copy of its state from before is kept"

# judged NODE: records NODE took, or refused as stale or a duplicate
judged() {
	ctl "$1" status --json |
	    jq '.counters | .records_new + .records_stale + .records_duplicate'
}
# replay NODE: n2's old service records, sent to NODE, and all judged there
replay() {
	local id s0 k
	id=$(ctl "$1" status --json | jq -r .node.id)
	s0=$(judged "$1")
	k=$(nsx n3 setpriv --reuid=_rpn --regid=_rpn --clear-groups \
	    "$RPN_BUILD/rpn-tool" replay-services "$W/old2" "$(addr "$1")" "$id" |
	    sed -n 's/^replayed \([0-9]*\) .*/\1/p')
	[ "${k:-0}" -ge 2 ] || fail "the old state file held ${k:-no} service records"
	wait_until 30 0.1 '[ "$(judged '"$1"')" -ge '"$((s0 + k))"' ]' ||
	    fail "the replayed records did not reach $1: $(ctl "$1" status --json | jq -c "[.counters | to_entries[] | select(.key | test(\"records|not_member|bad|replay\"))]")"
}
[ "$(counter n1 tombstones_held)" -ge 1 ] || fail "n1 holds no tombstone for 'gone'"
# the tombstone grows old (2 s), n2 compacts (housekeeping runs every 2 s)
wait_until 100 0.1 '[ "$(counter n1 tombstones_held)" -eq 0 ] && [ "$(counter n2 tombstones_held)" -eq 0 ]' ||
    fail "the tombstones were not collected: n1 $(counter n1 tombstones_held), n2 $(counter n2 tombstones_held)"
say "the tombstone of 'gone' was collected on n1 and n2"
replay n1
listed n1 gone && fail "the replayed record brought 'gone' back on n1"
listed n1 keep || fail "'keep' was lost on n1"
say "after the tombstone is collected: a replayed copy of 'gone' is refused by n1"

stop n1
start n1 -f "$W/n1/rpnd.conf"
wait_until 100 0.1 '[ "$(count_alive n1)" -eq 2 ]' || fail "n1 did not come back"
replay n1
listed n1 gone && fail "after a restart, the replayed record brought 'gone' back"
say "after n1 restarts: refused again"

start n3 -f "$W/n3/rpnd.conf"
rpn n3 join "$(addr n1)" --token "$(ctl n1 invite)" --name n3 >/dev/null
wait_until 100 0.1 'listed n3 keep' || fail "n3 did not get 'keep'"
replay n3
listed n3 gone && fail "at a node that joined later, the replayed record brought 'gone' back"
listed n1 gone && fail "'gone' came back on n1 through n3"
say "at n3, which joined after the tombstone was collected: refused"
