# topo.sh: the three-site topology used by the data-plane tests and the demo.
# Sourced after lib.sh (tests) or with compatible helpers (demo): it needs
# newns, ns, W and RPN_BUILD.
#
#                         inet 203.0.113.10
#                              |
#        +-------------------- rtr (strict rp_filter, forwards) ----------+
#        | u1 .0/28     | u2 .16/28          | .32/28                     | .48/28
#      cloud eth0     cloud eth1          sitea eth0                  siteb eth0
#      198.51.100.2   198.51.100.18       198.51.100.34               198.51.100.50
#      (default via u1)                   lan 100.64.1.1/24           lan 100.64.2.1/24
#                                          |                           |
#                                        clia 100.64.1.10            srvb 100.64.2.10 (no default route)
#                                                                    clib 100.64.2.20
#
# The LANs are not routed by rtr: only the rpn nodes reach them.

link() {	# link NS_A IF_A ADDR_A NS_B IF_B ADDR_B
	ip link add "$2" netns "$(ns "$1")" type veth peer name "$5" netns "$(ns "$4")"
	ip -n "$(ns "$1")" addr add "$3" dev "$2"
	ip -n "$(ns "$4")" addr add "$6" dev "$5"
	ip -n "$(ns "$1")" link set "$2" up
	ip -n "$(ns "$4")" link set "$5" up
}

topo_build() {
	local n
	for n in rtr inet cloud sitea siteb clia srvb clib; do newns "$(ns $n)"; done
	ip netns exec "$(ns rtr)" sysctl -qw net.ipv4.ip_forward=1
	# The upstream fabric drops packets with a wrong source: strict RPF.
	ip netns exec "$(ns rtr)" sysctl -qw net.ipv4.conf.all.rp_filter=1
	ip netns exec "$(ns rtr)" sysctl -qw net.ipv4.conf.default.rp_filter=1
	link rtr r-inet 203.0.113.1/24    inet eth0 203.0.113.10/24
	link rtr r-u1 198.51.100.1/28     cloud eth0 198.51.100.2/28
	link rtr r-u2 198.51.100.17/28    cloud eth1 198.51.100.18/28
	link rtr r-a 198.51.100.33/28     sitea eth0 198.51.100.34/28
	link rtr r-b 198.51.100.49/28     siteb eth0 198.51.100.50/28
	link sitea lan0 100.64.1.1/24     clia eth0 100.64.1.10/24
	# site B's LAN is a bridge with two hosts on it
	ip -n "$(ns siteb)" link add lan0 type bridge
	ip -n "$(ns siteb)" addr add 100.64.2.1/24 dev lan0
	ip -n "$(ns siteb)" link set lan0 up
	for n in srvb:100.64.2.10 clib:100.64.2.20; do
		ip link add "p-${n%%:*}" netns "$(ns siteb)" type veth peer name eth0 \
		    netns "$(ns ${n%%:*})"
		ip -n "$(ns siteb)" link set "p-${n%%:*}" master lan0 up
		ip -n "$(ns ${n%%:*})" addr add "${n#*:}/24" dev eth0
		ip -n "$(ns ${n%%:*})" link set eth0 up
	done
	for n in inet cloud sitea siteb clia srvb clib; do
		ip netns exec "$(ns $n)" sysctl -qw net.ipv4.conf.all.rp_filter=0
		ip netns exec "$(ns $n)" sysctl -qw net.ipv4.conf.default.rp_filter=0
	done
	for i in r-inet r-u1 r-u2 r-a r-b; do
		ip netns exec "$(ns rtr)" sysctl -qw "net.ipv4.conf.$i.rp_filter=1"
	done
	ip -n "$(ns inet)" route add default via 203.0.113.1
	ip -n "$(ns cloud)" route add default via 198.51.100.1 metric 100
	ip -n "$(ns sitea)" route add default via 198.51.100.33
	ip -n "$(ns siteb)" route add default via 198.51.100.49
	ip -n "$(ns clia)" route add default via 100.64.1.1
	ip -n "$(ns clib)" route add default via 100.64.2.1
	# srvb has no default route: replies only work because rpn masquerades.
}

# topo_cloud_dhcp: the cloud node as a cloud image configures it: a default
# route on every NIC, each with its own metric (netplan, networkd, NM).
topo_cloud_dhcp() {
	ip -n "$(ns cloud)" route add default via 198.51.100.17 dev eth1 metric 200
}

# Servers on the LAN hosts, bounded in time by the test's own cleanup.
# http_handler FILE BODY: a one-shot HTTP responder for socat EXEC (a file,
# since socat rewrites backslash escapes in its address strings).
http_handler() {
	cat > "$1" <<EOS
#!/bin/sh
read -r _
printf 'HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n%s\n' $((${#2} + 1)) '$2'
EOS
	chmod 755 "$1"
}

topo_servers() {
	local who
	for who in srvb clia; do
		# HTTP on :80 that names its host; echo on :7; a UDP echo on :5353
		http_handler "$W/http-$who.sh" "$who"
		ip netns exec "$(ns $who)" socat TCP-LISTEN:80,fork,reuseaddr \
		    EXEC:"$W/http-$who.sh" >/dev/null 2>&1 &
		ip netns exec "$(ns $who)" socat TCP-LISTEN:7,fork,reuseaddr EXEC:cat \
		    >/dev/null 2>&1 &
		ip netns exec "$(ns $who)" "$RPN_BUILD/rpn-tool" udp-serve 5353 \
		    >/dev/null 2>&1 &
	done
	http_handler "$W/http-intra.sh" intra
	ip netns exec "$(ns srvb)" socat TCP-LISTEN:81,fork,reuseaddr \
	    EXEC:"$W/http-intra.sh" >/dev/null 2>&1 &
	for who in srvb clia; do
		wait_until 50 0.1 "listening $who tcp 80 && listening $who tcp 7 &&
		    listening $who udp 5353" || fail "the servers on $who did not start"
	done
	wait_for 50 0.1 listening srvb tcp 81 || fail "the server on srvb:81 did not start"
}

# topo_rpnd NODE [rpnd args]: start rpnd with the node's uplinks and LANs.
topo_args() {
	case $1 in
	cloud)	echo "--uplink eth0@198.51.100.1 --uplink eth1@198.51.100.17";;
	sitea)	echo "--uplink eth0@198.51.100.33 --lan lan0";;
	siteb)	echo "--uplink eth0@198.51.100.49 --lan lan0";;
	esac
}

topo_addr() {
	case $1 in
	cloud)	echo 198.51.100.2;;
	sitea)	echo 198.51.100.34;;
	siteb)	echo 198.51.100.50;;
	esac
}

# topo_start [auto]: rpnd on the three rpn nodes, a mesh founded by cloud;
# with "auto", no interface options: rpnd finds uplinks and LANs itself.
topo_start() {
	local n tok
	for n in cloud sitea siteb; do
		mkdir -p "$W/$n"
		if [ "${1:-}" = auto ]; then
			start "$n"
		else
			start "$n" $(topo_args "$n")
		fi
	done
	rpn cloud init --name cloud >/dev/null
	for n in sitea siteb; do
		tok=$(ctl cloud invite)
		rpn "$n" join 198.51.100.2 --token "$tok" --name "$n" >/dev/null
	done
	for n in cloud sitea siteb; do
		wait_until 100 0.1 '[ "$(count_alive '"$n"')" -eq 3 ]' ||
		    fail "$n does not see the three nodes"
	done
}

# programmed NODE SERVICE: the node reports the service programmed.
programmed() {
	ctl "$1" status --json 2>/dev/null | jq -e --arg s "$2" \
	    '.services[] | select(.name == $s) | .programmed == true' >/dev/null
}

# http NS URL: the body of a GET, bounded in time ("" on failure).
http() {
	nsx "$1" curl -s --max-time "${3:-3}" "$2" 2>/dev/null || true
}

# echo_check NS ADDR PORT: 1 MiB up and echoed back; the digests must match.
echo_check() {
	local f="$W/up.$$" out="$W/down.$$"
	head -c 1048576 /dev/urandom > "$f"
	nsx "$1" timeout 20 socat -t 5 - "TCP:$2:$3" < "$f" > "$out" 2>/dev/null || true
	[ "$(sha256sum < "$f")" = "$(sha256sum < "$out")" ]
}

# conn_loop NS URL SECONDS OUT: a new HTTP connection every 50 ms for
# SECONDS (each bounded to 1 s, several may be under way at once), one line
# per attempt in OUT: "MS ok" or "MS fail", MS its start since the epoch.
# Run it in the background; it ends by itself.
conn_loop() {
	: > "$4"
	nsx "$1" bash -c '
		exec 9<> <(:)	# a pipe nobody writes: read -t sleeps without a fork
		t=${EPOCHREALTIME/./}
		end=$(( ${t:0:13} + $2 * 1000 ))
		while t=${EPOCHREALTIME/./}; t=${t:0:13}; [ "$t" -lt "$end" ]; do
			( if curl -s -o /dev/null --max-time 1 "$1"; then
				echo "$t ok"; else echo "$t fail"; fi ) >> "$3" &
			read -r -t 0.05 -u 9 || true
		done
		wait' conn_loop "$2" "$3" "$4"
}

# long_flow NS ADDR PORT SECONDS OUT: one TCP connection to an echo service
# that sends a numbered line every 100 ms for SECONDS; OUT gets the lines
# echoed back.  Intact when OUT holds them all, in order.
long_flow() {
	local ns=$1 addr=$2 port=$3 secs=$4 out=$5 n
	n=$((secs * 10))
	# (the sleep paces the flow: a line every 100 ms is the scenario)
	(for i in $(seq 1 "$n"); do echo "line $i"; sleep 0.1; done) |
	    nsx "$ns" timeout $((secs + 20)) socat -t 10 - "TCP:$addr:$port" \
	    > "$out" 2>/dev/null || true
}

# flow_intact OUT SECONDS: long_flow's output is complete.
flow_intact() {
	[ "$(wc -l < "$1")" -eq $(($2 * 10)) ] &&
	    [ "$(tail -1 "$1")" = "line $(($2 * 10))" ]
}

# fails OUT [FROM_MS [TO_MS]]: failed attempts of conn_loop in a window.
fails() {
	awk -v a="${2:-0}" -v b="${3:-99999999999999}" \
	    '$2 == "fail" && $1 >= a && $1 <= b { n++ } END { print n + 0 }' "$1"
}
attempts() { wc -l < "$1"; }
