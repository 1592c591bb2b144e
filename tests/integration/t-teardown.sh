# t-teardown.sh: "rpnd --teardown" is refused while an rpnd runs in the
# network namespace, however that rpnd was started (here with a socket and
# a state directory of its own, not the defaults): by the state
# directory's lock (-S), by the socket (-s), and with neither named, by
# the rpnd found in the namespace.  Stopped, it says exactly what it did:
# with the socket's path wrong, the table, rules and routes go but the
# sysctls stay changed, and it says where it looked for the saved values
# and how to name them; with the right -s, it puts them back and says how
# many.  Fails on the code before: without -s, a teardown next to a
# running rpnd on another socket removed its table (which it put back), and
# a stopped one's claimed "put back the sysctls rpnd had changed" though it
# had found none to put back.
. "$(dirname "$0")/lib.sh"

hub
node n1 198.51.100.1
nsx n1 sysctl -qw net.ipv4.conf.eth0.rp_filter=0 net.ipv4.conf.eth0.forwarding=0
start n1 --uplink eth0@198.51.100.254
rpn n1 init --name n1 >/dev/null
wait_until 100 0.05 'nsx n1 nft list table inet rpn >/dev/null 2>&1' || fail "n1 has no table"
wait_until 100 0.05 '[ "$(nsx n1 sysctl -n net.ipv4.conf.eth0.rp_filter)" = 2 ] && [ -s "$(sock n1).kernel" ]' ||
    fail "rpnd did not loosen rp_filter on its uplink, or saved nothing"
pid=$(cat "$W/n1/pid")
# The defaults are this host's (a real rpnd may use them): a path of the
# test's own stands in for them.
def=$W/default.sock
td() { nsx n1 env RPN_SOCKET="$def" "$RPN_BUILD/rpnd" --teardown "$@"; }

expect_fail "teardown, neither socket nor state directory named" \
    "an rpnd runs in this network namespace (pid $pid: " td
expect_fail "teardown -S of the running rpnd" \
    "rpnd (pid $pid) is running: it holds $W/n1/state/rpnd.lock" td -S "$W/n1/state"
expect_fail "teardown -s of the running rpnd" "rpnd is running on $(sock n1)" \
    td -s "$(sock n1)"
expect_fail "teardown with an option it does not take" \
    "--teardown takes only -s SOCKET, -S STATE_DIR and -d" td -f /dev/null
# the refusals changed nothing: n1's rpnd saw no one touch its table
ctl n1 status >/dev/null || fail "n1 not healthy after the refused teardowns"
grep "someone else changed" "$W/n1/log" && fail "a refused teardown changed n1's table"
nsx n1 nft list table inet rpn >/dev/null 2>&1 || fail "a refused teardown removed the table"

stop n1
[ "$(nsx n1 sysctl -n net.ipv4.conf.eth0.rp_filter)" = 2 ] || fail "SIGTERM put rp_filter back"
out=$(td) || fail "teardown of a stopped rpnd failed: $out"
say "teardown, rpnd stopped, the socket not named: $out"
echo "$out" | grep -x "removed table inet rpn" >/dev/null || fail "teardown did not say it removed the table"
echo "$out" | grep -E "^removed [1-9][0-9]* rules and routes of rpn's \(protocol 114\)$" >/dev/null ||
    fail "teardown did not say it removed rules and routes"
echo "$out" | grep -F "no saved sysctls at $def.kernel: none put back" | grep -F -- "-s SOCKET" >/dev/null ||
    fail "teardown did not say it found no saved sysctls at $def.kernel"
echo "$out" | grep -i "put back the sysctls" >/dev/null && fail "teardown claims sysctls it did not put back"
[ "$(nsx n1 sysctl -n net.ipv4.conf.eth0.rp_filter)" = 2 ] || fail "rp_filter changed without its saved value"
nsx n1 nft list table inet rpn >/dev/null 2>&1 && fail "teardown left the table"
[ -z "$(nsx n1 ip rule list | grep 'proto 114')" ] || fail "teardown left rules"

out=$(td -s "$(sock n1)") || fail "teardown -s failed: $out"
say "teardown -s $(sock n1): $out"
echo "$out" | grep -x "no table inet rpn to remove" >/dev/null || fail "teardown -s: the table?"
echo "$out" | grep -x "put back 2 sysctls rpnd had changed, from $(sock n1).kernel" >/dev/null ||
    fail "teardown -s did not say it put back the 2 sysctls"
[ "$(nsx n1 sysctl -n net.ipv4.conf.eth0.rp_filter)" = 0 ] || fail "rp_filter not put back"
[ "$(nsx n1 sysctl -n net.ipv4.conf.eth0.forwarding)" = 0 ] || fail "forwarding not put back"
[ -e "$(sock n1).kernel" ] && fail "teardown left $(sock n1).kernel"
say "rp_filter and forwarding on eth0 back to 0"
