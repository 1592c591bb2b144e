#!/usr/bin/env bash
# check.sh: everything "make check" runs, with one closing line of totals:
# the gcc build and its hardening and a clang build, both with warnings as errors,
# scan-build, unit tests (plain and ASan+UBSan), the simulator's asserted
# small meshes (plain and ASan+UBSan), integration tests in
# network namespaces (against both builds), and a short libFuzzer run of
# every harness.
set -u
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
total_pass=0 total_fail=0 total_skip=0
stages=()

# stage NAME CMD...: run, show, and add up its "N passed, N failed[, N skipped]".
stage() {
	local name=$1 out line p f s t0=$SECONDS
	shift
	echo "=== $name"
	out=$(mktemp)
	"$@" 2>&1 | tee "$out"
	t0=$((SECONDS - t0))
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -1)
	if [ -z "$line" ]; then
		echo "($name did not report results: counted as one failure)"
		p=0 f=1 s=0
	else
		p=$(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/')
		f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
		s=$(echo "$line" | sed -nE 's/.* ([0-9]+) skipped.*/\1/p')
		s=${s:-0}
	fi
	rm -f "$out"
	total_pass=$((total_pass + p)) total_fail=$((total_fail + f))
	total_skip=$((total_skip + s))
	stages+=("$(printf '%-28s %-40s %4d s' "$name" "${line:-no result}" "$t0")")
}

# A build counts as one test: it passes when it compiles without error.
build() {
	if make -s -j"$jobs" "$@" all; then
		echo "1 passed, 0 failed"
	else
		echo "0 passed, 1 failed"
	fi
}

# scan-build over a clean clang build of every program, the unit tests and
# the benchmarks' tools: each report counts as one failure, and the reports
# are kept for scan-view.  --use-cc makes ccc-analyzer compile with clang
# (it would use gcc), so the build it checks is the clang build.
scan() {
	local dir n rc
	dir=$(mktemp -d /tmp/rpn-scan.XXXXXX)
	rm -rf build-scan
	scan-build --use-cc=clang --status-bugs -o "$dir" make -s -j"$jobs" \
	    CC=clang BUILD=build-scan all build-scan/unit-tests \
	    build-scan/bench-watch build-scan/bench-dp build-scan/rpn-sim 2>&1 |
	    tee "$dir/log"
	rc=${PIPESTATUS[0]}
	n=$(sed -nE 's/^scan-build: ([0-9]+) bugs? found.*/\1/p' "$dir/log")
	if [ "$rc" -eq 0 ]; then
		echo "1 passed, 0 failed"
		rm -rf "$dir"
	else
		echo "reports: scan-view $dir/*"
		echo "0 passed, ${n:-1} failed"
	fi
}

# The simulator under the sanitizers: a small mesh through every phase,
# with real crypto, loss, duplication and a restart.
sim_san() {
	if make -s -j"$jobs" SANITIZE=address,undefined build-san/rpn-sim &&
	    ASAN_OPTIONS=detect_leaks=1 build-san/rpn-sim --nodes 30 --loss 0.05 \
	    --dup 0.05 --idle 60 --seed 3 | tail -1 | grep -q '^sim '; then
		echo "1 passed, 0 failed"
	else
		echo "0 passed, 1 failed"
	fi
}

stage "build (gcc, -Werror)" build DEVELOPER=1
stage "hardening (PIE, RELRO...)" tests/check-hardening.sh build
stage "layers (make check-layers)" tests/check-layers.sh build
stage "build (clang, -Werror)" build CC=clang BUILD=build-clang DEVELOPER=1
stage "scan-build" scan
stage "unit" make -s unit
stage "simulator (make sim)" make -s sim
stage "build (ASan+UBSan)" build SANITIZE=address,undefined
stage "unit (ASan+UBSan)" make -s SANITIZE=address,undefined unit
stage "simulator (ASan+UBSan)" sim_san
# Two tests at a time (each in its own namespaces); those that time
# something run alone afterwards (run.sh, "# rpn-test: alone").
RPN_JOBS=${RPN_JOBS:-2} stage "integration" tests/integration/run.sh build
RPN_JOBS=${RPN_JOBS:-2} ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    stage "integration (ASan+UBSan)" tests/integration/run.sh build-san
stage "fuzz (${FUZZ_SECONDS:-10}s each)" make -s -j"$jobs" fuzz-smoke \
    FUZZ_SECONDS="${FUZZ_SECONDS:-10}"

echo
echo "=== summary"
printf '  %s\n' "${stages[@]}"
printf '  %-28s %-40s %4d s\n' "all" "" "$SECONDS"
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" -eq 0 ]
