#!/usr/bin/env bash
# cover.sh COVDIR FUZZER...: run each harness's kept corpus
# (tests/fuzz/corpus/NAME/) once through its coverage build (COVDIR/NAME,
# made with -fprofile-instr-generate -fcoverage-mapping) and print
# llvm-cov's report for the files that harness is there to test, then one
# summary line per harness.  The llvm tools are the ones of clang's version.
set -u
covdir=${1:?usage: cover.sh COVDIR FUZZER...}
shift
corpus=${FUZZ_CORPUS:-tests/fuzz/corpus}
summary=${FUZZ_SUMMARY:-/dev/null}
ver=$(clang --version | sed -n 's/.*clang version \([0-9]*\)\..*/\1/p' | head -1)
profdata=llvm-profdata-$ver
cov=llvm-cov-$ver
command -v "$profdata" >/dev/null || profdata=llvm-profdata
command -v "$cov" >/dev/null || cov=llvm-cov
work=$(mktemp -d /tmp/rpn-fuzz-cover.XXXXXX)
trap 'rm -rf "$work"' EXIT

# targets NAME: the sources a harness exists to test.
targets() {
	case $1 in
	fuzz-api)	echo node/core/apireq.c ;;
	fuzz-config)	echo node/core/config.c node/core/state.c ;;
	fuzz-ctl)	echo proto/ctl.c ;;
	fuzz-envelope)	echo proto/box.c proto/envelope.c proto/token.c node/core/mesh.c ;;
	fuzz-httpsig)	echo node/core/httpsig.c ;;
	fuzz-priv)	echo node/core/dpplan.c ;;
	fuzz-webpath)	echo node/core/webpath.c ;;
	fuzz-wire)	echo proto/wire.c proto/oprec.c proto/mp.c ;;
	*)		echo proto node/core ;;
	esac
}

failn=0
lines=()
for f in "$@"; do
	name=$(basename "$f")
	bin=$covdir/$name
	if [ ! -x "$bin" ] || [ ! -d "$corpus/$name" ]; then
		echo "FAIL $name: no $bin or no $corpus/$name"
		failn=$((failn + 1))
		continue
	fi
	# -runs=0: run every input of the corpus once, fuzz nothing.
	if ! LLVM_PROFILE_FILE="$work/$name.profraw" "$bin" -runs=0 \
	    -rss_limit_mb=2048 "$corpus/$name" >"$work/$name.log" 2>&1; then
		echo "FAIL $name: an input of the corpus fails"
		tail -20 "$work/$name.log" | sed 's/^/    /'
		failn=$((failn + 1))
		continue
	fi
	"$profdata" merge -sparse -o "$work/$name.profdata" "$work/$name.profraw" || {
		failn=$((failn + 1)); continue; }
	echo "== $name ($(find "$corpus/$name" -type f | wc -l) inputs)"
	# shellcheck disable=SC2046
	"$cov" report "$bin" -instr-profile="$work/$name.profdata" \
	    $(targets "$name") | tee "$work/$name.report"
	# TOTAL: regions, missed, %, functions, missed, %, lines, missed, %,
	# branches, missed, %.
	read -r reg fn ln br < <(awk '$1 == "TOTAL" { print $4, $7, $10, $13 }' "$work/$name.report")
	# The functions the corpus reaches at all, and their lines: what the
	# harness drives is tested this deeply; the rest of the files (file
	# I/O, encoders) it never calls.
	# shellcheck disable=SC2046
	reached=$("$cov" report -show-functions "$bin" \
	    -instr-profile="$work/$name.profdata" $(targets "$name") |
	    awk 'NF == 10 && $1 != "TOTAL" && $2 ~ /^[0-9]+$/ && $2 > 0 {
		all++; if ($3 < $2) { n++; l += $5; m += $6 } }
	    END { printf "%d/%d %.2f%%", n, all, l ? 100 * (l - m) / l : 0 }')
	lines+=("$(printf '%-14s %8s %10s %8s %9s %9s %12s   %s' "$name" "${ln:-?}" \
	    "${fn:-?}" "${reg:-?}" "${br:-?}" ${reached:-? ?} "$(targets "$name")")")
done
hdr=$(printf '%-14s %8s %10s %8s %9s %9s %12s   %s' harness lines functions regions branches reached reached_lines files)
echo
echo "$hdr"
echo "$hdr" >>"$summary"
for l in "${lines[@]}"; do
	echo "$l"
	echo "$l" >>"$summary"
done
[ $failn -eq 0 ]
