# t-tokens.sh: made-up, malformed, expired and used tokens are refused with a clear message.
. "$(dirname "$0")/lib.sh"

hub
for i in 1 2 3 4; do node "n$i" "198.51.100.$i"; start "n$i"; done
rpn n1 init --name n1 >/dev/null

good=$(ctl n1 invite)
# Made up: a well-formed token for this mesh whose secret nobody issued.
made_up=$("$RPN_BUILD/rpn-tool" made-up-token "$good")
expect_fail "made-up token" "no invitation with this token" \
    rpn n2 join "$(addr n1)" --token "$made_up" --name n2
# one character changed (to X, or to Y when it is an X already)
typo=X; [ "${good:20:1}" = X ] && typo=Y
expect_fail "mistyped token" "checksum" \
    rpn n2 join "$(addr n1)" --token "${good:0:20}$typo${good:21}" --name n2
expect_fail "truncated token" "it is too short: a token is 72 characters (was it cut short" \
    rpn n2 join "$(addr n1)" --token "${good:0:40}" --name n2
expect_fail "a token with more after it" "it is too long: a token is 72 characters" \
    rpn n2 join "$(addr n1)" --token "${good}x" --name n2

short=$(ctl n1 invite --ttl 1s)
sleep 2.2	# the scenario: the 1 s token expires (whole seconds, so up to 2 s)
expect_fail "expired token" "expired" rpn n2 join "$(addr n1)" --token "$short" --name n2

# pasted with whitespace around it (a leading space, a CR and a newline):
# taken as it is (on the code before: "wrong length (was it cut short
# when copied?)" though it was longer)
rpn n2 join "$(addr n1)" --token " $good"$'\r\n' --name n2 >/dev/null ||
    fail "a good token with whitespace around it was refused"
say "a good token, with whitespace around it, admits n2"
expect_fail "used token" "already used" rpn n3 join "$(addr n1)" --token "$good" --name n3
# ... through another member as well, once the join has spread
wait_until 50 0.1 '[ "$(count_alive n2)" -eq 2 ]' || fail "n2 not settled"
expect_fail "used token via n2" "already used" rpn n3 join "$(addr n2)" --token "$good" --name n3
expect_fail "taken name" "taken" rpn n3 join "$(addr n1)" --token "$(ctl n1 invite)" --name n2
# (--timeout 10s, the least: it retries for its timeout, 2 min by default)
expect_fail "nobody listening" "failed" rpn n3 join 198.51.100.99 --token "$(ctl n1 invite)" \
    --name n3 --timeout 10s
# nothing of the failures stuck: n3 can still join
rpn n3 join "$(addr n1)" --token "$(ctl n1 invite)" --name n3 >/dev/null
wait_until 100 0.1 '[ "$(count_alive n1)" -eq 3 ]' || fail "n3 did not join after the refusals"
[ "$(counter n1 joins_refused)" -ge 4 ] || fail "refusals were not counted"
say "refused joins counted: $(counter n1 joins_refused)"

# a node that is not in a mesh cannot invite; one in a mesh cannot init or join again
expect_fail "invite outside a mesh" "not in a mesh" ctl n4 invite
expect_fail "init twice" "already in a mesh" rpn n1 init --name again
expect_fail "join while in a mesh" "already in a mesh" \
    rpn n2 join "$(addr n1)" --token "$(ctl n1 invite)"
