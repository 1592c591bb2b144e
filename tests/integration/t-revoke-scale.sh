# t-revoke-scale.sh: at N = 20, an operator's revocation reaches every
# member within 2 s: each lists the node as revoked.
. "$(dirname "$0")/lib.sh"

N=20
hub
for i in $(seq 1 $N); do node "n$i" "198.51.100.$i"; start "n$i"; done
rpn n1 init --name n1 >/dev/null
for i in $(seq 2 $N); do
	rpn "n$i" join "$(addr n1)" --token "$(ctl n1 invite)" --name "n$i" >/dev/null
done
wait_until 300 0.1 '[ "$(count_alive n1)" -eq $N ] && [ "$(count_alive n$N)" -eq $N ]' ||
    fail "the mesh of $N did not form"
say "$N members"

# Every member but the revoked one is watched; each records when it first
# lists n$N as revoked.
t0=$(date +%s%N)
ctl n1 revoke "n$N" >/dev/null
declare -A seen
left=$((N - 1))
for ((try = 0; try < 400 && left > 0; try++)); do
	for i in $(seq 1 $((N - 1))); do
		[ -n "${seen[$i]:-}" ] && continue
		if [ "$(state_of "n$i" "n$N")" = revoked ]; then
			seen[$i]=$(( ($(date +%s%N) - t0) / 1000000 ))
			left=$((left - 1))
		fi
	done
done
[ $left -eq 0 ] || fail "$left members never listed n$N as revoked"
worst=0
for i in "${!seen[@]}"; do [ "${seen[$i]}" -gt $worst ] && worst=${seen[$i]}; done
say "every one of $((N - 1)) members listed n$N revoked; the last after $worst ms (polling every member in turn)"
[ $worst -le 2000 ] || fail "revocation took $worst ms at N = $N"
