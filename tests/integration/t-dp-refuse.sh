# t-dp-refuse.sh: one element the kernel refuses never blocks the others.
# A test shim (tests/tools/refuse.c, LD_PRELOAD) makes cloud's kernel refuse
# every element of port 9999.  The other services are still programmed and
# forwarded, port 9999 is held back and tried again with a growing delay,
# the failure is logged once (not once per try), and status says what was
# not programmed and why.  Fails on the code before: the whole transaction
# failed, every retry with it, and nothing new was programmed on the node.
# rpn-test: alone (it times something, or loads the machine: run.sh runs it by itself)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

topo_build
topo_servers
for n in sitea siteb; do mkdir -p "$W/$n"; start "$n" $(topo_args "$n"); done
mkdir -p "$W/cloud"
# (an ASan build wants its runtime first; the shim only wraps sendto)
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
    LD_PRELOAD="$RPN_BUILD/refuse.so" RPN_REFUSE_PORT=9999 start cloud $(topo_args cloud)
rpn cloud init --name cloud >/dev/null
for n in sitea siteb; do
	rpn "$n" join 198.51.100.2 --token "$(ctl cloud invite)" --name "$n" >/dev/null
done
wait_until 100 0.1 '[ "$(count_alive cloud)" -eq 3 ]' || fail "mesh did not form"

ctl siteb service add bad tcp/9999 --to 100.64.2.10:80 --public >/dev/null
ctl siteb service add web tcp/8080 --to 100.64.2.10:80 --public >/dev/null
wait_until 100 0.05 'programmed cloud web' || fail "web not programmed on cloud"
wait_until 100 0.05 'ctl cloud status --json | jq -e ".kernel.held == [\"tcp/9999\"]" >/dev/null' ||
    fail "tcp/9999 not held back: $(ctl cloud status --json | jq -c .kernel)"
[ "$(http inet http://198.51.100.2:8080/)" = srvb ] || fail "web does not answer through cloud"
[ "$(http inet http://198.51.100.34:9999/)" = srvb ] || fail "bad does not answer through sitea"
ctl cloud service show bad --json | jq -e '.service.programmed == false and
    (.service.problem | test("refuses its elements"))' >/dev/null ||
    fail "status does not explain: $(ctl cloud service show bad --json | jq -c .service.problem)"
say "port 9999 refused by cloud's kernel: held back ($(ctl cloud service show bad --json | jq -r .service.problem))"

# a service added later is programmed although 9999 still fails
r0=$(counter cloud dp_repairs)
ctl siteb service add later tcp/8090 --to 100.64.2.10:80 --public >/dev/null
wait_until 100 0.05 'programmed cloud later' || fail "a later service was not programmed"
[ "$(http inet http://198.51.100.2:8090/)" = srvb ] || fail "later does not answer through cloud"
sleep 4		# the scenario: count the tries over 4 s
r1=$(counter cloud dp_repairs)
[ $((r1 - r0)) -le 8 ] || fail "$((r1 - r0)) tries in about 4 s: no backoff"
logged=$(grep -c "refused 1 group" "$W/cloud/log" || true)
[ "$logged" -le 2 ] || fail "the refusal was logged $logged times"
say "a later service is programmed meanwhile; $((r1 - r0)) tries in 4 s (backoff); logged $logged time(s)"
nsx cloud nft list table inet rpn >/dev/null || fail "cloud has no table"

# the refused service goes: nothing is held any more
ctl siteb service del bad >/dev/null
wait_until 150 0.1 'ctl cloud status --json | jq -e ".kernel.held == [] and .kernel.state == \"ok\"" >/dev/null' ||
    fail "still held: $(ctl cloud status --json | jq -c .kernel)"
say "bad deleted: nothing held, kernel ok"
