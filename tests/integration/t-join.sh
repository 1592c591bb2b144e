# t-join.sh: four nodes form a mesh through two different members; everyone sees everyone.
. "$(dirname "$0")/lib.sh"

hub
for i in 1 2 3 4; do node "n$i" "198.51.100.$i"; start "n$i"; done

# --advertise ADDR without a port, as the help shows: the listen port
rpn n1 init --name n1 --advertise 198.51.100.1 >/dev/null
tok=$(ctl n1 invite 2>/dev/null)
[ "$(echo "$tok" | wc -l)" -eq 1 ] || fail "invite printed more than the token on stdout"
rpn n2 join "$(addr n1)" --token "$tok" --name n2 --advertise 198.51.100.2 >/dev/null
[ "$(ctl n2 status --json | jq -r '.members[] | select(.name == "n1") | .addrs[0]')" = 198.51.100.1:7480 ] ||
    fail "n1 advertised with --advertise 198.51.100.1 is not 198.51.100.1:7480"
# n3 joins through n2 with n2's invitation; n4 through n2 with n1's.
tok=$(ctl n2 invite)
rpn n3 join "$(addr n2)" --token "$tok" --name n3 >/dev/null
# n1's invitation reaches n2 by gossip; n2's state file shows when n2 holds it
invite_held() {	# invite_held NODE AUTHOR SINCE_MS
	state_records "$1" | awk -v a="$2" -v t="$3" \
	    '$1 == "invite" && $4 == a && $2 >= t { f = 1 } END { exit !f }'
}
id1=$(ctl n1 status --json | jq -r .node.id)
t_inv=$(date +%s%3N)
tok=$(ctl n1 invite)
wait_until 50 0.1 'invite_held n2 "$id1" "$t_inv"' || fail "n1's invitation did not reach n2"
rpn n4 join "$(addr n2):7480" --token "$tok" --name n4 >/dev/null

for n in n1 n2 n3 n4; do
	wait_until 100 0.1 '[ "$(count_alive $n)" -eq 4 ]' ||
	    fail "$n lists $(count_alive $n) of 4 alive"
done
say "all four list four alive members"

# A member with nothing programmed publishes no data-plane report: it would
# say what its absence says and cost every member a signature check a join.
# Once a node programs a service, its report reaches the others.
wait_until 100 0.1 'saved_members n1' || fail "n1's state file does not hold the four members"
reports() { state_records "$1" | awk '$1 == "programmed"' | wc -l; }
[ "$(reports n1)" -eq 0 ] || fail "n1 holds $(reports n1) reports of members with nothing programmed"
id3=$(ctl n3 status --json | jq -r .node.id)
ctl n3 service add rep tcp/9911 --to 198.51.100.3:80 >/dev/null
wait_until 100 0.1 'state_records n1 | awk -v a="$id3" '"'"'$1 == "programmed" && $4 == a { f = 1 } END { exit !f }'"'" ||
    fail "n3's report of its programmed service did not reach n1"
ctl n3 service del rep >/dev/null
say "no report until something is programmed; then n3's reaches n1"

# status: exit 0, a header, and every member with its address
out=$(ctl n3 status)
echo "$out" | grep '^NAME *ID *STATE *ADDRESSES *LAST-ACK' >/dev/null || fail "no table header: $out"
for i in 1 2 3 4; do
	echo "$out" | grep "198.51.100.$i:7480" >/dev/null || fail "n$i's address missing: $out"
done
ctl n3 status --json | jq -e '.members | length == 4 and all(.name and .id and .state and .addrs)' >/dev/null ||
    fail "status --json lacks fields"
id=$(ctl n1 status --json | jq -r '.node.id')
[ "$(ctl n4 status --json | jq -r --arg id "$id" '.members[] | select(.id == $id) | .name')" = n1 ] ||
    fail "n4 does not know n1 by its id"
say "status table and --json agree"

# A member's record that changes no address in the kernel's sets (a join
# seen again, a refreshed record) makes no transaction: each one was a
# begin and a commit through the parent on every node, with nothing in it.
for n in n1 n2 n3 n4; do
	e=$(grep -cE "data plane: transaction [0-9]+ with 0 changes" "$W/$n/log" || true)
	[ "$e" -eq 0 ] || fail "$n sent $e empty transactions: $(grep -E "data plane: transaction [0-9]+ with 0 changes" "$W/$n/log" | head -3)"
done
say "no empty transaction on any node"

# A typo in --advertise: n5 (198.51.100.5) says it is at 198.51.100.55.
# The others cannot probe it and hold it failed, while it lists them all
# alive (their acks come back to where its pings left from); its status
# says that no member reaches it.  Fails on the code before: no note, an
# all-alive status.
node n5 198.51.100.5
start n5
rpn n5 join "$(addr n1)" --token "$(ctl n1 invite)" --name n5 --advertise 198.51.100.55 >/dev/null
unreached() { ctl "$1" status --json | jq -e '.notes | any(startswith("no member has probed this node"))' >/dev/null; }
wait_until 250 0.1 'unreached n5' || fail "n5's status does not say that no member reaches it: $(ctl n5 status --json | jq -c .notes)"
ctl n5 status | grep -q "^note: no member has probed this node for [0-9]* s, while 4 others are alive" ||
    fail "n5's status table lacks the note: $(ctl n5 status | grep note)"
for n in n1 n3; do
	unreached "$n" && fail "$n says no member reaches it"
done
say "a typo in --advertise: n5's status says no member has probed it"
