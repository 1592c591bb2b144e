# t-dp-health.sh: dead services do not look healthy.  A target that cannot
# answer (loopback, multicast, broadcast, unspecified) is refused; each
# owner checks its backend, and a backend that stops answering gets no new
# connections within 3 s while the other owner takes them all; when it
# answers again it comes back.  Status shows each backend's health and
# since when.  Fails on the code before: such targets were accepted and a
# dead backend kept its share of connections.
# rpn-test: alone (it times something, or loads the machine: run.sh runs it by itself)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

topo_build
topo_servers
topo_start

for t in 127.0.0.1:80 224.0.0.1:80 255.255.255.255:80 0.0.0.0:80 239.1.2.3:80; do
	expect_fail "target $t" "the target" ctl siteb service add bad tcp/9000 --to "$t"
done

# site B's own server for this test, whose PID we know
http_handler "$W/http-b2.sh" srvb2
# (not through nsx, a function: $! must be socat itself)
ip netns exec "$(ns srvb)" socat TCP-LISTEN:8088,fork,reuseaddr EXEC:"$W/http-b2.sh" \
    >/dev/null 2>&1 &
srv=$!
wait_for 50 0.1 listening srvb tcp 8088 || fail "srvb's server did not start"
ctl siteb service add web tcp/8080 --to 100.64.2.10:8088 --public >/dev/null
wait_for 50 0.1 has_service sitea web || fail "web did not reach sitea"
ctl sitea service add web tcp/8080 --to 100.64.1.10:80 --public >/dev/null
health() {	# health NODE OWNER: OWNER's backend of web, as NODE sees it
	ctl "$1" service show web --json |
	    jq -r --arg o "$2" '.service.backends[] | select(.node == $o) | .health'
}
wait_until 100 0.05 '[ "$(health cloud siteb)" = up ] && [ "$(health cloud sitea)" = up ]' ||
    fail "backends not up: siteb $(health cloud siteb), sitea $(health cloud sitea)"
wait_until 100 0.05 '[ "$(ctl cloud service show web --json | jq ".service.forwarding.to | length")" -eq 2 ]' ||
    fail "cloud does not forward to both owners"
say "web has two owners, both up"

conn_loop inet http://198.51.100.2:8080/ 8 "$W/conns" &
cl=$!
wait_until 50 0.1 'grep -q ok "$W/conns"' || fail "no connection through cloud before the kill"
t0=$(date +%s%3N)
kill "$srv"
wait_until 100 0.05 '[ "$(health cloud siteb)" = down ]' || fail "siteb's backend not reported down"
t1=$(date +%s%3N)
wait_until 100 0.05 '[ "$(ctl cloud service show web --json | jq -c .service.forwarding.to)" = "[\"198.51.100.34:8080\"]" ]' ||
    fail "cloud still forwards to siteb"
t2=$(date +%s%3N)
[ $((t2 - t0)) -le 3000 ] || fail "the dead backend was withdrawn after $((t2 - t0)) ms"
say "srvb's server killed: down on cloud after $((t1 - t0)) ms, withdrawn after $((t2 - t0)) ms"
since=$(ctl cloud service show web --json | jq '.service.backends[] | select(.node == "siteb") | .health_since')
[ "$since" -ge "$t0" ] || fail "health_since $since is before the kill at $t0"
ctl cloud service show web | grep "siteb (alive) -> 100.64.2.10:8088, down since" >/dev/null ||
    fail "service show does not say down since: $(ctl cloud service show web)"
wait "$cl"
late=$(fails "$W/conns" $((t0 + 3000)))
[ "$late" -eq 0 ] || fail "$late connections failed more than 3 s after the kill"
say "$(attempts "$W/conns") new connections through cloud, $(fails "$W/conns") failed, none 3 s after the kill"
for i in 1 2 3 4 5 6; do [ "$(http inet http://198.51.100.2:8080/)" = clia ] || fail "not answered by clia"; done

ip netns exec "$(ns srvb)" socat TCP-LISTEN:8088,fork,reuseaddr EXEC:"$W/http-b2.sh" \
    >/dev/null 2>&1 &
srv=$!
wait_until 100 0.05 '[ "$(health cloud siteb)" = up ]' || fail "siteb's backend did not come back"
wait_until 100 0.05 '[ "$(ctl cloud service show web --json | jq ".service.forwarding.to | length")" -eq 2 ]' ||
    fail "cloud does not forward to siteb again"
seen=$(for i in $(seq 20); do http inet http://198.51.100.2:8080/; done | sort -u | tr '\n' ' ')
case $seen in *srvb2*) ;; *) fail "srvb never answered again: $seen";; esac
say "the server is back: up again, and answering ($seen)"

# the owner itself forwards elsewhere while its own backend is down
kill "$srv"
wait_until 100 0.05 '[ "$(health siteb siteb)" = down ]' || fail "siteb does not see its own backend down"
wait_until 100 0.05 '[ "$(ctl siteb service show web --json | jq -r .service.forwarding.mode)" = remote ]' ||
    fail "siteb does not forward to sitea while its own backend is down"
[ "$(http clib http://100.64.2.1:8080/)" = clia ] || fail "clib via siteb not answered by clia"
say "siteb's own backend down: siteb itself forwards to sitea"
