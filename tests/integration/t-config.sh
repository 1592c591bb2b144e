# t-config.sh: rpnd -n checks a config; a bad config on reload keeps the old one;
# bad CLI arguments and a missing daemon give clear errors and non-zero exits.
. "$(dirname "$0")/lib.sh"

hub
node n1 198.51.100.1
cat > "$W/good.conf" <<'CONF'
# a good file
probe-interval 1s
reap-after 1h
CONF
printf 'probe-interval 1s\nbogus-key 3\n' > "$W/bad.conf"

"$RPN_BUILD/rpnd" -n -f "$W/good.conf" | grep "configuration OK" >/dev/null || fail "-n on a good file"
"$RPN_BUILD/rpnd" -nv -f "$W/good.conf" > "$W/printed.conf"
"$RPN_BUILD/rpnd" -n -f "$W/printed.conf" >/dev/null || fail "-nv output does not parse again"
expect_fail "bad config" "bad.conf:2: unknown keyword \"bogus-key\"" \
    "$RPN_BUILD/rpnd" -n -f "$W/bad.conf"
expect_fail "missing config" "No such file" "$RPN_BUILD/rpnd" -n -f "$W/nope.conf"
expect_fail "bad --uplink" "bad gateway" "$RPN_BUILD/rpnd" -n --uplink eth0@nowhere
printf '# the engine needs a user of its own\nuser nosuchuser\n' > "$W/nouser.conf"
expect_fail "-n, a missing user" "nouser.conf:2: user nosuchuser does not exist" \
    "$RPN_BUILD/rpnd" -n -f "$W/nouser.conf"

# Interfaces must exist (in the namespace rpnd runs in), and be an uplink or
# a LAN, not both.  n1 has lo and eth0 only.
printf 'uplink eth0\nlan eth9\n' > "$W/noif.conf"
expect_fail "-n, a missing LAN" "noif.conf:2: lan eth9: no such interface" \
    nsx n1 "$RPN_BUILD/rpnd" -n -f "$W/noif.conf"
expect_fail "-n, a missing --uplink" "rpnd: --uplink eth7: no such interface" \
    nsx n1 "$RPN_BUILD/rpnd" -n --uplink eth7
expect_fail "a start with a missing --lan" "rpnd: --lan eth8: no such interface" \
    nsx n1 timeout 10 "$RPN_BUILD/rpnd" -s "$W/n1/sock2" -S "$W/n1/state2" --lan eth8
printf 'uplink eth0\n\nlan eth0\n' > "$W/both.conf"
expect_fail "-n, uplink and LAN at once" \
    "both.conf:3: eth0 is already an uplink; an interface is an uplink or a LAN, not both" \
    nsx n1 "$RPN_BUILD/rpnd" -n -f "$W/both.conf"
expect_fail "--uplink and --lan at once" "rpnd: --lan eth0: eth0 is already an uplink" \
    nsx n1 "$RPN_BUILD/rpnd" -n --uplink eth0 --lan eth0
nsx n1 "$RPN_BUILD/rpnd" -n --uplink eth0 --lan lo >/dev/null || fail "-n refused existing interfaces"

# The configuration is the parent's to read: a file only root may read
# works (the engine, running as _rpn, gets it parsed from the parent).
cp "$W/good.conf" "$W/live.conf"
chmod 600 "$W/live.conf"
start n1 -f "$W/live.conf"
rpn n1 init --name n1 >/dev/null

# One rpnd per state directory: a second one with the same -S (another
# socket) says who holds it and changes nothing.
expect_fail "a second rpnd on the same state directory" \
    "another rpnd uses $W/n1/state (pid $(cat "$W/n1/pid"))" \
    nsx n1 timeout 10 "$RPN_BUILD/rpnd" -s "$W/n1/sock2" -S "$W/n1/state"
[ ! -e "$W/n1/sock2" ] || fail "the second rpnd made its socket"
ctl n1 status >/dev/null || fail "the first rpnd is unwell after a second one tried its state directory"
cp "$W/bad.conf" "$W/live.conf"
kill -HUP "$(cat "$W/n1/pid")"
wait_for 50 0.1 grep -q "keeping the old configuration" "$W/n1/log" ||
    fail "a bad reload was not reported"
ctl n1 status >/dev/null || fail "rpnd is unwell after a bad reload"
say "bad reload: $(grep -m1 'keeping the old' "$W/n1/log" | sed 's/.*engine: //')"
cp "$W/good.conf" "$W/live.conf"
kill -HUP "$(cat "$W/n1/pid")"
wait_for 50 0.1 grep -q "reloaded the configuration" "$W/n1/log" || fail "good reload"
! grep -q "Permission denied" "$W/n1/log" || fail "a 0600 configuration file: $(grep -m1 'Permission denied' "$W/n1/log")"

# Only the parent reads the file: a SIGHUP sent to the engine itself (a
# "kill -HUP" of the wrong pid, a process group's hang-up) changes nothing.
engine=$(ps -o pid= --ppid "$(cat "$W/n1/pid")" | tr -d ' ')
[ -n "$engine" ] || fail "no engine process under rpnd"
kill -HUP "$engine"
cp "$W/bad.conf" "$W/live.conf"
kill -HUP "$(cat "$W/n1/pid")"
wait_for 50 0.1 [ "$(grep -c "keeping the old configuration" "$W/n1/log")" -ge 2 ] ||
    fail "the second bad reload was not reported"
[ "$(grep -c "reloaded the configuration" "$W/n1/log")" -eq 1 ] ||
    fail "the engine reloaded on its own SIGHUP"
[ "$(grep -c "keeping the old configuration" "$W/n1/log")" -eq 2 ] ||
    fail "a bad file was read more than once per reload: $(grep "keeping the old" "$W/n1/log")"
kill -0 "$engine" || fail "the engine died of a SIGHUP"
cp "$W/good.conf" "$W/live.conf"

# SIGHUP applies what it can and names what needs a restart
# n1 has one uplink and no gateway: no marks, no per-packet chain, until
# strict-rpf asks for the restore on every packet
nsx n1 nft list table inet rpn | contains nic_restore &&
    fail "one uplink without a gateway has uplink marks before the reload"
printf 'probe-interval 800ms
listen 0.0.0.0:7481
strict-rpf yes
' > "$W/live.conf"
kill -HUP "$(cat "$W/n1/pid")"
wait_for 50 0.1 grep -q "reload: listen 0.0.0.0:7481 needs a restart" "$W/n1/log" ||
    fail "the reload did not name listen as needing a restart: $(grep reload "$W/n1/log" | tail -2)"
wait_for 50 0.1 grep -q "reloaded the configuration; applied: probe and suspicion timing" "$W/n1/log" ||
    fail "the reload did not say what it applied: $(grep reload "$W/n1/log" | tail -2)"
# Until the restart the node listens on the old port, so it must go on
# advertising that one: the new port would take it out of the mesh.
wait_until 30 0.1 '[ "$(ctl n1 status --json | jq -r ".members[] | select(.self) | .addrs[0]")" = "198.51.100.1:7480" ]' ||
    fail "after a reload that changed listen, n1 advertises $(ctl n1 status --json | jq -c '.members[] | select(.self) | .addrs')"
wait_for 50 0.1 grep -q "reload: strict-rpf yes" "$W/n1/log" || fail "the parent did not apply strict-rpf"
wait_until 50 0.1 'nsx n1 nft list chain inet rpn pre 2>/dev/null | grep nic_restore | grep -vq "ct direction reply"' ||
    fail "strict-rpf was not applied to the table"
ctl n1 status >/dev/null || fail "rpnd is unwell after the reload"
say "reload: $(grep 'reloaded the configuration' "$W/n1/log" | tail -1 | sed 's/.*engine: //'); $(grep 'reload: listen' "$W/n1/log" | tail -1 | sed 's/.*rpnd: //')"

# A reload checks what a start checks: a user that does not exist (or root,
# or nobody) is refused now, not at the next restart.
printf 'probe-interval 800ms\nuser nosuchuser\n' > "$W/live.conf"
kill -HUP "$(cat "$W/n1/pid")"
wait_for 50 0.1 grep -q "keeping the old configuration: .*live.conf:2: user nosuchuser does not exist" "$W/n1/log" ||
    fail "a reload with a missing user was not refused: $(grep reload "$W/n1/log" | tail -2)"
say "reload with a missing user: $(grep 'nosuchuser' "$W/n1/log" | tail -1 | sed 's/.*rpnd: //' | cut -c1-120)"

# CLI mistakes: exit 2 with the usage line
for args in "frobnicate" "status --bogus" "invite --ttl soon" "invite extra"; do
	rc=0
	out=$(ctl n1 $args 2>&1) || rc=$?
	[ $rc -eq 2 ] || fail "rpnctl $args: exit $rc, expected 2"
	say "rpnctl $args: $(echo "$out" | head -1)"
done
# ... naming the word at fault: a value missing, a letter in a bundle
expect_fail "a missing value" 'rpnctl service: option "--to" needs a value' \
    ctl n1 service add x tcp/9000 --to
expect_fail "an unknown letter in a bundle" 'rpnctl service: unknown option "-w"' \
    ctl n1 service add -web tcp/9000 --to 100.64.2.10:80
expect_fail "a value for a flag" 'rpnctl status: option "--json=yes" takes no value' \
    ctl n1 status --json=yes
# ... an option that takes one value, given twice (the later one used to
# win silently: service add kept the last --to, exit 0, on the code before)
twice() {	# twice CMD...: a usage error that names the option given twice
	local rc=0 out first
	out=$("$@" 2>&1) || rc=$?
	# the first line without "| head -1": head's early exit could break
	# echo's pipe under pipefail when the usage follows (lib.sh)
	first=${out%%$'\n'*}
	[ $rc -eq 2 ] && echo "$first" |
	    grep -E '^rpn(ctl)?( [a-z]+)?: option "(--[a-z]+|-s)" given twice$' >/dev/null ||
	    fail "$*: exit $rc: $out"
	say "$first"
}
twice ctl n1 service add x tcp/9000 --to 100.64.2.10:80 --to 100.64.2.11:80
twice ctl n1 service del x --node n1 -n n2
twice ctl n1 invite --ttl 1h --ttl=2h
twice ctl n1 web enroll x --timeout 1m --timeout 2m
twice ctl n1 -s "$(sock n1)" status
twice rpn n1 join 198.51.100.2 --token x --token y
twice rpn n1 init --name a --name b
twice rpn n1 operator keygen --out "$W/k1" --out "$W/k2"
twice rpn n1 operator adopt --name a --name b
# options that add up still may repeat
rc=0; out=$(ctl n1 service add x tcp/9000 --to 100.64.2.10:80 --allow 203.0.113.0/24 \
    --allow 198.51.100.128/25 --dry-run 2>&1) || rc=$?
[ $rc -ne 2 ] || fail "two --allow refused as a usage error: $out"
# ... and a mistyped command names the one meant (exit 2, as every usage error)
rc=0; out=$(ctl n1 servce list 2>&1) || rc=$?
[ $rc -eq 2 ] && echo "$out" | grep -F 'unknown command "servce"; did you mean "service"?' >/dev/null ||
    fail "rpnctl servce: exit $rc: $out"
rc=0; out=$(rpn n1 jion 2>&1) || rc=$?
[ $rc -eq 2 ] && echo "$out" | grep -F 'did you mean "join"?' >/dev/null ||
    fail "rpn jion: exit $rc: $out"
say "mistyped commands: $(echo "$out" | head -1)"
# ... and subcommands too (on the code before, only the choices were listed)
for typo in "service lsit:list" "operator lst:list" "operator keygn:rpn operator keygen" \
    "lan aprove:approve" "web enrol:enroll"; do
	args=${typo%%:*} meant=${typo#*:}
	rc=0; out=$(ctl n1 $args 2>&1) || rc=$?
	[ $rc -eq 2 ] && echo "$out" | grep -F "unknown subcommand \"${args#* }\"" |
	    grep -F "did you mean \"$meant\"?" >/dev/null ||
	    fail "rpnctl $args: exit $rc: $out"
done
rc=0; out=$(rpn n1 operator kegen 2>&1) || rc=$?
[ $rc -eq 2 ] && echo "$out" | grep -F 'did you mean "keygen"?' >/dev/null ||
    fail "rpn operator kegen: exit $rc: $out"
say "mistyped subcommands: $(echo "$out" | head -1)"
rc=0; rpn n1 join 198.51.100.1 >/dev/null 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "join without --token: exit $rc"
rc=0; rpn n1 join nowhere --token x >/dev/null 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "join to a name: exit $rc"
rc=0; rpn n1 init --name "bad name" >/dev/null 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "bad --name: exit $rc"
expect_fail "bad token text" "not a valid token" rpn n1 join 198.51.100.2 --token rpn1_nonsense
rpn n1 --help | grep "usage: rpn" >/dev/null || fail "rpn --help"
ctl n1 status --help | grep "usage: rpnctl status" >/dev/null || fail "rpnctl status --help"

# no daemon
stop n1
expect_fail "status without rpnd" "rpnd is not running" ctl n1 status
expect_fail "a second rpnd on the same socket" "another rpnd" sh -c \
    "rm -f $(sock n1); ip netns exec $(ns n1) $RPN_BUILD/rpnd -s $(sock n1) -S $W/n1/state & \
     for i in \$(seq 50); do [ -S $(sock n1) ] && break; sleep 0.1; done; \
     ip netns exec $(ns n1) $RPN_BUILD/rpnd -s $(sock n1) -S $W/n1/state2; rc=\$?; \
     kill \$! 2>/dev/null; wait; exit \$rc"
