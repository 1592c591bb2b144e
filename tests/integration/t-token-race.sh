# t-token-race.sh: one token, two joins at the same instant through two members: one node is admitted.
# rpn-test: long (20 rounds: about 40 s)
. "$(dirname "$0")/lib.sh"

ROUNDS=20
hub
for i in 1 2 3; do node "n$i" "198.51.100.$i"; start "n$i"; done
# Two pairs of joiners, taking turns: while one pair races, the other's
# winner leaves (rpn leave lingers for a moment while gossip spreads it).
JA=(ja jc)
JB=(jb jd)
leave_pid=("" "")
for i in 0 1; do
	node "${JA[i]}" "198.51.100.1$((2 * i + 1))"
	node "${JB[i]}" "198.51.100.1$((2 * i + 2))"
	start "${JA[i]}"
	start "${JB[i]}"
done
mesh n1 n2 n3
for n in n1 n2 n3; do
	wait_until 100 0.1 '[ "$(count_alive $n)" -eq 3 ]' ||
	    fail "$n lists $(count_alive $n) of 3 alive"
done
id1=$(ctl n1 status --json | jq -r .node.id)

# The tokens of every round (and of the last case) are made first, so that
# a round need not wait for its invitation to reach n2 and n3 by gossip;
# each round still spends a token of its own.
ntok=$((ROUNDS + 2))
tokens=()
for ((i = 0; i < ntok; i++)); do tokens+=("$(ctl n1 invite)"); done
# invites_held NODE N: NODE's state file holds N live invitations by n1
# (two more went into forming the mesh).
invites_held() {
	[ "$(state_records "$1" | awk -v a="$id1" \
	    '$1 == "invite" && $3 % 2 == 0 && $4 == a { n++ } END { print n + 0 }')" \
	    -ge $(($2 + 2)) ]
}
for n in n2 n3; do
	wait_until 100 0.1 'invites_held $n $ntok' ||
	    fail "n1's invitations did not reach $n"
done

# fresh NODE: NODE's rpnd again, with a new key (its state is gone).
fresh() {
	stop "$1"
	rm -rf "$W/$1/state"
	start "$1"
}

# lists NODE WIN LOSE: NODE lists WIN alive, and LOSE not at all.
lists() {
	ctl "$1" status --json 2>/dev/null | jq -e --arg w "$2" --arg l "$3" \
	    '([.members[] | select(.name == $w and .state == "alive")] |
	    length == 1) and ([.members[] | select(.name == $l)] | length == 0)' \
	    >/dev/null
}

# reset PAIR: once the pair's last winner has left, both run afresh.
reset() {
	[ -n "${leave_pid[$1]}" ] || return 0
	wait "${leave_pid[$1]}" || fail "rpn leave: $(cat "$W/leave-$1")"
	leave_pid[$1]=""
	fresh "${JA[$1]}"
	fresh "${JB[$1]}"
}

# racer NODE VIA TOKEN NAME: rpn join, once the test lets go of the lock.
racer() {
	local cmd
	cmd=(ip netns exec "$(ns "$1")" "$RPN_BUILD/rpn" -s "$(sock "$1")" join
	    "$(addr "$2")" --token "$3" --name "$4")
	exec 9>&- 8<"$W/lock" >"$W/out-$1" 2>&1
	touch "$W/ready-$1"
	flock -s 8
	exec "${cmd[@]}"
}

# race ROUND TOKEN VIA_A VIA_B PAIR: the pair's two joiners, let go at the
# same instant, join with one token, x through VIA_A and y through VIA_B.
# Exactly one may get in, and the other must be told the token was used.
# Sets win and lose (names).
race() {
	local r=$1 tok=$2 via_a=$3 via_b=$4 p=$5 x y px py rcx=0 rcy=0 winnode n
	x=${JA[p]} y=${JB[p]}
	reset "$p"
	rm -f "$W/ready-$x" "$W/ready-$y"
	# Both wait on a lock the test holds, with their command lines made,
	# and start together once it is released.
	exec 9>"$W/lock"
	flock -x 9
	racer "$x" "$via_a" "$tok" "a$r" &
	px=$!
	racer "$y" "$via_b" "$tok" "b$r" &
	py=$!
	wait_for 100 0.01 test -e "$W/ready-$x" -a -e "$W/ready-$y" ||
	    fail "round $r: the joiners did not start"
	flock -u 9
	exec 9>&-
	wait $px || rcx=$?
	wait $py || rcy=$?
	if [ $rcx -eq 0 ] && [ $rcy -eq 0 ]; then
		fail "round $r: both a$r (via $via_a) and b$r (via $via_b) joined with one token"
	elif [ $rcx -eq 0 ]; then
		win=a$r lose=b$r winnode=$x n=$y
	elif [ $rcy -eq 0 ]; then
		win=b$r lose=a$r winnode=$y n=$x
	else
		fail "round $r: neither joined: a$r: $(cat "$W/out-$x") b$r: $(cat "$W/out-$y")"
	fi
	grep -q "already used" "$W/out-$n" ||
	    fail "round $r: $lose was told \"$(cat "$W/out-$n")\", not that the token was used"
	# Each member lists the winner alive, and then not the loser.
	for n in n1 n2 n3; do
		wait_until 100 0.05 'lists $n $win $lose' ||
		    fail "round $r: $n does not list the winner $win alive, or lists $lose, which was refused"
	done
	# The winner leaves, so the mesh stays at three members (four while
	# the other pair races).
	rpn "$winnode" leave >"$W/leave-$p" 2>&1 &
	leave_pid[p]=$!
}

t0=$(date +%s)
for ((r = 1; r <= ROUNDS; r++)); do
	race "$r" "${tokens[r - 1]}" n2 n3 $((r % 2))
done
say "$ROUNDS rounds through n2 and n3: one joiner each time, the other told the token was used ($(($(date +%s) - t0)) s)"
race 0 "${tokens[ROUNDS]}" n2 n1 0
say "through n2 and n1, the inviter itself: $win joined, $lose was refused"
reset 0
reset 1

refused=0
for n in n1 n2 n3; do refused=$((refused + $(counter $n joins_refused))); done
[ $refused -ge $((ROUNDS + 1)) ] ||
    fail "$((ROUNDS + 1)) refused joins, $refused counted"
say "refused joins and reservations counted: $refused"

# The inviter is down: nobody else may say its token is unused. rpn join
# asks again until its timeout (the shortest it takes), then says why.
stop n1
t0=$(date +%s)
expect_fail "inviter down" "the member that made this token (n1) cannot be reached" \
    rpn ja join "$(addr n2)" --token "${tokens[ROUNDS + 1]}" --name late \
    --timeout 10s
t=$(($(date +%s) - t0))
[ $t -ge 9 ] && [ $t -le 30 ] ||
    fail "inviter down: rpn join --timeout 10s gave up after $t s"
