#!/usr/bin/env bash
# soak-integrity.sh: table inet rpn under attack for SOAK_SECONDS (default
# 600).  Every second another program makes a random change to the cloud
# node's table (an element deleted or added, a rule inserted, a set or a
# chain flushed, the whole table deleted) while site B adds and deletes
# services, and a client checks that a stable public service answers
# through the cloud node.  Passes when no check fails for more than 1 s in
# a row, and at the end the kernel's table and rpnd's mirror agree (rpnd's
# own element-by-element comparison, and the service elements checked
# against status here).  Run by "make bench"; bounded by SOAK_SECONDS.
set -u
export RPN_BUILD=${RPN_BUILD:-build}
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/integration/lib.sh"
. "$here/integration/topo.sh"
set +e

SOAK_SECONDS=${SOAK_SECONDS:-600}
topo_build
topo_servers
topo_start
ctl siteb service add web tcp/8080 --to 100.64.2.10:80 --public >/dev/null
wait_until 100 0.05 'programmed cloud web' || fail "web not programmed"

edits=("delete element inet rpn svc4 { tcp . 8080 }"
    "insert rule inet rpn pre accept"
    "flush set inet rpn members4"
    "flush chain inet rpn post_snat"
    "delete table inet rpn"
    "add element inet rpn public { tcp . 9999 }"
    "flush set inet rpn lans4"
    "delete rule inet rpn pre handle 0")
end=$(( $(date +%s) + SOAK_SECONDS ))
: > "$W/checks"
n=0 nedits=0 nsvc=0
while [ "$(date +%s)" -lt "$end" ]; do
	e=${edits[$((RANDOM % ${#edits[@]}))]}
	if [ "${e##*handle }" = 0 ]; then
		h=$(nsx cloud nft -a list chain inet rpn pre 2>/dev/null |
		    sed -n 's/.*# handle \([0-9]*\)$/\1/p' | shuf -n1)
		[ -n "$h" ] && e="delete rule inet rpn pre handle $h"
	fi
	nsx cloud nft $e >/dev/null 2>&1 && nedits=$((nedits + 1))
	if [ $((RANDOM % 3)) -eq 0 ]; then
		p=$((9000 + RANDOM % 20))
		if [ $((RANDOM % 2)) -eq 0 ]; then
			ctl siteb service add "s$p" tcp/$p --to 100.64.2.10:80 >/dev/null 2>&1
		else
			ctl siteb service del "s$p" >/dev/null 2>&1
		fi
		nsvc=$((nsvc + 1))
	fi
	for i in 1 2 3 4; do
		t=$(date +%s%3N)
		if [ "$(http inet http://198.51.100.2:8080/ 1)" = srvb ]; then
			echo "$t ok" >> "$W/checks"
		else
			echo "$t fail" >> "$W/checks"
		fi
		sleep 0.2
	done
	n=$((n + 1))
done

# the longest run of failed checks, in ms
worst=$(awk '$2 == "fail" { if (!s) s = $1; l = $1 } $2 == "ok" { if (s && l - s > w) w = l - s; s = 0 }
    END { if (s && l - s > w) w = l - s; print w + 0 }' "$W/checks")
failed=$(grep -c fail "$W/checks")
total=$(wc -l < "$W/checks")

# the end: let it settle, make it compare once more, and compare ourselves
sleep 2
v0=$(counter cloud dp_verified)
nsx cloud nft add element inet rpn public '{ tcp . 9998 }'
wait_until 50 0.1 '[ "$(counter cloud dp_verified)" -gt '"$v0"' ]' || fail "rpnd did not verify its table at the end"
st=$(ctl cloud status --json)
echo "$st" | jq -e '.kernel.state == "ok"' >/dev/null || fail "kernel state at the end: $(echo "$st" | jq -c .kernel)"
want=$(echo "$st" | jq -r '.services[] | select(.forwarding.mode != "none") | "\(.proto) . \(.port)"' | sort)
have=$(nsx cloud nft -j list map inet rpn svc4 | jq -r '.nftables[] | .map? | select(.) | .elem[]? | .[0].concat | "\(.[0]) . \(.[1])"' | sort)
[ "$want" = "$have" ] || fail "svc4 differs from status: want [$want] have [$have]"

echo "soak: $SOAK_SECONDS s, $nedits foreign edits, $nsvc service changes, $total checks, $failed failed"
echo "soak: longest run of failed checks: $worst ms; repairs $(echo "$st" | jq .counters.dp_repairs), verified $(echo "$st" | jq .counters.dp_verified), mismatches $(echo "$st" | jq .counters.dp_verify_mismatches)"
[ "$worst" -le 1000 ] || fail "checks failed for $worst ms in a row"
say "kernel and mirror agree at the end"
