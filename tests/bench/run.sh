#!/usr/bin/env bash
# run.sh BUILD: every benchmark in tests/bench, each beside its peers in the
# same run on this machine. Environment knobs are passed through (see the
# header of each script); the defaults take about 25 minutes on 2 cores.
set -u
cd "$(dirname "$0")/../.."
export RPN_BUILD=${1:-build}
rc=0
echo "== gossip: rpn vs Serf (tests/bench/gossip.sh)"
tests/bench/gossip.sh || rc=1
echo
echo "== data plane: rpn vs plain routing, nft NAT, wireguard-go, nebula, haproxy (tests/bench/dataplane.sh)"
tests/bench/dataplane.sh || rc=1
echo
echo "== table integrity: foreign edits every second for SOAK_SECONDS (tests/bench/soak-integrity.sh)"
tests/bench/soak-integrity.sh || rc=1
exit $rc
