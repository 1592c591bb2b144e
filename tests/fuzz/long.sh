#!/usr/bin/env bash
# long.sh RUNS FUZZER...: fuzz each harness for RUNS executions, starting
# from its kept corpus (tests/fuzz/corpus/NAME/) and rpn-tool's seeds, then
# minimise what it found into the kept corpus again (-merge=1).  One line
# per harness: executions, wall time, corpus files and bytes, crashes.
#
# Environment: RPN_TOOL (build/rpn-tool), FUZZ_CORPUS (tests/fuzz/corpus),
# FUZZ_NICE (10: the niceness each fuzzer runs at), FUZZ_MAX_LEN (1024:
# the longest input libFuzzer makes; the seeds may be longer),
# FUZZ_SUMMARY (a file the table is appended to, as well), FUZZ_MAX_TIME
# (seconds: stop a harness after this long even if it has not made RUNS
# executions; 0, the default, means no limit).
set -u
runs=${1:?usage: long.sh RUNS FUZZER...}
shift
tool=${RPN_TOOL:-build/rpn-tool}
corpus=${FUZZ_CORPUS:-tests/fuzz/corpus}
nice=${FUZZ_NICE:-10}
maxlen=${FUZZ_MAX_LEN:-1024}
maxtime=${FUZZ_MAX_TIME:-0}
summary=${FUZZ_SUMMARY:-/dev/null}
work=$(mktemp -d /tmp/rpn-fuzz-long.XXXXXX)
trap 'rm -rf "$work"' EXIT

# bytes DIR: the bytes of the files in DIR.
bytes() { find "$1" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }'; }

failn=0
hdr=$(printf '%-14s %12s %8s %9s %7s %9s %7s' harness executions wall_s exec_per_s files bytes crashes)
echo "$hdr"
echo "$hdr" >>"$summary"
for f in "$@"; do
	name=$(basename "$f")
	kept=$corpus/$name
	rm -rf "$work/seeds"
	"$tool" fuzz-seeds "$work/seeds" || { echo "cannot make seeds"; exit 1; }
	mkdir -p "$kept" "$work/seeds/$name" "$work/new-$name" "$work/merged-$name"
	t0=$(date +%s.%N)
	# New inputs go to the first directory; the kept corpus and the seeds
	# are read, not written.
	nice -n "$nice" "$f" -runs="$runs" -max_total_time="$maxtime" \
	    -max_len="$maxlen" -timeout=10 \
	    -rss_limit_mb=2048 -print_final_stats=1 \
	    -artifact_prefix="$work/" "$work/new-$name" "$kept" \
	    "$work/seeds/$name" >"$work/$name.log" 2>&1
	rc=$?
	t1=$(date +%s.%N)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$name.log")
	crashes=0
	if [ $rc -ne 0 ]; then
		crashes=1
		echo "FAIL $name (exit $rc)"
		grep -E "ERROR|SUMMARY|==[0-9]+==" "$work/$name.log" | head -20 | sed 's/^/    /'
		for a in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*; do
			[ -f "$a" ] && cp "$a" "tests/fuzz/" && echo "    saved $(basename "$a") in tests/fuzz/"
		done
		rm -f "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*
		failn=$((failn + 1))
	fi
	# Minimise: the smallest set of inputs that reaches every feature
	# the kept corpus, the seeds and the new inputs reach together.
	if nice -n "$nice" "$f" -merge=1 -max_len=65536 -timeout=10 \
	    -rss_limit_mb=2048 "$work/merged-$name" "$kept" \
	    "$work/seeds/$name" "$work/new-$name" >"$work/$name.merge.log" 2>&1; then
		find "$kept" -type f -delete
		cp "$work/merged-$name"/* "$kept/" 2>/dev/null
	else
		echo "FAIL $name: the merge failed; $kept left as it was"
		tail -5 "$work/$name.merge.log" | sed 's/^/    /'
		failn=$((failn + 1))
	fi
	wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", b - a }')
	rate=$(awk -v e="${execs:-0}" -v a="$t0" -v b="$t1" \
	    'BEGIN { printf "%.0f", (b > a ? e / (b - a) : 0) }')
	line=$(printf '%-14s %12s %8d %9d %7d %9d %7d' "$name" "${execs:-?}" \
	    "$wall" "$rate" \
	    "$(find "$kept" -type f | wc -l)" "$(bytes "$kept")" $crashes)
	echo "$line"
	echo "$line" >>"$summary"
	rm -rf "$work/new-$name" "$work/merged-$name"
done
echo "total corpus: $(find "$corpus" -type f | wc -l) files, $(bytes "$corpus") bytes"
[ $failn -eq 0 ]
