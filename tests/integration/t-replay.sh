# t-replay.sh: datagrams and a stream opening captured between two members and
# played again are dropped unopened and counted as replayed; no record inside
# is looked at again, and the stream gets no answer.
. "$(dirname "$0")/lib.sh"

hub
node n1 198.51.100.1
node n2 198.51.100.2
node x 198.51.100.9		# the attacker: no rpnd, only what it captured
start n1
start n2
mesh n1 n2
for n in n1 n2; do
	wait_until 100 0.1 '[ "$(count_alive $n)" -eq 2 ]' || fail "$n did not see 2 alive"
done
tool="$RPN_BUILD/rpn-tool"

# Capture on n1's uplink what n2 sends it while n2 restarts (its first pings
# carry its new node record; its catch-up sync opens a stream to n1) and adds
# a service (gossip carries the record).
# (a packet socket needs root, and a key file is read only by its owner:
# the capture reads a root-owned copy of n1's key)
mkdir -m 700 "$W/k1"
cp "$W/n1/state/node.key" "$W/k1/node.key"
chown root: "$W/k1/node.key"
nsx n1 "$tool" capture eth0 "$(addr n2)" "$W/k1" 15 "$W/cap" >"$W/cap.out" 2>&1 &
cap=$!
wait_until 50 0.1 'grep -qs capturing "$W/cap.out"' || fail "capture did not start"
stop n2
start n2
ctl n2 service add web tcp/8080 --to 100.64.2.10:80 >/dev/null
wait "$cap" || fail "capture failed: $(cat "$W/cap.out")"
nd=$(ls "$W/cap" | grep -c '^d-' || true)
ns=$(ls "$W/cap" | grep -c '^s-' || true)
[ "$nd" -ge 1 ] && [ "$ns" -ge 1 ] || fail "captured too little: $(tail -1 "$W/cap.out")"
say "captured from n2: $nd datagrams with records, $ns stream opening(s)"
wait_until 100 0.1 '[ "$(state_of n1 n2)" = alive ]' || fail "n2 did not come back"

# Let gossip of the new records die down, so any record work from here on is
# the replay's.
records() {
	ctl n1 status --json | jq '[.counters | to_entries[] |
	    select(.key | startswith("records_")) | .value] | add'
}
replayed() { ctl n1 status --json | jq '.counters.replayed // 0'; }
prev=-1
wait_until 30 1 'cur=$(records); [ "$cur" = "$prev" ] || { prev=$cur; false; }' ||
    fail "records never stopped arriving at n1"
r0=$(records)
p0=$(replayed)

# Every captured datagram three times, every stream opening twice, from x.
for i in 1 2 3; do nsx x "$tool" resend "$(addr n1)" "$W"/cap/d-*; done
out=$(nsx x "$tool" resend "$(addr n1)" "$W"/cap/s-* "$W"/cap/s-*)
want=$((p0 + 3 * nd + 2 * ns))
bad=0
if wait_until 50 0.1 '[ "$(replayed)" -ge $want ]'; then
	say "played again: replayed $p0 -> $(replayed)"
else
	say "FAIL: replayed went from $p0 to $(replayed), expected at least $want"
	bad=1
fi
if echo "$out" | grep -v ': 0 bytes back$' >/dev/null; then
	say "FAIL: a replayed stream was answered: $(echo $out)"
	bad=1
else
	say "replayed streams: closed unanswered"
fi
# (no wait here: each copy was counted as replayed above, which it is when
# it is dropped, before it is opened)
if [ "$(records)" = "$r0" ]; then
	say "no record looked at again (records_* total $r0)"
else
	say "FAIL: records_* went from $r0 to $(records): replayed records were looked at"
	bad=1
fi
[ $bad -eq 0 ] || fail "replays were not all dropped"
[ "$(state_of n1 n2)" = alive ] || fail "n2 is no longer alive at n1"
