#!/usr/bin/env bash
# check-hardening.sh BUILD: the programs were linked as the Makefile says,
# checked on the ELF files rather than trusted from the flags: PIE, full
# RELRO (relro + now), the stack protector, and _FORTIFY_SOURCE's checked
# calls.  A compiler or a CFLAGS override that drops one shows up here.
# Prints one line per program and "N passed, N failed".
set -u
B=${1:-build}
cd "$(dirname "$0")/.."
pass=0 failn=0

for p in rpnd rpnd-engine rpn rpnctl rpn-tool; do
	f=$B/$p
	why=()
	if [ ! -f "$f" ]; then
		why+=("missing")
	else
		readelf -hW "$f" | grep -q 'Type:.*DYN' || why+=("not PIE")
		readelf -dW "$f" | grep -q 'FLAGS_1.*PIE' || why+=("no PIE flag")
		readelf -lW "$f" | grep -q GNU_RELRO || why+=("no RELRO")
		readelf -dW "$f" | grep -q BIND_NOW || why+=("no BIND_NOW")
		nm -D "$f" | grep -q ' U __stack_chk_fail' ||
		    why+=("no stack protector")
		nm -D "$f" | grep -qE ' U __(memcpy|snprintf|printf)_chk' ||
		    why+=("not fortified")
	fi
	if [ ${#why[@]} -eq 0 ]; then
		echo "ok   $p"
		pass=$((pass + 1))
	else
		echo "FAIL $p: ${why[*]}"
		failn=$((failn + 1))
	fi
done
echo "$pass passed, $failn failed"
[ "$failn" -eq 0 ]
