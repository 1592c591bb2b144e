#!/usr/bin/env bash
# run.sh BUILD_DIR [TEST...]: run integration tests, each bounded in time
# (one at a time unless RPN_JOBS says otherwise).
set -u
BUILD=${1:?usage: run.sh BUILD_DIR [TEST...]}
shift
here=$(cd "$(dirname "$0")" && pwd)
export RPN_BUILD=$(cd "$BUILD" && pwd)
tests=("$@")
[ ${#tests[@]} -gt 0 ] || tests=("$here"/t-*.sh)
pass=0 failn=0 skipn=0 failed=()
# Without root nothing here can run.  That is a failure unless the caller
# says skipping is fine (RPN_INTEGRATION_SKIP_OK=1), so a run that tested
# nothing cannot be mistaken for one that passed.
if [ "$(id -u)" != 0 ]; then
	if [ "${RPN_INTEGRATION_SKIP_OK:-0}" = 1 ]; then
		echo "integration tests skipped: they need root (network namespaces)"
		echo "0 passed, 0 failed, ${#tests[@]} skipped"
		exit 0
	fi
	echo "integration tests need root (network namespaces);"
	echo "set RPN_INTEGRATION_SKIP_OK=1 to skip them instead"
	echo "0 passed, ${#tests[@]} failed, 0 skipped"
	exit 1
fi
# rpnd runs its engine as _rpn and refuses to start without that user.
"$here/../../deploy/mkuser.sh" || exit 1
# RPN_JOBS=N runs up to N tests at once (each in its own namespaces, so
# they cannot meet); a test whose file says "# rpn-test: alone" (it times
# something, or loads the machine) runs by itself after the others.
jobs=${RPN_JOBS:-1}
declare -A started=() out_of=()
finish() {	# finish NAME RC: count and print one test's result
	local name=$1 rc=$2 out=${out_of[$1]} secs=$(( $(date +%s) - ${started[$1]} ))
	case $rc in
	0)  pass=$((pass + 1)); echo "[OK]      $name (${secs}s)";;
	77) skipn=$((skipn + 1)); echo "[SKIPPED] $name: $(grep -m1 'SKIP:' "$out" | sed 's/.*SKIP: //')";;
	*)  failn=$((failn + 1)); failed+=("$name"); echo "[FAILED]  $name (exit $rc, ${secs}s)"
	    sed 's/^/    /' "$out";;
	esac
	[ "$rc" -eq 0 ] && [ -n "${RPN_VERBOSE:-}" ] && sed 's/^/    /' "$out"
	rm -f "$out"
}
declare -A pid_of=()
reap() {	# reap: wait for one running test to end
	local name rc
	local done_pid=
	wait -n -p done_pid "${pid_of[@]}"
	rc=$?
	for name in "${!pid_of[@]}"; do
		[ "${pid_of[$name]}" = "$done_pid" ] || continue
		unset "pid_of[$name]"
		finish "$name" "$rc"
		return
	done
}
launch() {	# launch FILE: start one test in the background
	local t=$1 name
	name=$(basename "$t" .sh)
	started[$name]=$(date +%s)
	# One file per run: two runs of the same test at once keep their own.
	out_of[$name]=$(mktemp "/tmp/rpn-it-$name.XXXXXX")
	timeout -k 10 "${RPN_TEST_TIMEOUT:-300}" bash "$t" >"${out_of[$name]}" 2>&1 &
	pid_of[$name]=$!
}
# A test whose file says "# rpn-test: long" starts first, so that the
# others run beside it instead of leaving it to run on its own at the end.
long=() rest=()
for t in "${tests[@]}"; do
	[ -f "$t" ] || t="$here/${t%.sh}.sh"
	if grep -q '^# rpn-test: long' "$t"; then long+=("$t"); else rest+=("$t"); fi
done
alone=()
for t in "${long[@]}" "${rest[@]}"; do
	if [ "$jobs" -gt 1 ] && grep -q '^# rpn-test: alone' "$t"; then
		alone+=("$t")
		continue
	fi
	while [ "${#pid_of[@]}" -ge "$jobs" ]; do reap; done
	launch "$t"
done
while [ "${#pid_of[@]}" -gt 0 ]; do reap; done
for t in "${alone[@]}"; do
	launch "$t"
	reap
done
echo "$pass passed, $failn failed, $skipn skipped"
[ $failn -eq 0 ]
