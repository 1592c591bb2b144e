#!/usr/bin/env bash
# run.sh BUILD_DIR [TEST...]: run integration tests one at a time, each bounded in time.
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
for t in "${tests[@]}"; do
	[ -f "$t" ] || t="$here/${t%.sh}.sh"
	name=$(basename "$t" .sh)
	start=$(date +%s)
	# One file per run: two runs of the same test at once keep their own.
	out=$(mktemp "/tmp/rpn-it-$name.XXXXXX")
	timeout -k 10 "${RPN_TEST_TIMEOUT:-300}" bash "$t" >"$out" 2>&1
	rc=$?
	secs=$(( $(date +%s) - start ))
	case $rc in
	0)  pass=$((pass + 1)); echo "[OK]      $name (${secs}s)";;
	77) skipn=$((skipn + 1)); echo "[SKIPPED] $name: $(grep -m1 'SKIP:' "$out" | sed 's/.*SKIP: //')";;
	*)  failn=$((failn + 1)); failed+=("$name"); echo "[FAILED]  $name (exit $rc, ${secs}s)"
	    sed 's/^/    /' "$out";;
	esac
	[ $rc -eq 0 ] && [ -n "${RPN_VERBOSE:-}" ] && sed 's/^/    /' "$out"
	rm -f "$out"
done
echo "$pass passed, $failn failed, $skipn skipped"
[ $failn -eq 0 ]
