# t-leave.sh: rpn leave is seen as "left" (not "failed"); the node can join again.
. "$(dirname "$0")/lib.sh"

hub
for i in 1 2 3; do node "n$i" "198.51.100.$i"; start "n$i"; done
mesh n1 n2 n3
wait_until 100 0.1 '[ "$(count_alive n1)" -eq 3 ]' || fail "mesh did not form"

rpn n3 leave | grep "left the mesh" >/dev/null || fail "leave did not say so"
wait_for 50 0.1 all_see left n3 n1 n2 || fail "the others do not show n3 as left"
say "n3 left: n1 and n2 show it as left"
out=$(ctl n3 status 2>&1) && fail "status exits 0 outside a mesh"
echo "$out" | grep "not in a mesh" >/dev/null || fail "status outside a mesh says: $out"
expect_fail "leave twice" "not in a mesh" rpn n3 leave
# no failure was ever reported for n3
ctl n1 status --json | jq -e '.members[] | select(.name == "n3") | .state == "left"' >/dev/null ||
    fail "n3 not left on n1"

rpn n3 join "$(addr n2)" --token "$(ctl n2 invite)" --name n3 >/dev/null
wait_for 100 0.1 all_see alive n3 n1 n2 || fail "n3 did not come back after rejoining"
say "n3 rejoined with a new token: alive everywhere"
