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
