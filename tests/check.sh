#!/usr/bin/env bash
# check.sh: everything "make check" runs, with one closing line of totals:
# unit tests (plain and ASan+UBSan), integration tests in network namespaces
# (against both builds), and a short libFuzzer run of every harness.
set -u
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
total_pass=0 total_fail=0 total_skip=0
stages=()

# stage NAME CMD...: run, show, and add up its "N passed, N failed[, N skipped]".
stage() {
	local name=$1 out line p f s
	shift
	echo "=== $name"
	out=$(mktemp)
	"$@" 2>&1 | tee "$out"
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
	stages+=("$(printf '%-28s %s' "$name" "${line:-no result}")")
}

# A build counts as one test: it passes when it compiles without error.
build() {
	if make -s -j"$jobs" "$@" all; then
		echo "1 passed, 0 failed"
	else
		echo "0 passed, 1 failed"
	fi
}

stage "build" build
stage "layers (make check-layers)" tests/check-layers.sh build
stage "unit" make -s unit
stage "build (ASan+UBSan)" build SANITIZE=address,undefined
stage "unit (ASan+UBSan)" make -s SANITIZE=address,undefined unit
stage "integration" tests/integration/run.sh build
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    stage "integration (ASan+UBSan)" tests/integration/run.sh build-san
stage "fuzz (${FUZZ_SECONDS:-20}s each)" make -s fuzz-smoke FUZZ_SECONDS="${FUZZ_SECONDS:-20}"

echo
echo "=== summary"
printf '  %s\n' "${stages[@]}"
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" -eq 0 ]
