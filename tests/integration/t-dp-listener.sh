# t-dp-listener.sh: a service never takes over a port the node itself
# listens on.  Adding one on 22 (commonly ssh) or on a port the owner
# listens on is refused without --force; with it, each node that listens on
# the port skips the service (status says why) while the others forward
# it; an owner that starts listening on the port withdraws its backend;
# rpn's own port is never a service.  Fails on the code before: tcp/22 was
# taken over on every member.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

topo_build
topo_servers
topo_start

# every rpn node runs its own "sshd" on 22, and cloud a local app on 2222
for n in cloud sitea siteb; do
	http_handler "$W/ssh-$n.sh" "ssh-$n"
	nsx "$n" socat TCP-LISTEN:22,fork,reuseaddr EXEC:"$W/ssh-$n.sh" >/dev/null 2>&1 &
done
http_handler "$W/app-cloud.sh" app-cloud
nsx cloud socat TCP-LISTEN:2222,fork,reuseaddr EXEC:"$W/app-cloud.sh" >/dev/null 2>&1 &
http_handler "$W/ssh-srvb.sh" ssh-srvb
nsx srvb socat TCP-LISTEN:22,fork,reuseaddr EXEC:"$W/ssh-srvb.sh" >/dev/null 2>&1 &
wait_until 50 0.1 'listening cloud tcp 22 && listening sitea tcp 22 &&
    listening siteb tcp 22 && listening srvb tcp 22 && listening cloud tcp 2222' ||
    fail "the servers did not start"

expect_fail "tcp/22" "management port" ctl siteb service add ssh tcp/22 --to 100.64.2.10:22 --public
expect_fail "a port the owner listens on" "itself listens on tcp/2222" \
    ctl siteb service add app2 tcp/2222 --to 100.64.2.10:80 --public --node cloud
expect_fail "rpn's own port" "rpn's own" ctl siteb service add g tcp/7480 --to 100.64.2.10:80 --force
# --dry-run answers as the add would, and adds nothing
expect_fail "--dry-run of tcp/22" "management port" \
    ctl siteb service add ssh tcp/22 --to 100.64.2.10:22 --public --dry-run
# (another node's own ports are checked there, when it is asked)
out=$(ctl siteb service add app2 tcp/2222 --to 100.64.2.10:80 --public --node cloud --dry-run 2>&1) ||
    fail "--dry-run of app2 on cloud: $out"
[ "$(echo "$out" | tail -n 1)" = "would order cloud to add app2 (cloud checks its own ports then)" ] ||
    fail "--dry-run of app2 on cloud said \"$out\""
out=$(ctl siteb service add ssh tcp/22 --to 100.64.2.10:22 --public --force --dry-run) ||
    fail "--dry-run of tcp/22 with --force: $out"
[ "$out" = "$(printf 'would grant ssh tcp/22, public, owners siteb\naccess: public, from the grant above: ssh tcp/22, public, owners siteb\nwould add ssh')" ] ||
    fail "--dry-run said \"$out\""
ctl siteb service show ssh >/dev/null 2>&1 && fail "--dry-run added ssh"
ctl siteb service add ssh tcp/22 --to 100.64.2.10:22 --public --force >/dev/null
ctl siteb service add app tcp/2222 --to 100.64.2.10:80 --public >/dev/null
wait_until 100 0.05 'programmed sitea app' || fail "app not programmed on sitea"
for n in cloud sitea siteb; do
	a=$(topo_addr "$n")
	[ "$(http inet "http://$a:22/")" = "ssh-$n" ] || fail "$n's own :22 answered by '$(http inet "http://$a:22/")'"
done
say "tcp/22 added with --force: every node's own :22 still answers on it"
ctl cloud service show ssh --json | jq -e '.service.programmed == false and
    (.service.problem | startswith("conflict"))' >/dev/null ||
    fail "cloud's status does not explain: $(ctl cloud service show ssh --json | jq -c .service)"
wait_until 40 0.05 'ctl cloud service show ssh --json | jq -e ".service.backends[0].health == \"conflict\"" >/dev/null' ||
    fail "siteb's backend of ssh is not in conflict"
say "status: $(ctl cloud service show ssh --json | jq -r .service.problem)"
[ "$(http inet http://198.51.100.2:2222/)" = app-cloud ] || fail "cloud's own :2222 was taken over"
[ "$(http inet http://198.51.100.34:2222/)" = srvb ] || fail "sitea does not forward app"
say "app on tcp/2222: cloud (which listens on it) skips it, sitea forwards it to srvb"

# a listener that appears later: sitea stops forwarding app
http_handler "$W/app-sitea.sh" app-sitea
nsx sitea socat TCP-LISTEN:2222,fork,reuseaddr EXEC:"$W/app-sitea.sh" >/dev/null 2>&1 &
t0=$(date +%s%3N)
wait_until 60 0.1 '[ "$(http inet http://198.51.100.34:2222/)" = app-sitea ]' ||
    fail "sitea kept taking over its new :2222"
say "sitea starts listening on 2222: $(( $(date +%s%3N) - t0 )) ms later its own socket gets the connections"

# an owner that starts listening on its service's port withdraws its backend
ctl siteb service add web tcp/8090 --to 100.64.2.10:80 --public >/dev/null
wait_for 50 0.1 has_service sitea web || fail "web did not reach sitea"
ctl sitea service add web tcp/8090 --to 100.64.1.10:80 --public >/dev/null
wait_until 100 0.05 '[ "$(ctl cloud service show web --json | jq ".service.forwarding.to | length")" -eq 2 ]' ||
    fail "web not forwarded to two owners"
http_handler "$W/web-b.sh" web-siteb
nsx siteb sh -c 'echo $$ > "$1"; exec socat TCP-LISTEN:8090,fork,reuseaddr EXEC:"$2"' \
    sh "$W/web-b.pid" "$W/web-b.sh" >/dev/null 2>&1 &
wait_until 60 0.1 '[ "$(ctl cloud service show web --json | jq -c .service.forwarding.to)" = "[\"198.51.100.34:8090\"]" ]' ||
    fail "cloud still forwards web to siteb, which listens on 8090 itself"
for i in 1 2 3 4 5 6; do [ "$(http inet http://198.51.100.2:8090/)" = clia ] || fail "web via cloud not answered by clia"; done
say "siteb listens on 8090 itself: its backend is in conflict and cloud sends web to sitea only"
# ... and once it stops listening, its backend is checked again and serves
wait_until 50 0.1 '[ -s "$W/web-b.pid" ]' || fail "no pid of siteb's :8090 listener"
kill "$(cat "$W/web-b.pid")"
wait_until 100 0.1 '[ "$(ctl cloud service show web --json | jq -c "[.service.backends[] | select(.node == \"siteb\") | .health]")" = "[\"up\"]" ]' ||
    fail "siteb's backend of web is not up again after its listener went: $(ctl cloud service show web --json | jq -c .service.backends)"
wait_until 100 0.05 '[ "$(ctl cloud service show web --json | jq ".service.forwarding.to | length")" -eq 2 ]' ||
    fail "cloud does not forward web to siteb again"
say "siteb stops listening on 8090: its backend is up again and cloud forwards to both"

# rpn's own port, whatever a record says, is never programmed (and is counted)
[ "$(counter cloud services_own_port)" -eq 0 ] || fail "services_own_port is not 0"
