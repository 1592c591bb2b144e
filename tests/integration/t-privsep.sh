# t-privsep.sh: the engine (which parses network input) runs without root and
# without capabilities; only the parent is privileged.  The control socket is root's.
. "$(dirname "$0")/lib.sh"

hub
node n1 198.51.100.1
start n1
rpn n1 init --name n1 >/dev/null

parent=$(cat "$W/n1/pid")
engine=$(pgrep -P "$parent" rpnd-engine || true)
[ -n "$engine" ] || fail "no engine process under rpnd $parent"
uid=$(awk '/^Uid:/ {print $3}' "/proc/$engine/status")
capeff=$(awk '/^CapEff:/ {print $2}' "/proc/$engine/status")
capprm=$(awk '/^CapPrm:/ {print $2}' "/proc/$engine/status")
nnp=$(awk '/^NoNewPrivs:/ {print $2}' "/proc/$engine/status")
[ "$uid" = "$(id -u _rpn)" ] || fail "the engine runs as uid $uid, not _rpn ($(id -u _rpn))"
[ "$capeff" = 0000000000000000 ] && [ "$capprm" = 0000000000000000 ] ||
    fail "the engine holds capabilities: eff $capeff prm $capprm"
[ "$nnp" = 1 ] || fail "the engine can gain privileges (NoNewPrivs=$nnp)"
say "engine pid $engine: uid $uid (_rpn), no capabilities, NoNewPrivs"
[ "$(awk '/^Uid:/ {print $3}' "/proc/$parent/status")" = 0 ] || fail "parent is not root"

# Each process maps only its own room's code: the engine is its own program,
# without nftables; the root parent has no event loop, HTTP, TLS or JSON.
case $(readlink "/proc/$engine/exe") in
*/rpnd-engine) ;;
*) fail "the engine runs $(readlink "/proc/$engine/exe"), not rpnd-engine" ;;
esac
libs=$(grep -Eo 'lib(nftnl|mnl)\.so[.0-9]*' "/proc/$engine/maps" | sort -u | tr '\n' ' ' || true)
[ -z "$libs" ] || fail "the engine maps $libs"
libs=$(grep -Eo 'lib(uv|microhttpd|gnutls|jansson|p11-kit)\.so[.0-9]*' "/proc/$parent/maps" |
    sort -u | tr '\n' ' ' || true)
[ -z "$libs" ] || fail "the root parent maps $libs"
say "rpnd maps no libuv, HTTP, TLS or JSON library; rpnd-engine no nftables library"

# The engine inherits nothing of the root parent's but the channel (3) and
# the control socket (4); checked here: no netlink socket of the parent's
# (whose replies it could read, leaving the parent waiting).
nl=""
for fd in /proc/"$engine"/fd/*; do
	ino=$(readlink "$fd" | sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p')
	[ -n "$ino" ] || continue
	if awk -v i="$ino" 'NR > 1 && $NF == i { found = 1 } END { exit !found }' \
	    "/proc/$engine/net/netlink"; then
		nl="$nl ${fd##*/}"
	fi
done
[ -z "$nl" ] || fail "the engine holds netlink sockets on descriptors$nl"
say "the engine holds no netlink socket"

# key material: 0600, owned by the engine's user, never in the logs
for f in node.key root.key state; do
	m=$(stat -c %a "$W/n1/state/$f")
	[ "$m" = 600 ] || fail "$f has mode $m"
	o=$(stat -c %U "$W/n1/state/$f")
	[ "$o" = _rpn ] || fail "$f is owned by $o"
done
seed=$(tail -c 32 "$W/n1/state/node.key" | od -An -tx1 | tr -d ' \n')
! grep -qi "$seed" "$W/n1/log" || fail "the node key appears in the log"
! ctl n1 status --json | grep -i "$seed" >/dev/null || fail "the node key appears in status"
say "keys are 0600 and never printed"

# the control socket answers root only
[ "$(stat -c %a "$(sock n1)")" = 600 ] || fail "control socket mode $(stat -c %a "$(sock n1)")"
out=$(nsx n1 setpriv --reuid=65534 --regid=65534 --clear-groups \
    "$RPN_BUILD/rpnctl" -s "$(sock n1)" status 2>&1) && fail "a non-root user got status"
echo "$out" | grep "permission denied" >/dev/null || fail "non-root error says: $out"
say "non-root rpnctl: $out"

# killing the parent takes the engine down with it
kill -KILL "$parent"
wait_for 50 0.1 sh -c "! kill -0 $engine 2>/dev/null" || fail "engine outlived its parent"
say "the engine exits when its parent dies"

# The engine runs only as its own user: no fallback to nobody, never root.
# (timeout: an rpnd that wrongly starts must not hang the test.)
printf 'user nosuchuser\n' > "$W/nouser.conf"
expect_fail "a missing user" "nouser.conf:1: user nosuchuser does not exist.*useradd --system" \
    nsx n1 timeout 10 "$RPN_BUILD/rpnd" -f "$W/nouser.conf" -s "$W/n1/sock2" -S "$W/n1/state2"
[ ! -e "$W/n1/state2" ] || fail "rpnd made a state directory for a missing user"
printf 'user root\n' > "$W/root.conf"
expect_fail "user root" "uid 0: the engine must not run as root" \
    nsx n1 timeout 10 "$RPN_BUILD/rpnd" -f "$W/root.conf" -s "$W/n1/sock2" -S "$W/n1/state2"
printf 'user nobody\n' > "$W/nobody.conf"
expect_fail "user nobody" "shared with other software" \
    nsx n1 timeout 10 "$RPN_BUILD/rpnd" -f "$W/nobody.conf" -s "$W/n1/sock2" -S "$W/n1/state2"

# rpnd starts the rpnd-engine installed beside it, which runs as root until it
# drops to its user: one that is missing, a link, a script, or that others may
# replace (the file or its directory) is refused before rpnd touches anything,
# and by rpnd -n too.
mkdir -p "$W/bin"
cp "$RPN_BUILD/rpnd" "$W/bin/rpnd"
start2() { nsx n1 timeout 10 "$W/bin/rpnd" -s "$W/n1/sock2" -S "$W/n1/state2"; }
expect_fail "no rpnd-engine beside rpnd" \
    "the engine's program $W/bin/rpnd-engine: no such file (it is installed beside rpnd)" start2
expect_fail "rpnd -n without rpnd-engine" "no such file" "$W/bin/rpnd" -n
ln -s "$(cd "$RPN_BUILD" && pwd)/rpnd-engine" "$W/bin/rpnd-engine"
expect_fail "a symbolic link" "a symbolic link (rpnd starts only a file)" start2
rm "$W/bin/rpnd-engine"
printf '#!/bin/sh\nexec true\n' > "$W/bin/rpnd-engine"
chmod 0755 "$W/bin/rpnd-engine"
expect_fail "a script" "is not an executable ELF file" start2
cp "$RPN_BUILD/rpnd-engine" "$W/bin/rpnd-engine"
chmod 0775 "$W/bin/rpnd-engine"
expect_fail "a group-writable rpnd-engine" "may be written by its group or by others" start2
chmod 0755 "$W/bin/rpnd-engine"
chown 65534 "$W/bin/rpnd-engine"
expect_fail "an rpnd-engine of another user's" "belongs to uid 65534, neither root" start2
chown 0 "$W/bin/rpnd-engine"
chmod 1777 "$W/bin"
expect_fail "a directory others may write" "may be written by others than root and rpnd's owner" start2
chmod 0755 "$W/bin"
[ ! -e "$W/n1/state2" ] && [ ! -e "$W/n1/sock2" ] ||
    fail "rpnd prepared a node before it found its engine"
expect_fail "rpnd -E by hand" "-E is internal" "$RPN_BUILD/rpnd" -E 0:0
expect_fail "rpnd-engine by hand" "started by rpnd, not by hand" \
    nsx n1 timeout 10 "$RPN_BUILD/rpnd-engine" -S "$W/nowhere"
expect_fail "rpnd-engine of another version" "was started by rpnd 9.9.9: install both from the same build" \
    nsx n1 timeout 10 "$RPN_BUILD/rpnd-engine" -E "$(id -u _rpn):$(id -g _rpn):9.9.9" -S "$W/nowhere"
