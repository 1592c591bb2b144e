#!/usr/bin/env bash
# demo.sh BUILD_DIR: rpn's showcase, narrated, on this machine: three sites in
# network namespaces behind an upstream router with strict reverse-path
# filtering; a cloud node with two uplinks and two on-prem sites with LANs.
# rpnd runs with no interface options.  A service is added once; curl from
# every site's LAN and from the internet through both cloud uplinks reaches
# it, with data checked both ways; a dead backend is withdrawn, a link flap
# and a restart of rpnd do not stop forwarding; an operator grants a second
# owner (an unsigned attempt is refused) and revokes a node everywhere.  It
# ends by printing the web console's enrolment URL and, on a terminal, keeps
# the mesh up until Enter is pressed.  Everything it makes is removed on
# exit, even on failure.
set -u
export RPN_BUILD=${1:-build}
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/integration/lib.sh"
. "$here/integration/topo.sh"
set +e
# The forwarder to the console (the last step) runs in this machine's
# namespace: stopped by its PID, with its connections, before the rest.
fwd=
stop_fwd() {
	[ -n "$fwd" ] || return 0
	ps -o pid= --ppid "$fwd" | xargs -r kill 2>/dev/null
	kill "$fwd" 2>/dev/null
}
trap 'rc=$?; stop_fwd; (exit $rc); cleanup' EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '\033[2m%s$ %s\033[0m\n' "$1" "${*:2}"; }
on() { local n=$1; shift; show "$n" "$@"; nsx "$n" "$@"; }
rpnctl_on() { local n=$1; shift; show "$n" rpnctl "$@"; ctl "$n" "$@"; }
rpn_on() { local n=$1; shift; show "$n" rpn "$@"; rpn "$n" "$@"; }
check() { if "$@"; then printf '   \033[32mok\033[0m\n'; else printf '   \033[31mFAILED\033[0m\n'; exit 1; fi; }

step "The network: a router with strict reverse-path filtering joins the sites and the internet"
cat <<'PIC'
                     internet client 203.0.113.10
                                 |
     +------------------ router (drops packets with a wrong source) -----+
     | 198.51.100.2    | 198.51.100.18         | 198.51.100.34            | 198.51.100.50
   cloud eth0        cloud eth1            site A (LAN 100.64.1.0/24)   site B (LAN 100.64.2.0/24)
   (DHCP default     (DHCP default           clia 100.64.1.10             srvb 100.64.2.10 web server
    route, metric 100) route, metric 200)                                 clib 100.64.2.20
PIC
topo_build
topo_cloud_dhcp
topo_servers
# site B's web server for the health-check step, whose PID we keep
http_handler "$W/http-web.sh" srvb
ip netns exec "$(ns srvb)" socat TCP-LISTEN:8088,fork,reuseaddr EXEC:"$W/http-web.sh" \
    >/dev/null 2>&1 &
websrv=$!

step "Start rpnd on the three nodes, with no options; the cloud node founds the mesh, the sites join"
for n in cloud sitea siteb; do
	mkdir -p "$W/$n"
	show "$n" rpnd
	start "$n"
done
rpn_on cloud init --name cloud
tok=$(ctl cloud invite)
show cloud 'rpnctl invite   # -> '"$tok"
rpn_on sitea join 198.51.100.2 --token "$tok" --name sitea
rpn_on siteb join 198.51.100.2 --token "$(ctl cloud invite)" --name siteb
wait_until 100 0.1 '[ "$(count_alive cloud)" -eq 3 ] && [ "$(count_alive sitea)" -eq 3 ]'
printf '   rpnd found the cloud node'\''s two uplinks by their default routes:\n'
ctl cloud status | sed -n '/^UPLINK/,/^$/p' | sed 's/^/   /'

step "On site B, add the web server as a service, once"
t0=$(date +%s.%N)
rpnctl_on siteb service add web tcp/8080 --to 100.64.2.10:8088 --public
rpnctl_on siteb service add upload tcp/7000 --to 100.64.2.10:7 --public
for n in cloud sitea siteb; do wait_until 100 0.01 "programmed $n web && programmed $n upload"; done
printf '   every node forwards it after %.2f s\n' "$(echo "$(date +%s.%N) - $t0" | bc)"
rpnctl_on sitea status

step "curl from every site's LAN, and from the internet through each uplink of the cloud node"
show clia 'curl http://100.64.1.1:8080/    # site A'\''s rpn node'
check test "$(http clia http://100.64.1.1:8080/)" = srvb
show clib 'curl http://100.64.2.1:8080/    # site B'\''s rpn node (the owner)'
check test "$(http clib http://100.64.2.1:8080/)" = srvb
show inet 'curl http://198.51.100.2:8080/  # cloud uplink 1 (its default route)'
check test "$(http inet http://198.51.100.2:8080/)" = srvb
show inet 'curl http://198.51.100.18:8080/ # cloud uplink 2: answered out of uplink 2, past the strict router'
check test "$(http inet http://198.51.100.18:8080/)" = srvb

step "Data both ways: 1 MiB up to site B's echo server and back, digests compared"
show clia 'socat - TCP:100.64.1.1:7000 < 1MiB   (site A -> site B)'
check echo_check clia 100.64.1.1 7000
show inet 'socat - TCP:198.51.100.18:7000 < 1MiB (internet -> cloud uplink 2 -> site B)'
check echo_check inet 198.51.100.18 7000

step "A private service: the sites' LANs may use it, the internet may not"
rpnctl_on siteb service add intranet tcp/8081 --to 100.64.2.10:81
wait_until 100 0.01 'programmed cloud intranet && programmed sitea intranet'
show clia 'curl http://100.64.1.1:8081/'
check test "$(http clia http://100.64.1.1:8081/)" = intra
show inet 'curl --max-time 2 http://198.51.100.2:8081/   # refused'
check test -z "$(http inet http://198.51.100.2:8081/ 2)"

step "Health checks: site B's web server stops; its backend is withdrawn, site A's takes over"
rpnctl_on cloud service add web tcp/8080 --to 100.64.1.10:80 --node sitea --public
wait_until 100 0.05 '[ "$(ctl cloud status --json | jq "[.services[] | select(.name == \"web\") | .forwarding.to[]] | length")" -eq 2 ]'
printf '   12 requests via the cloud node: %s\n' "$(for i in $(seq 12); do http inet http://198.51.100.2:8080/; done | sort | uniq -c | tr -s ' ' | tr '\n' ' ')"
show srvb 'kill the web server'
kill "$websrv"
t0=$(date +%s.%N)
wait_until 100 0.05 '[ "$(ctl cloud status --json | jq "[.services[] | select(.name == \"web\") | .forwarding.to[]] | length")" -eq 1 ]'
printf '   withdrawn on every node after %.1f s\n' "$(echo "$(date +%s.%N) - $t0" | bc)"
rpnctl_on cloud service show web
printf '   12 new requests via the cloud node: %s\n' "$(for i in $(seq 12); do http inet http://198.51.100.2:8080/; done | sort | uniq -c | tr -s ' ' | tr '\n' ' ')"
show srvb 'start the web server again'
ip netns exec "$(ns srvb)" socat TCP-LISTEN:8088,fork,reuseaddr EXEC:"$W/http-web.sh" \
    >/dev/null 2>&1 &
wait_until 100 0.05 '[ "$(ctl cloud status --json | jq "[.services[] | select(.name == \"web\") | .forwarding.to[]] | length")" -eq 2 ]'
printf '   back: 12 requests via the cloud node: %s\n' "$(for i in $(seq 12); do http inet http://198.51.100.2:8080/; done | sort | uniq -c | tr -s ' ' | tr '\n' ' ')"

step "The cloud node's second NIC flaps; its DHCP client puts the default route back"
on cloud ip link set eth1 down
on cloud ip link set eth1 up
on cloud ip route replace default via 198.51.100.17 dev eth1 metric 200
wait_until 50 0.02 'nsx cloud ip route show table 102 | grep -q default'
on cloud ip route show table 102
show inet 'curl http://198.51.100.18:8080/ # through the second uplink again'
check test -n "$(http inet http://198.51.100.18:8080/)"

step "systemctl restart rpnd on the cloud node, with a new connection every 50 ms going through it"
conn_loop inet http://198.51.100.18:8080/ 4 "$W/conns" &
cl=$!
sleep 1
show cloud 'kill -TERM rpnd; rpnd'
stop cloud
start cloud
wait "$cl"
printf '   %s connections through the cloud node while rpnd restarted: %s failed\n' \
    "$(attempts "$W/conns")" "$(fails "$W/conns")"
check test "$(fails "$W/conns")" -eq 0
wait_until 100 0.1 '[ "$(count_alive cloud)" -eq 3 ]'

step "Operators decide who may change the mesh: rpn init made the first operator key"
rpnctl_on cloud operator list
show sitea 'RPN_OPERATOR_KEY=none rpnctl service add intranet tcp/8081 --to 100.64.1.10:80   # no operator key'
out=$(RPN_OPERATOR_KEY="$W/none" ctl sitea service add intranet tcp/8081 --to 100.64.1.10:80 2>&1)
printf '   %s\n' "$out"
check test -z "$(ctl cloud service show intranet --json | jq -r '.service.backends[] | select(.node == "sitea") | .node')"
rpnctl_on cloud service grant intranet sitea
wait_until 50 0.1 'ctl sitea audit --json | jq -e "any(.events[]; .event == \"grant\" and .subject == \"intranet\")" >/dev/null'
rpnctl_on sitea service add intranet tcp/8081 --to 100.64.1.10:80
wait_until 100 0.05 '[ "$(ctl cloud service show intranet --json | jq ".service.backends | length")" -eq 2 ]'
check test "$(ctl siteb service show intranet --json | jq -r '[.service.backends[].node] | sort | join(",")')" = sitea,siteb
rpnctl_on cloud audit

step "Site B's rpnd is killed: every node stops sending it new connections"
show siteb 'kill -9 rpnd'
crash siteb
t0=$(date +%s.%N)
wait_for 300 0.1 all_see failed siteb cloud sitea
printf '   every node reports site B failed after %.1f s\n' "$(echo "$(date +%s.%N) - $t0" | bc)"
wait_until 50 0.1 '[ "$(ctl cloud status --json | jq "[.services[] | select(.name == \"web\") | .forwarding.to[]] | length")" -eq 1 ]'
printf '   12 new requests via the cloud node: %s\n' "$(for i in $(seq 12); do http inet http://198.51.100.2:8080/; done | sort | uniq -c | tr -s ' ' | tr '\n' ' ')"
rpnctl_on cloud status

step "Site B's host is not trusted any more: an operator revokes it, and every member stops trusting it"
t0=$(date +%s.%N)
rpnctl_on cloud revoke siteb
wait_for 100 0.05 all_see revoked siteb cloud sitea
printf '   every member lists site B as revoked after %.2f s\n' "$(echo "$(date +%s.%N) - $t0" | bc)"
show siteb 'rpnd   # the revoked node starts again with its old keys'
start siteb
sleep 2	# the scenario: the revoked node talks to the mesh for two seconds
check all_see revoked siteb cloud sitea
rpnctl_on cloud status

step "The kernel state on site A: one table, rules independent of the number of services"
on sitea nft list table inet rpn | sed -n '1,40p'
echo "   ..."

step "The web console: an operator enrols this machine's browser with rpnctl web enroll"
# rpnctl waits (in the cloud node's namespace) until a browser uses the code.
ctl cloud web enroll me >"$W/enroll.url" 2>"$W/enroll.err" &
show cloud 'rpnctl web enroll me &'
wait_until 50 0.1 'grep -q "^http" "$W/enroll.url"'
url=$(head -n1 "$W/enroll.url")
if [ -z "$url" ]; then
	printf '   rpnctl web enroll printed no URL: %s\n' "$(cat "$W/enroll.err")"
elif [ -t 0 ]; then
	# The namespace's 127.0.0.1 is not this machine's: a forwarder from
	# this machine's 127.0.0.1:7481 into it (the way ssh -L reaches a real
	# node), unless something here already listens there.
	if [ -z "$(ss -Hltn 'sport = :7481' 2>/dev/null)" ]; then
		socat TCP-LISTEN:7481,bind=127.0.0.1,reuseaddr,fork \
		    EXEC:"ip netns exec $(ns cloud) socat STDIO TCP\:127.0.0.1\:7481" \
		    >/dev/null 2>&1 &
		fwd=$!
		wait_for 30 0.1 sh -c "ss -Hltn 'sport = :7481' | grep -q ." || true
		printf '   this machine'\''s 127.0.0.1:7481 is forwarded into the cloud node'\''s namespace (socat, PID %s):\n' "$fwd"
		printf '   open this in a browser on this machine (with ssh -L 7481:127.0.0.1:7481, from yours):\n\n'
	else
		printf '   127.0.0.1:7481 is taken on this machine; run the browser in the namespace instead:\n'
		printf '   ip netns exec %s chromium --no-sandbox --user-data-dir=/tmp/rpn-demo-chromium %s\n\n' "$(ns cloud)" "$url"
	fi
	printf '       \033[1m%s\033[0m\n\n' "$url"
	printf '   It makes a key in the browser, the code proves it, rpnctl enrols it as operator "me";\n'
	printf '   then the console shows the members, services and audit log live. The code works once, for 10 minutes.\n'
	read -r -p "   Press Enter to stop the mesh. " _
else
	printf '   the enrolment URL (in the cloud node'\''s namespace): %s\n' "$url"
	printf '   (stdin is not a terminal: not waiting; run make demo in a terminal to open the console)\n'
fi

step "Done: the namespaces, processes and files are removed now"
