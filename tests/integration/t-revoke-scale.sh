# t-revoke-scale.sh: at N = 20, an operator's revocation reaches every
# member within 2 s: each lists the node as revoked.
# rpn-test: alone (it times something, or loads the machine: run.sh runs it by itself)
. "$(dirname "$0")/lib.sh"

N=20
hub
for i in $(seq 1 $N); do node "n$i" "198.51.100.$i"; start "n$i"; done
rpn n1 init --name n1 >/dev/null
for i in $(seq 2 $N); do
	rpn "n$i" join "$(addr n1)" --token "$(ctl n1 invite)" --name "n$i" >/dev/null
done
# Every member must know n$N before it is revoked: one that first hears of
# it afterwards refuses its record and never lists it as a member (status
# lists it as revoked all the same, but there is no moment to time).
all_know() {
	local i
	for i in $(seq 1 $N); do
		[ "$(count_alive "n$i")" -eq $N ] || return 1
	done
}
wait_for 300 0.1 all_know || fail "the mesh of $N did not form"
say "$N members"

# Each member logs, with its own clock (the machine's), the moment it
# takes the revocation ("member n20 is revoked"): that is when it stops
# forwarding to it.  Status is checked too, once it has been logged
# everywhere (polling 19 status outputs would measure the polling).
t0=$(date +%s%3N)
ctl n1 revoke "n$N" >/dev/null
logged() {
	local i
	for i in $(seq 1 $((N - 1))); do
		grep -q "member n$N is revoked" "$W/n$i/log" || return 1
	done
}
wait_for 100 0.1 logged || fail "not every member took the revocation within 10 s"
worst=0
for i in $(seq 1 $((N - 1))); do
	ts=$(grep -m1 "member n$N is revoked" "$W/n$i/log" | cut -d' ' -f1)
	ms=$(( $(date -d "$ts" +%s%3N) - t0 ))
	[ $ms -gt $worst ] && worst=$ms
done
for i in $(seq 1 $((N - 1))); do
	[ "$(state_of "n$i" "n$N")" = revoked ] || fail "n$i does not list n$N as revoked"
done
say "every one of $((N - 1)) members took the revocation; the last $worst ms after rpnctl revoke began"
[ $worst -le 2000 ] || fail "revocation took $worst ms at N = $N"
