#!/usr/bin/env bash
# run.sh SECONDS FUZZER...: a short libFuzzer run of each harness, seeded by
# rpn-tool and by the kept corpus (tests/fuzz/corpus/NAME/, which make
# fuzz-long grows; it is only read here).  FUZZ_JOBS harnesses at a time
# (default: one a core).
set -u
secs=${1:?usage: run.sh SECONDS FUZZER...}
shift
tool=${RPN_TOOL:-build/rpn-tool}
work=$(mktemp -d /tmp/rpn-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$tool" fuzz-seeds "$work/seeds" || { echo "cannot make seeds"; exit 1; }
jobs=${FUZZ_JOBS:-$(nproc)}
# one FUZZER: its run, its status in $work/NAME.rc
one() {
	local f=$1 name kept=
	name=$(basename "$f")
	mkdir -p "$work/corpus-$name" "$work/seeds/$name" "$work/art-$name"
	[ -d "tests/fuzz/corpus/$name" ] && kept=tests/fuzz/corpus/$name
	"$f" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
	    -print_final_stats=1 -artifact_prefix="$work/art-$name/" \
	    "$work/corpus-$name" "$work/seeds/$name" $kept >"$work/$name.log" 2>&1
	echo $? > "$work/$name.rc"
}
# as many at a time as there are cores; the results in the order given
running=0
for f in "$@"; do
	if [ "$running" -ge "$jobs" ]; then
		wait -n
		running=$((running - 1))
	fi
	one "$f" &
	running=$((running + 1))
done
wait
pass=0 failn=0
for f in "$@"; do
	name=$(basename "$f")
	if [ "$(cat "$work/$name.rc" 2>/dev/null)" = 0 ]; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$name.log")
		echo "ok   $name ($runs inputs in ${secs}s)"
		pass=$((pass + 1))
	else
		echo "FAIL $name"
		grep -E "ERROR|SUMMARY|==[0-9]+==" "$work/$name.log" | head -20 | sed 's/^/    /'
		for a in "$work/art-$name"/crash-* "$work/art-$name"/leak-* \
		    "$work/art-$name"/timeout-* "$work/art-$name"/oom-*; do
			[ -f "$a" ] && cp "$a" "tests/fuzz/" && echo "    saved $(basename "$a") in tests/fuzz/"
		done
		failn=$((failn + 1))
	fi
done
echo "$pass passed, $failn failed"
[ $failn -eq 0 ]
