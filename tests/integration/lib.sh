# lib.sh: helpers for integration tests: nodes in network namespaces around a
# bridge, rpnd per node, bounded waits, and a cleanup trap that always runs.
#
# Every test sources this, builds its own topology from namespaces it
# creates (named with a per-run prefix), and removes them on exit, even on
# failure.  Nothing is changed in the machine's own namespace.  Addresses are
# documentation prefixes only.

set -eu
set -o pipefail

: "${RPN_BUILD:?RPN_BUILD must name the build directory}"
RPN_BUILD=$(cd "$RPN_BUILD" && pwd)
TEST=$(basename "$0" .sh)
PFX="r$$"
W=$(mktemp -d "/tmp/rpn-$TEST.XXXXXX")
chmod 755 "$W"
# rpn init makes the mesh's first operator key here, not in root's home.
export RPN_OPERATOR_KEY="$W/operator.key"
# The console's pages: the source tree's, unless a test serves its own.
: "${RPN_WEB_ROOT:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/ctl/web}"
NSLIST=()
_status=FAILED

say() { printf '  %s\n' "$*"; }
fail() { printf '  FAIL: %s\n' "$*" >&2; exit 1; }
skip() { printf '  SKIP: %s\n' "$*"; _status=SKIPPED; exit 77; }

# contains GREP-ARGS...: grep's yes or no for a pipeline, reading all of
# its input.  grep -q stops at the first match; a writer that prints in
# several writes (nft flushes every line, curl every chunk) then dies of
# the broken pipe, and pipefail fails the whole pipeline: "found" read as
# "not found" (t-dp-plain failed so in CI under ASan+UBSan).
contains() { grep -c "$@" >/dev/null; }

cleanup() {
	local rc=$? ns
	set +e
	for ns in "${NSLIST[@]}"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -TERM 2>/dev/null
	done
	# Time to exit on their own (a sanitizer writes its report then),
	# bounded: what is left after 3 s is killed.
	wait_for 30 0.1 no_pids
	for ns in "${NSLIST[@]}"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	# A sanitizer report anywhere fails the test, even if it passed otherwise.
	if grep -lE "AddressSanitizer|LeakSanitizer|runtime error:" "$W"/*/log \
	    >/dev/null 2>&1; then
		echo "  FAIL: a sanitizer reported an error:"
		grep -hE -A12 "AddressSanitizer|LeakSanitizer|runtime error:" \
		    "$W"/*/log | head -40 | sed 's/^/  | /'
		rc=1
	fi
	if [ $rc -ne 0 ] && [ $rc -ne 77 ]; then
		for log in "$W"/*/log; do
			[ -f "$log" ] || continue
			echo "  --- last lines of $log"
			tail -n 15 "$log" | sed 's/^/  | /'
		done
	fi
	[ -n "${RPN_KEEP:-}" ] || rm -rf "$W"
	[ $rc -eq 0 ] && _status=SUCCESS
	echo "$TEST: $_status"
	exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ns() { echo "${PFX}$1"; }

# no_pids: no process is left in any of the test's namespaces.
no_pids() {
	local ns
	for ns in "${NSLIST[@]}"; do
		[ -z "$(ip netns pids "$ns" 2>/dev/null)" ] || return 1
	done
}

nsx() { local n=$1; shift; ip netns exec "$(ns "$n")" "$@"; }

newns() {
	ip netns add "$1"
	NSLIST+=("$1")
	ip -n "$1" link set lo up
}

# hub: a bridge in its own namespace that every node's uplink plugs into.
hub() {
	newns "$(ns hub)"
	ip -n "$(ns hub)" link add br0 type bridge
	ip -n "$(ns hub)" link set br0 up
}

# node NAME ADDR: a namespace with one uplink eth0 on the hub.
node() {
	local name=$1 addr=$2 n
	n=$(ns "$name")
	newns "$n"
	ip link add eth0 netns "$n" type veth peer name "p-$name" netns "$(ns hub)"
	ip -n "$n" addr add "$addr/24" dev eth0
	ip -n "$n" link set eth0 up
	ip -n "$(ns hub)" link set "p-$name" master br0
	ip -n "$(ns hub)" link set "p-$name" up
	mkdir -p "$W/$name"
	echo "$addr" > "$W/$name/addr"
}

addr() { cat "$W/$1/addr"; }
sock() { echo "$W/$1/sock"; }

# start NAME [rpnd args]: start rpnd in the node and wait for its socket.
start() {
	local name=$1
	shift
	# A socket left behind by a killed rpnd would pass the wait below before
	# the new parent has bound its own.
	rm -f "$(sock "$name")"
	# Not through a shell function: $! must be rpnd itself (ip netns exec
	# execs in place).
	# (RPN_WEB_ROOT empty: an rpnd from before the console, t-upgrade's)
	ip netns exec "$(ns "$name")" "$RPN_BUILD/rpnd" -d -s "$(sock "$name")" \
	    -S "$W/$name/state" ${RPN_WEB_ROOT:+--web-root "$RPN_WEB_ROOT"} \
	    "$@" >>"$W/$name/log" 2>&1 &
	echo $! > "$W/$name/pid"
	disown $!
	# The parent makes the socket; connections wait in its backlog until
	# the engine accepts them, so the socket's existence is enough.
	wait_for 50 0.1 test -S "$(sock "$name")" || fail "rpnd on $name did not start"
}

# crash NAME: kill -9 both of the node's rpnd processes.
crash() {
	ip netns pids "$(ns "$1")" | xargs -r kill -KILL
	wait_for 50 0.1 sh -c "! ip netns pids $(ns "$1") | grep -q ." ||
	    fail "processes of $1 survived kill -9"
}

stop() {
	kill -TERM "$(cat "$W/$1/pid")"
	wait_for 100 0.1 sh -c "! kill -0 $(cat "$W/$1/pid") 2>/dev/null" ||
	    fail "rpnd on $1 did not stop on SIGTERM"
}

ctl() { local n=$1; shift; nsx "$n" "$RPN_BUILD/rpnctl" -s "$(sock "$n")" "$@"; }
rpn() { local n=$1; shift; nsx "$n" "$RPN_BUILD/rpn" -s "$(sock "$n")" "$@"; }

# wait_for TRIES INTERVAL CMD...: bounded polling.
wait_for() {
	local tries=$1 interval=$2 i
	shift 2
	for ((i = 0; i < tries; i++)); do
		if "$@"; then return 0; fi
		sleep "$interval"
	done
	return 1
}

# wait_until TRIES INTERVAL 'EXPR': like wait_for, but EXPR is evaluated
# afresh each time (so $(...) inside it is re-run).
wait_until() {
	local tries=$1 interval=$2 i
	shift 2
	for ((i = 0; i < tries; i++)); do
		if eval "$*"; then return 0; fi
		sleep "$interval"
	done
	return 1
}

# listening NODE tcp|udp [ADDR:]PORT: a socket in NODE's namespace listens
# there.  Wait for this after starting a server, rather than sleeping.
listening() {
	local opt=-Hltn filter="sport = :$3"
	[ "$2" = udp ] && opt=-Hlun
	case $3 in *:*) filter="src $3";; esac
	[ -n "$(nsx "$1" ss $opt "$filter" 2>/dev/null)" ]
}

# state_of NODE MEMBER: MEMBER's state as NODE sees it ("" if unknown).
state_of() {
	ctl "$1" status --json 2>/dev/null |
	    jq -r --arg m "$2" '.members[] | select(.name == $m) | .state' || true
}

# all_see STATE MEMBER NODE...: every NODE reports MEMBER in STATE.
all_see() {
	local want=$1 member=$2 n
	shift 2
	for n in "$@"; do
		[ "$(state_of "$n" "$member")" = "$want" ] || return 1
	done
}

# count_alive NODE: members NODE lists as alive.
count_alive() {
	ctl "$1" status --json 2>/dev/null |
	    jq '[.members[] | select(.state == "alive")] | length' || echo 0
}

# state_records NODE: the records in NODE's state file, one a line:
# KIND VERSION FLAGS AUTHOR KEY (rpn-tool state-records).
state_records() {
	"$RPN_BUILD/rpn-tool" state-records "$W/$1/state" 2>/dev/null || true
}

# saved_members NODE: NODE's state file holds every member's node record
# (its own too: it is one of the members) at the version NODE shows.  rpnd
# writes the file within a second of a change; wait for this, not for that
# second.
saved_members() {
	local want
	want=$(ctl "$1" status --json 2>/dev/null |
	    jq -r '.members[] | "node \(.incarnation) \(.id)"' | sort -u) ||
	    return 1
	[ -n "$want" ] && [ -z "$(comm -23 <(echo "$want") \
	    <(state_records "$1" | awk '{ print $1, $2, $4 }' | sort))" ]
}

# saved NODE KIND KEY: NODE's state file holds a live (not deleted) record
# of KIND (node, service, ...) with KEY.
saved() {
	state_records "$1" |
	    awk -v k="$2" -v key="$3" '$1 == k && $3 % 2 == 0 && $5 == key { f = 1 }
		END { exit !f }'
}

# has_service NODE NAME: NODE lists service NAME.  An operator's grant
# for a second owner is made from what the node it runs on sees: tests
# that add a second owner right after the first wait for this.
has_service() {
	ctl "$1" service show "$2" >/dev/null 2>&1
}

counter() {
	ctl "$1" status --json | jq -r --arg c "$2" '.counters[$c]'
}

# mesh NAME...: the first node founds, each other joins through the first.
mesh() {
	local first=$1 n tok
	shift
	rpn "$first" init --name "$first" >/dev/null
	for n in "$@"; do
		tok=$(ctl "$first" invite)
		rpn "$n" join "$(addr "$first")" --token "$tok" --name "$n" >/dev/null
	done
}

# expect_fail WHAT PATTERN CMD...: CMD exits non-zero and says PATTERN on stderr.
expect_fail() {
	local what=$1 pat=$2 out rc=0
	shift 2
	out=$("$@" 2>&1 >/dev/null) || rc=$?
	[ $rc -ne 0 ] || fail "$what: succeeded, expected a refusal"
	echo "$out" | grep -- "$pat" >/dev/null || fail "$what: said \"$out\", expected \"$pat\""
	say "$what: refused (exit $rc): $out"
}
