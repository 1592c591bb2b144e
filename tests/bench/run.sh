#!/usr/bin/env bash
# run.sh BUILD: every benchmark in tests/bench, each beside its peers in the
# same run on this machine. Environment knobs are passed through (see the
# header of each script); the defaults take about 28 minutes on 2 cores, plus about 15 CPU minutes
# for the simulator at N = 1,000 (tests/sim/run.sh).
set -u
cd "$(dirname "$0")/../.."
export RPN_BUILD=${1:-build}
rc=0
echo "== simulator: rpn's real core at N = 100, 1,000, 10,000, and Serf's model (tests/sim/run.sh)"
tests/sim/run.sh "$RPN_BUILD" bench || rc=1
tests/sim/serf-model.py --loss 0.01 ${SIM_SIZES:-100 1000 10000} || rc=1
echo
echo "== gossip: rpn vs Serf (tests/bench/gossip.sh)"
tests/bench/gossip.sh || rc=1
echo
echo "== join bursts: N-1 joins at one member at once, rpn alone (tests/bench/gossip.sh)"
BURST_SIZES=${BURST_SIZES:-200 500} BURST_RUNS=${BURST_RUNS:-3} tests/bench/gossip.sh || rc=1
echo
echo "== data plane: rpn vs plain routing, nft NAT, wireguard-go, nebula, haproxy (tests/bench/dataplane.sh)"
tests/bench/dataplane.sh || rc=1
echo
echo "== table integrity: foreign edits every second for SOAK_SECONDS (tests/bench/soak-integrity.sh)"
tests/bench/soak-integrity.sh || rc=1
echo
echo "== fuzzing at depth is not run here (hours of CPU): make fuzz-long; figures in docs/security.md \"Fuzzing\""
exit $rc
