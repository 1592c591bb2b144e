# t-web.sh: the web console in real Chromium (tests/web/console.mjs drives
# Debian's chromium with playwright-core), inside node 1's namespace so its
# 127.0.0.1:7481 is node 1's rpnd.  The operator enrols the browser with
# `rpnctl web enroll`; in the browser: all members alive, a service added
# (signing what the 428 asks) that carries traffic through every node, a
# change made by the CLI shown within 1 s, a node killed shown failed
# without a reload, then revoked; the page and the CLI agree; a replayed,
# an expired and an unsigned request are refused; removing the operator
# locks the page out within 2 s.  Screenshots of each page are checked not
# blank (kept on failure).
# rpn-test: alone (it times something, or loads the machine: run.sh runs it by itself)
. "$(dirname "$0")/lib.sh"

SRC=$(cd "$(dirname "$0")/../.." && pwd)
WEB="$SRC/tests/web"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
export CHROMIUM

if [ ! -x "$CHROMIUM" ]; then
	[ "${RPN_WEB_SKIP_OK:-0}" = 1 ] &&
	    skip "no chromium at $CHROMIUM (deploy/deps.sh test installs it)"
	fail "no chromium at $CHROMIUM: deploy/deps.sh test installs it (RPN_WEB_SKIP_OK=1 skips this test instead)"
fi
command -v node >/dev/null || fail "no node: deploy/deps.sh test installs it"
[ -f "$WEB/node_modules/playwright-core/package.json" ] ||
    fail "tests/web/node_modules is missing: deploy/deps.sh test runs npm ci there"

# note: say, with the seconds since the test started.
note() { say "[${SECONDS}s] $*"; }

SHOTS="$W/shots"
mkdir -p "$SHOTS"
# Keep the screenshots and the driver's log when the test fails.
keep_shots() {
	local rc=$1 d
	if [ $rc -ne 0 ] && [ $rc -ne 77 ] &&
	    { [ -n "$(ls -A "$SHOTS" 2>/dev/null)" ] || [ -s "$W/drv.log" ]; }; then
		d=$(mktemp -d /tmp/rpn-t-web-shots.XXXXXX)
		cp -r "$SHOTS/." "$d/" 2>/dev/null
		cp "$W/drv.log" "$d/" 2>/dev/null
		echo "  screenshots and the browser driver's log kept in $d"
	fi
	return $rc
}
# keep_shots returns the test's status for cleanup to read; set +e, since
# under set -e a failing status would end the trap before cleanup ran.
trap '_rc=$?; set +e; keep_shots "$_rc"; cleanup' EXIT

hub
# eth0 is each node's uplink (it has no default route on the hub, so rpnd
# would not take it as one by itself): rpnd forwards on it.
for i in 1 2 3; do node "n$i" "198.51.100.$i"; start "n$i" --uplink eth0; done
mesh n1 n2 n3
wait_until 150 0.1 '[ "$(count_alive n1)" -eq 3 ] && [ "$(count_alive n3)" -eq 3 ]' ||
    fail "the mesh did not form"

# A web server on the hub, which the service will forward to, and a client.
node srv 198.51.100.100
node cli 198.51.100.200
cat > "$W/http-srv.sh" <<'EOS'
#!/bin/sh
read -r _
printf 'HTTP/1.0 200 OK\r\nContent-Length: 4\r\n\r\nsrv\n'
EOS
chmod 755 "$W/http-srv.sh"
nsx srv socat TCP-LISTEN:8088,fork,reuseaddr EXEC:"$W/http-srv.sh" >/dev/null 2>&1 &
wait_for 50 0.1 listening srv tcp 8088 || fail "the web server did not start"
wait_for 50 0.1 listening n1 tcp 127.0.0.1:7481 || fail "rpnd on n1 does not listen on 127.0.0.1:7481"

# The browser driver: one command a line in, one answer a line out.
mkfifo "$W/drv.in" "$W/drv.out"
nsx n1 node "$WEB/console.mjs" http://127.0.0.1:7481 "$SHOTS" \
    <"$W/drv.in" >"$W/drv.out" 2>"$W/drv.log" &
exec 7>"$W/drv.in" 8<"$W/drv.out"
# drv CMD ARGS...: the answer's JSON on stdout; a "fail" answer returns 1
# with the driver's message on stderr.
drv() {
	local line
	printf '%s\n' "$*" >&7
	IFS= read -r -t 120 line <&8 || { echo "the browser driver did not answer '$1'" >&2; return 1; }
	case $line in
	"ok "*) printf '%s\n' "${line#ok }";;
	*) printf '%s\n' "${line#fail }" >&2; return 1;;
	esac
}
must() { drv "$@" 2>"$W/drv.err" || fail "browser, $1: $(cat "$W/drv.err")"; }
ms() { jq -r .ms; }

# --- enrolment -------------------------------------------------------------
t0=$(date +%s.%N)
ctl n1 web enroll me >"$W/enroll.out" 2>"$W/enroll.err" &
enroll_pid=$!
wait_until 100 0.1 'grep -q "^http://127.0.0.1:7481/enroll#" "$W/enroll.out"' ||
    fail "rpnctl web enroll printed no URL: $(cat "$W/enroll.out" "$W/enroll.err")"
url=$(head -n1 "$W/enroll.out")
out=$(must enroll "$url")
enroll_ms=$(echo "$out" | ms)
[ "$(echo "$out" | jq -r .whoami)" = me ] || fail "signed in as: $out"
[ "$(echo "$out" | jq -r .fragmentGone)" = true ] || fail "the code stayed in the address bar"
wait_for 100 0.1 sh -c "! kill -0 $enroll_pid 2>/dev/null" || fail "rpnctl web enroll did not finish"
wait "$enroll_pid" || fail "rpnctl web enroll failed: $(cat "$W/enroll.err")"
ctl n3 operator list --json | jq -e '.operators[] | select(.name == "me" and .state == "active")' >/dev/null ||
    fail "n3 does not list the browser's key as operator me"
note "browser enrolled as operator me: the console was live $enroll_ms ms after the URL was opened (the code left the address bar)"
# The code was used: a second use is refused, visibly.
must open "$url" >/dev/null
err=$(must error-shown 10000 | jq -r .text)
[ -n "$err" ] && ! echo "$err" | grep -q '^HTTP [0-9]' || fail "a used code: the page said '$err'"
must screenshot enroll >/dev/null
note "the used code again: the enrolment page shows the API's error: $err"
must open / >/dev/null

# --- members -----------------------------------------------------------------
for n in n1 n2 n3; do must wait-member "$n" alive 10000 >/dev/null; done
note "the page lists n1, n2 and n3 alive"

# page_state / cli_state: members and services, one line each, sorted.
page_state() {
	{ drv members | jq -r '.[] | "member \(.name) \(.state)"'
	  drv services | jq -r '.[] | "service \(.name) \(.port) \(.backends | join(","))"'
	} | sort
}
cli_state() {
	{ ctl n1 status --json | jq -r '.members[] | "member \(.name) \(.state)"'
	  ctl n1 service list --json |
	    jq -r '.services[] | "service \(.name) \(.proto)/\(.port) \([.backends[].node] | sort | join(","))"'
	} | sort
}
same_state() { [ "$(page_state 2>/dev/null)" = "$(cli_state)" ]; }

# --- a service added in the browser carries traffic through every node ------
t0=$(date +%s.%N)
out=$(must add-service '{"name":"web","port":8080,"target":"198.51.100.100:8088","node":"n2","public":true}')
note "web added in the browser on n2 ($(echo "$out" | jq -r '[.signed[].lines[]] | length') statement(s) signed: $(echo "$out" | jq -r '[.signed[].lines[]] | join("; ")'))"
programmed() {
	ctl "$1" service list --json 2>/dev/null | jq -e --arg s "$2" \
	    '.services[] | select(.name == $s) | .programmed == true' >/dev/null
}
for n in n1 n2 n3; do
	wait_until 100 0.1 "programmed $n web" || fail "web is not programmed on $n"
done
for i in 1 2 3; do
	body=$(nsx "n$i" curl -s --max-time 3 "http://198.51.100.$i:8080/" 2>/dev/null || true)
	[ "$body" = srv ] || fail "curl on n$i: '$body'"
	body=$(nsx cli curl -s --max-time 3 "http://198.51.100.$i:8080/" 2>/dev/null || true)
	[ "$body" = srv ] || fail "curl from the client through n$i: '$body'"
done
note "curl on n1, n2 and n3, and from a client through each, is answered by the server, $(echo "$(date +%s.%N) - $t0" | bc | cut -c1-4) s after the click"
# The page says on how many nodes it is programmed, as the CLI does.
cli_po() { ctl n1 service show web --json | jq -r '.service.programmed_on | "on \(.nodes) of \(.of) nodes"'; }
page_po() { drv services | jq -r '.[] | select(.name == "web") | .programmed' | sed 's/this node.*//'; }
wait_until 30 0.2 '[ "$(page_po)" = "$(cli_po)" ]' ||
    fail "web's programmed: the page says '$(page_po)', the CLI '$(cli_po)'"
note "the page shows web programmed $(page_po), as the CLI does"

# The browser shows the API's refusal, not a generic one.
drv add-service '{"name":"bad","port":8090,"target":"127.0.0.1:80"}' >/dev/null 2>"$W/drv.err" &&
    fail "a loopback target was accepted"
grep -q 'the page says: ' "$W/drv.err" || fail "a refused add: $(cat "$W/drv.err")"
note "a loopback target: the page shows '$(sed 's/.*the page says: //; s/ \[page:.*//' "$W/drv.err")'"

# A change made elsewhere appears on the open page within 1 s.
ctl n1 service add side tcp/8091 --to 198.51.100.100:8088 >/dev/null
out=$(must wait-service side 1000)
note "a service added with the CLI appeared on the page after $(echo "$out" | ms) ms"
must delete-backend side n1 >/dev/null
wait_until 50 0.1 '! ctl n1 service show side >/dev/null 2>&1' || fail "the page's delete did not remove side"
note "deleted from the page: the CLI no longer lists it"

wait_until 50 0.1 same_state || fail "page and CLI differ: $(diff <(page_state) <(cli_state))"
note "page and CLI agree: $(cli_state | tr '\n' ' ')"
must screenshot console >/dev/null

# --- a node fails, live; then it is revoked ----------------------------------
t0=$(date +%s.%N)
crash n3
out=$(must wait-member n3 'suspect|failed' 30000)
note "n3 killed (kill -9): the page shows it $(drv members | jq -r '.[] | select(.name == "n3") | .state') after $(echo "$out" | ms) ms, without a reload"
st=$(state_of n1 n3)
[ "$st" = suspect ] || [ "$st" = failed ] || fail "the page shows n3 down but n1 says $st"
out=$(must revoke n3)
wait_for 50 0.1 all_see revoked n3 n1 n2 || fail "n3 is not revoked everywhere"
note "revoked from the page ($(echo "$out" | jq -r '[.signed[].title] | join(" / ")')): n1 and n2 list n3 as revoked"
wait_until 50 0.1 same_state || fail "page and CLI differ: $(diff <(page_state) <(cli_state))"
note "page and CLI agree: $(cli_state | tr '\n' ' ')"
must screenshot revoked >/dev/null

# --- refusals -----------------------------------------------------------------
nonce="t-web-$$"
out=$(must raw "{\"method\":\"GET\",\"path\":\"/api/v1/whoami\",\"nonce\":\"$nonce\",\"times\":2}")
[ "$(echo "$out" | jq -c '[.[].status]')" = '[200,401]' ] || fail "a replayed request: $out"
note "the same signed request twice: $(echo "$out" | jq -c '[.[].status]') ($(echo "$out" | jq -r '.[1].body'))"
out=$(must raw '{"method":"GET","path":"/api/v1/whoami","created":"old"}')
[ "$(echo "$out" | jq -c '[.[].status]')" = '[401]' ] || fail "a request made 600 s ago: $out"
note "signed 600 s ago: $(echo "$out" | jq -r '.[0].status') ($(echo "$out" | jq -r '.[0].body'))"
code=$(nsx n1 curl -s -o "$W/unsigned.json" -w '%{http_code}' --max-time 3 http://127.0.0.1:7481/api/v1/status || true)
[ "$code" = 401 ] && jq -e .error "$W/unsigned.json" >/dev/null || fail "an unsigned request: $code $(cat "$W/unsigned.json")"
note "unsigned: 401 ($(cat "$W/unsigned.json"))"

# --- the operator is removed: the page is locked out within 2 s --------------
t0=$(date +%s.%N)
ctl n1 operator remove me >/dev/null
t1=$(date +%s.%N)
out=$(must wait-locked 2000)
note "operator me removed (rpnctl took $(echo "$t1 - $t0" | bc | cut -c1-4) s): the page was locked out $(echo "$out" | ms) ms after it returned: $(echo "$out" | jq -r .text | cut -c1-60)…"
must screenshot locked >/dev/null
note "screenshots (desktop and phone widths) of the enrolment page, the console and the lock-out are not blank"
drv quit >/dev/null 2>&1 || true
