#!/usr/bin/env bash
# deps.sh GROUP...: install the Debian packages a make target needs, if any are missing.
# Groups: build, test, demo, bench.  Runs apt-get only when something is missing.
set -eu
declare -A pkgs=(
	[build]="gcc make pkg-config libuv1-dev libsodium-dev libmsgpack-dev libnftnl-dev libmnl-dev"
	[test]="clang clang-tools libclang-rt-14-dev iproute2 nftables conntrack jq bc procps util-linux iperf3 socat curl iputils-ping"
	[demo]="iproute2 nftables conntrack jq curl socat"
	[bench]="serf iperf3 sockperf wireguard-go wireguard-tools nebula haproxy socat bc procps"
)
missing=()
for g in "$@"; do
	[ -n "${pkgs[$g]+x}" ] || { echo "deps.sh: unknown group $g" >&2; exit 2; }
	for p in ${pkgs[$g]}; do
		st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
		[ "$st" = "install ok installed" ] || missing+=("$p")
	done
done
[ ${#missing[@]} -eq 0 ] && exit 0
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
if [ "$(id -u)" != 0 ]; then
	echo "missing Debian packages: ${missing[*]}" >&2
	echo "install them (apt-get install ${missing[*]}) or run this as root" >&2
	exit 1
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
