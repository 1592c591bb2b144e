#!/usr/bin/env bash
# check-layers.sh BUILD: the rooms' boundaries (docs/design.md, "Rooms"),
# checked on what the compiler made, not by reading the source:
#   - the engine (unprivileged) references no nftnl_ or mnl_ symbol;
#   - the parent (root) references no uv_ symbol and includes no libuv header;
#   - the core references neither, nor a socket call: it does no network I/O;
#   - proto/ includes nothing from node/ and references none of the above;
#   - the two programs link only their own room's libraries: rpnd (the
#     parent) neither libuv nor the console's HTTP, TLS and JSON libraries,
#     rpnd-engine neither libnftnl nor libmnl (readelf's NEEDED entries);
#   - no header includes itself through others, and no engine module's
#     header needs engine.h (these two read the #include lines: include
#     guards hide a cycle from the compiler).
# Prints one line per rule and "N passed, N failed".
set -u
B=${1:-build}
cd "$(dirname "$0")/.."
pass=0 failn=0

# undefined SYMBOL-REGEX DIR: the objects under DIR that use such a symbol
undefined() {
	local re=$1 dir=$2 o
	for o in "$B"/obj/"$dir"/*.o; do
		[ -f "$o" ] || continue
		nm -u "$o" | awk '{ print $NF }' | grep -E "$re" | sed "s|^|$(basename "$o"): |"
	done
}

# included HEADER-REGEX DIR: the objects under DIR whose sources include such a header
included() {
	local re=$1 dir=$2 d
	for d in "$B"/obj/"$dir"/*.d; do
		[ -f "$d" ] || continue
		tr ' \\' '\n\n' < "$d" | grep -E "$re" | sort -u |
		    sed "s|^|$(basename "$d" .d).o: |"
	done
}

# includes FILE: the project headers FILE includes itself
includes() {
	sed -n 's,^#include "\(\(node\|proto\)/[^"]*\)".*,\1,p' "$1"
}

# reach HEADER: every project header HEADER includes, directly or through others
reach() {
	local -A seen=()
	local todo h
	todo=($(includes "$1"))
	while [ ${#todo[@]} -gt 0 ]; do
		h=${todo[0]}
		todo=("${todo[@]:1}")
		[ -z "${seen[$h]:-}" ] || continue
		seen[$h]=1
		[ ! -f "$h" ] || todo+=($(includes "$h"))
	done
	[ ${#seen[@]} -eq 0 ] || printf '%s\n' "${!seen[@]}"
}

# cycles: the headers that include themselves through others
cycles() {
	local h
	for h in node/*/*.h proto/*.h; do
		! reach "$h" | grep -Fxq "$h" || echo "$h"
	done
}

# needs_engine_h: the engine's headers other than engine.h that include it
needs_engine_h() {
	local h
	for h in node/engine/*.h; do
		[ "$h" != node/engine/engine.h ] || continue
		! reach "$h" | grep -Fxq node/engine/engine.h || echo "$h"
	done
}

# needed PROGRAM LIBRARY-REGEX: the shared libraries PROGRAM names as
# NEEDED that match (a missing program is reported as such)
needed() {
	if [ ! -f "$B/$1" ]; then
		echo "$B/$1 is missing"
		return
	fi
	readelf -d "$B/$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | grep -E "$2" |
	    sed "s|^|$1 needs |"
}

rule() {	# rule WHAT OUTPUT
	if [ -z "$2" ]; then
		echo "ok   $1"
		pass=$((pass + 1))
	else
		echo "FAIL $1:"
		echo "$2" | head -20 | sed 's/^/    /'
		failn=$((failn + 1))
	fi
}

kernel='^(nftnl_|mnl_)'
net='^(socket|socketpair|bind|connect|listen|accept4?|send|sendto|sendmsg|recv|recvfrom|recvmsg|setsockopt|getsockopt|ioctl|poll|epoll_[a-z_]+)$'
n=$(ls "$B"/obj/node/engine/*.o "$B"/obj/node/parent/*.o "$B"/obj/node/core/*.o \
    "$B"/obj/proto/*.o 2>/dev/null | wc -l)
[ "$n" -gt 0 ] || { echo "no objects in $B: build first"; echo "0 passed, 1 failed"; exit 1; }

rule "engine: no nftnl_/mnl_ symbols (only the parent talks to the kernel's tables)" \
    "$(undefined "$kernel" node/engine)"
rule "parent: no uv_ symbols" "$(undefined '^uv_' node/parent)"
rule "parent: no libuv headers" "$(included '(^|/)uv(\.h|/)' node/parent)"
rule "core: no uv_, nftnl_ or mnl_ symbols" "$(undefined "^uv_|$kernel" node/core)"
rule "core: no socket calls (no network I/O)" "$(undefined "$net" node/core)"
rule "proto: nothing from node/" "$(included '(^|/)node/' proto)"
rule "proto: no uv_, nftnl_, mnl_ symbols or socket calls" \
    "$(undefined "^uv_|$kernel|$net" proto)"
rule "rpnd (the parent) links no libuv, libmicrohttpd, GnuTLS or jansson" \
    "$(needed rpnd '^lib(uv|microhttpd|gnutls|jansson)\.')"
rule "rpnd-engine links no libnftnl or libmnl" \
    "$(needed rpnd-engine '^lib(nftnl|mnl)\.')"
rule "headers: no include cycle in node/ or proto/" "$(cycles)"
rule "engine: each module's header declares its functions without engine.h" \
    "$(needs_engine_h)"
echo "$pass passed, $failn failed"
[ "$failn" -eq 0 ]
