# t-failure.sh: kill -9 one node; the others report it failed, then alive again
# after a restart under the same identity, without a new token.
. "$(dirname "$0")/lib.sh"

hub
for i in 1 2 3 4; do node "n$i" "198.51.100.$i"; start "n$i"; done
mesh n1 n2 n3 n4
for n in n1 n2 n3 n4; do
	wait_until 100 0.1 '[ "$(count_alive $n)" -eq 4 ]' || fail "$n did not see 4 alive"
done
id=$(ctl n3 status --json | jq -r '.node.id')
# n3 restarts from its state file below: wait until that holds everyone.
wait_until 50 0.1 'saved_members n3' || fail "n3's state file did not catch up"

t0=$(date +%s.%N)
crash n3
wait_for 300 0.1 all_see failed n3 n1 n2 n4 || fail "not everyone reports n3 failed"
t1=$(date +%s.%N)
say "n3 killed: all others report it failed after $(echo "$t1 - $t0" | bc) s"

start n3
[ "$(ctl n3 status --json | jq -r '.node.id')" = "$id" ] || fail "n3 came back with another identity"
wait_for 200 0.1 all_see alive n3 n1 n2 n4 || fail "n3 is not alive everywhere after restart"
t2=$(date +%s.%N)
say "n3 restarted: alive everywhere after $(echo "$t2 - $t1" | bc) s, same id, no token"
wait_until 100 0.1 '[ "$(count_alive n3)" -eq 4 ]' || fail "n3 does not see the others"

# SIGTERM is a clean stop; a restart keeps identity and membership.
stop n2
start n2
wait_until 100 0.1 '[ "$(count_alive n2)" -eq 4 ]' || fail "n2 lost its membership over a restart"
say "n2 stopped with SIGTERM and restarted: still a member"
