#!/usr/bin/env bash
# deps.sh GROUP...: install the Debian packages a make target needs, if any are missing.
# Groups: build, test, demo, bench.  Runs apt-get only when something is missing.
set -eu
declare -A pkgs=(
	[build]="gcc make pkg-config libuv1-dev libsodium-dev libmsgpack-dev libnftnl-dev libmnl-dev libmicrohttpd-dev libgnutls28-dev libjansson-dev"
	[test]="clang clang-tools libclang-rt-14-dev iproute2 nftables conntrack jq bc procps util-linux iperf3 socat curl iputils-ping"
	[demo]="iproute2 nftables conntrack jq curl socat"
	[bench]="serf iperf3 sockperf wireguard-go wireguard-tools nebula haproxy socat bc procps"
)
# The console's tests (t-web, t-metrics): a real browser and promtool.
pkgs[test]+=" chromium prometheus"
web="$(cd "$(dirname "$0")/.." && pwd)/tests/web"
missing=()
for g in "$@"; do
	[ -n "${pkgs[$g]+x}" ] || { echo "deps.sh: unknown group $g" >&2; exit 2; }
	for p in ${pkgs[$g]}; do
		st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
		[ "$st" = "install ok installed" ] || missing+=("$p")
	done
	# npm may come with another nodejs than Debian's (NodeSource's has
	# its own): only a missing npm command asks for Debian's package.
	[ "$g" != test ] || command -v npm >/dev/null || missing+=(npm)
done
# web_modules: tests/web's node_modules (playwright-core) as its lockfile
# pins it, made again only when missing or older than the lockfile.
web_modules() {
	case " $* " in *" test "*) ;; *) return 0;; esac
	[ -f "$web/package-lock.json" ] || return 0
	[ "$web/node_modules/.package-lock.json" -nt "$web/package-lock.json" ] &&
	    return 0
	echo "npm ci in tests/web"
	(cd "$web" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
}
if [ ${#missing[@]} -eq 0 ]; then
	web_modules "$@"
	exit 0
fi
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
web_modules "$@"
