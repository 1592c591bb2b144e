# t-state-mac.sh: a restart trusts the state file this node wrote, and only
# that.  The file carries a MAC made with a key derived from the node's
# key (docs/security.md, defence 32): a restart with the file as written
# restores its records without checking their signatures again; a file
# with one bit changed in a record's signature is not trusted: every
# record is verified, the altered one refused, the rest kept.  Fails on
# the code before: every restart verified every signature, and said
# nothing of a MAC.
. "$(dirname "$0")/lib.sh"

hub
node n1 198.51.100.1
start n1
rpn n1 init --name n1 >/dev/null
ctl n1 service add web tcp/8080 --to 100.64.2.10:80 >/dev/null
ctl n1 service add db tcp/5432 --to 100.64.2.11:5432 >/dev/null
wait_until 50 0.1 'saved n1 service web && saved n1 service db' ||
    fail "the services did not reach the state file"
stop n1

start n1
wait_until 50 0.1 'has_service n1 web && has_service n1 db' ||
    fail "the services did not come back after a restart"
grep "restored mesh membership" "$W/n1/log" | tail -1 |
    grep "authenticated state file, signatures not checked again" >/dev/null ||
    fail "the node's own file was not trusted: $(grep restored "$W/n1/log" | tail -1)"
say "restart with the file as written: trusted, both services back"
stop n1

"$RPN_BUILD/rpn-tool" state-tamper "$W/n1/state" web || fail "rpn-tool state-tamper failed"
start n1
wait_until 50 0.1 'has_service n1 db' || fail "db did not come back after the tampered restart"
grep "the state file's MAC does not check" "$W/n1/log" >/dev/null ||
    fail "a tampered file: no word of its MAC in the log"
grep "restored mesh membership" "$W/n1/log" | tail -1 |
    grep "every signature verified" >/dev/null ||
    fail "a tampered file was trusted: $(grep restored "$W/n1/log" | tail -1)"
has_service n1 web && fail "the record with the altered signature was restored"
say "one bit changed in web's signature: the MAC does not check, every record verified, web refused, db kept"
stop n1

# A file cut short (a disk that filled, a copy that stopped): rpnd stops at
# once, names the file and says what to do; moved away, rpnd starts afresh
# with the same node key.  Fails on the code before: the message did not
# say which file.
key=$(sha256sum < "$W/n1/state/node.key")
truncate -s -10 "$W/n1/state/state"
rm -f "$(sock n1)"
out=$(timeout 30 ip netns exec "$(ns n1)" "$RPN_BUILD/rpnd" -s "$(sock n1)" \
    -S "$W/n1/state" 2>&1) && fail "rpnd started on a state file cut short"
echo "$out" | grep -F "state file $W/n1/state/state: it is damaged; move it away" >/dev/null ||
    fail "a damaged state file: the message does not name it: $out"
say "a state file cut short: rpnd exits, naming the file"
mv "$W/n1/state/state" "$W/state.damaged"
start n1
[ "$(sha256sum < "$W/n1/state/node.key")" = "$key" ] || fail "the node key changed"
ctl n1 status >/dev/null && fail "a node without its state file says it is in a mesh"
say "moved away: rpnd starts afresh, with the same node key"
