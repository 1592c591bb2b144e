# t-ctlsock.sh: clients talk only to a root-owned control socket, rpnd makes
# its socket only where no other user can replace it, and a non-root client
# that reaches rpnd anyway is told why it was refused.
. "$(dirname "$0")/lib.sh"

NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"

hub
node n1 198.51.100.1
start n1
rpn n1 init --name n1 >/dev/null

# A socket whose mode was opened up: the engine still refuses a non-root
# client, with a message, and the client exits 1 (not 141 from SIGPIPE).
chmod 666 "$(sock n1)"
for i in 1 2 3; do
	rc=0
	out=$(nsx n1 $NOBODY "$RPN_BUILD/rpnctl" -s "$(sock n1)" status 2>&1) || rc=$?
	[ $rc -eq 1 ] || fail "non-root rpnctl on an open socket: exit $rc ($out)"
	echo "$out" | grep "permission denied: the control socket is for root" >/dev/null ||
	    fail "non-root rpnctl on an open socket said: \"$out\""
done
say "non-root rpnctl on a socket chmod'ed 666: exit 1: $out"
chmod 600 "$(sock n1)"
ctl n1 status >/dev/null || fail "rpnd is unwell after refusing clients"

# A fake rpnd run by another user: root's rpn join must refuse it before it
# sends a byte (the request holds the token).
mkdir "$W/fake"
chown 65534:65534 "$W/fake"
nsx n1 $NOBODY socat -u UNIX-LISTEN:"$W/fake/sock",fork OPEN:"$W/fake/got",creat,append \
    >"$W/fake/log" 2>&1 &
echo $! > "$W/fake/pid"
wait_for 50 0.1 test -S "$W/fake/sock" || fail "the fake server did not start"
tok=$(ctl n1 invite)
rc=0
out=$(nsx n1 timeout 10 "$RPN_BUILD/rpn" -s "$W/fake/sock" join 198.51.100.1 \
    --token "$tok" 2>&1) || rc=$?
# "got" is complete once socat has accepted the connection (none waits in
# its backlog) and closed it (no socket is connected to the path).
fake_idle() {
	[ "$(nsx n1 ss -Hxl src "$W/fake/sock" | awk '{ print $3 }')" = 0 ] &&
	    [ -z "$(nsx n1 ss -Hx src "$W/fake/sock")" ]
}
wait_for 50 0.1 fake_idle || fail "the fake server did not finish with the connection"
[ ! -s "$W/fake/got" ] || fail "the fake server received $(wc -c < "$W/fake/got") bytes"
[ $rc -eq 1 ] || fail "rpn join through a non-root server: exit $rc"
echo "$out" | grep "runs as uid 65534, not root, so it is not rpnd; nothing was sent" \
    >/dev/null || fail "rpn join through a non-root server said: \"$out\""
say "rpn join through a non-root server: refused (exit 1): $out"
expect_fail "rpnctl status through a non-root server" "not rpnd" \
    nsx n1 "$RPN_BUILD/rpnctl" -s "$W/fake/sock" status
kill "$(cat "$W/fake/pid")" 2>/dev/null || true
say "the fake server received 0 bytes"

# rpnd refuses a socket directory another user could write or owns.
stop n1
mkdir -m 1777 "$W/open"
chmod 1777 "$W/open"
expect_fail "a world-writable socket directory" \
    "control socket directory $W/open: $W/open is mode 1777, owned by uid 0: another user could put a socket" \
    nsx n1 timeout 10 "$RPN_BUILD/rpnd" -s "$W/open/sock" -S "$W/n1/state"
mkdir "$W/theirs"
chown 65534:65534 "$W/theirs"
expect_fail "a socket directory of another user" "is mode 0755, owned by uid 65534" \
    nsx n1 timeout 10 "$RPN_BUILD/rpnd" -s "$W/theirs/sock" -S "$W/n1/state"
mkdir -p "$W/theirs/sub"
expect_fail "a socket directory below another user's" "$W/theirs is mode 0755, owned by uid 65534" \
    nsx n1 timeout 10 "$RPN_BUILD/rpnd" -s "$W/theirs/sub/sock" -S "$W/n1/state"
[ ! -e "$W/open/sock" ] && [ ! -e "$W/theirs/sock" ] || fail "rpnd made a socket in a refused directory"
start n1
ctl n1 status >/dev/null || fail "rpnd does not start again in a root directory"

# Requests on one connection run one at a time, in order, each once: an
# invite followed by bytes that are no request (enough to fill the
# engine's read buffer, so it reads on at once) mints one token, and the
# zeros get one error and the end of the connection.  Before, an invite
# sent this way minted two tokens and wrote two replies.
mkdir "$W/cap"
nsx n1 socat -u UNIX-LISTEN:"$W/cap/sock" OPEN:"$W/cap/req",creat >/dev/null 2>&1 &
cap=$!
wait_for 50 0.1 test -S "$W/cap/sock" || fail "the capturing server did not start"
nsx n1 timeout 2 "$RPN_BUILD/rpnctl" -s "$W/cap/sock" invite >/dev/null 2>&1 || true
wait "$cap" 2>/dev/null || true
[ -s "$W/cap/req" ] || fail "no invite request captured"
frames() {	# FILE: the payload length of each frame, one a line
	od -An -v -tu1 "$1" | tr -s ' \n' '\n\n' | sed '/^$/d' | awk '
	    { b[n++] = $1 }
	    END { i = 0; while (i + 4 <= n) { l = b[i] * 16777216 + b[i+1] * 65536 + b[i+2] * 256 + b[i+3];
	        print l; i += 4 + l } if (i != n) print "partial" }'
}
{ cat "$W/cap/req"; head -c 30000 /dev/zero; } > "$W/cap/big"
nsx n1 timeout 10 socat -b 65536 -t 3 - UNIX-CONNECT:"$(sock n1)" < "$W/cap/big" > "$W/cap/out" 2>/dev/null || true
n=$(frames "$W/cap/out" | wc -l)
[ "$n" -eq 2 ] && ! frames "$W/cap/out" | contains partial ||
    fail "an invite and 30000 zeros got $n replies ($(frames "$W/cap/out" | tr '\n' ' ')), not 2"
grep -a -q "an empty request" "$W/cap/out" || fail "the zeros were not refused: $(tail -c 200 "$W/cap/out")"
[ "$(grep -a -o token "$W/cap/out" | wc -l)" -eq 1 ] || fail "the invite ran more than once"
ctl n1 status >/dev/null || fail "rpnd is unwell after trailing bytes"
say "an invite followed by 30000 zeros: one invite, 2 replies ($(stat -c %s "$W/cap/out") bytes), then the end"

# Sent ahead: 300 service adds on one connection, up to 64 before their
# replies are read (rpn-tool add-services), are all answered and added.
out=$(nsx n1 "$RPN_BUILD/rpn-tool" add-services "$(sock n1)" 300) ||
    fail "300 adds on one connection: $out"
[ "$(ctl n1 service list --json | jq '.services | length')" -eq 300 ] ||
    fail "300 adds on one connection left $(ctl n1 service list --json | jq '.services | length') services"
say "300 service adds sent ahead on one connection: $out, 300 listed"
