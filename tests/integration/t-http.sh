# t-http.sh: the console's HTTP(S) server: listeners in each namespace,
# static files with the security headers and nothing outside web-root,
# /metrics for loopback only, HTTPS with a pinned self-signed certificate
# that survives a restart, the signature gate in front of /api/, the body
# limit, reloads that keep the old listener when the new one cannot be,
# and a mesh that runs on when the console's port is taken.
. "$(dirname "$0")/lib.sh"

for c in curl openssl jq socat; do
	command -v $c >/dev/null || skip "$c is not installed"
done

# A web-root of our own: pages, a symlink that stays inside, one that leaves.
RPN_WEB_ROOT="$W/web"
mkdir -p "$RPN_WEB_ROOT/sub"
echo '<!doctype html><title>rpn</title>index-page' > "$RPN_WEB_ROOT/index.html"
echo '<!doctype html><title>enrol</title>enroll-page' > "$RPN_WEB_ROOT/enroll.html"
echo 'body { color: black }' > "$RPN_WEB_ROOT/style.css"
echo 'outside-secret' > "$W/secret.txt"
ln -s "$W/secret.txt" "$RPN_WEB_ROOT/leak.txt"
ln -s ../style.css "$RPN_WEB_ROOT/sub/inside.css"
chmod -R a+rX "$RPN_WEB_ROOT"

hub
node n1 198.51.100.1
node n2 198.51.100.2
a1=$(addr n1)
# n1 listens on every address (so n2 can try its /metrics) and on HTTPS.
cat > "$W/n1.conf" <<CONF
http-listen 0.0.0.0:7481
https-listen $a1:7443
CONF
start n1 -f "$W/n1.conf"
start n2
mesh n1 n2
for n in n1 n2; do
	wait_until 100 0.1 '[ "$(count_alive $n)" -eq 2 ]' || fail "$n did not see 2 alive"
done

# code NODE CURL-ARGS...: the HTTP status curl gets from inside NODE.
code() { local n=$1; shift; nsx "$n" curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$@" || true; }
U=http://127.0.0.1:7481

# ---- listeners: each namespace's own 127.0.0.1:7481 ----
for n in n1 n2; do
	wait_until 50 0.1 '[ "$(code $n $U/)" = 200 ]' || fail "no console on $n's 127.0.0.1:7481"
done
[ "$(ctl n2 status --json | jq -r .http.listen)" = 127.0.0.1:7481 ] || fail "n2's status does not show its listener"
[ "$(ctl n2 status --json | jq -r .http.https_listen)" = null ] || fail "n2 has HTTPS without asking"
say "each node's console answers on its own 127.0.0.1:7481"

# ---- static files and security headers ----
h=$(nsx n1 curl -s -D - -o "$W/body" --max-time 5 $U/style.css)
echo "$h" | contains '^HTTP/1.1 200' || fail "style.css: $h"
for want in "Content-Type: text/css" \
    "Content-Security-Policy: default-src 'self'; frame-ancestors 'none'" \
    "X-Content-Type-Options: nosniff" "Referrer-Policy: no-referrer"; do
	echo "$h" | grep -qiF "$want" || fail "style.css lacks \"$want\": $h"
done
grep -q 'color: black' "$W/body" || fail "style.css came back wrong"
nsx n1 curl -s --max-time 5 $U/ | contains index-page || fail "/ is not index.html"
nsx n1 curl -s --max-time 5 $U/enroll | contains enroll-page || fail "/enroll is not enroll.html"
[ "$(code n1 $U/nope.html)" = 404 ] || fail "a missing file is not 404"
[ "$(code n1 -X POST $U/index.html)" = 405 ] || fail "POST to a file is not 405"
[ "$(code n1 $U/sub/inside.css)" = 200 ] || fail "a symlink inside web-root is refused"
h=$(nsx n1 curl -s -D - -o /dev/null --max-time 5 $U/nope.html)
echo "$h" | contains -i "X-Content-Type-Options: nosniff" || fail "a 404 lacks the security headers"
say "files from web-root, with the security headers"

for path in /../etc/passwd /%2e%2e/etc/passwd /sub/%2E%2E/%2e%2e/secret.txt \
    /..%2fsecret.txt '/sub\..\..\secret.txt' /index.html%00.png //etc/passwd \
    /leak.txt; do
	c=$(code n1 --path-as-is "$U$path")
	case $c in 400|403|404) ;; *) fail "$path: got $c" ;; esac
	nsx n1 curl -s --path-as-is --max-time 5 "$U$path" |
	    grep -qE 'root:|outside-secret' && fail "$path leaked a file outside web-root"
	say "$path refused ($c)"
done
[ "$(code n1 --path-as-is $U/leak.txt)" = 403 ] || fail "a symlink leaving web-root is not 403"
[ "$(ctl n1 status --json | jq -r '.http.problem')" = null ] || fail "n1 reports a console problem"

# ---- /metrics: loopback only ----
[ "$(code n1 $U/metrics)" = 200 ] || fail "/metrics refused on loopback"
nsx n1 curl -s -D - -o /dev/null --max-time 5 $U/metrics | contains -i '^Content-Type: text/plain' ||
    fail "/metrics is not text/plain"
[ "$(code n2 "http://$a1:7481/")" = 200 ] || fail "n1's console does not answer n2 on $a1"
[ "$(code n2 "http://$a1:7481/metrics")" = 403 ] || fail "/metrics served to another host"
say "/metrics: 200 on loopback, 403 from n2 through $a1:7481"

# ---- the API: the signature gate, the body limit ----
body=$(nsx n1 curl -s --max-time 5 $U/api/v1/status)
[ "$(code n1 $U/api/v1/status)" = 401 ] || fail "an unsigned API request is not 401"
echo "$body" | jq -e '.error | length > 0' >/dev/null || fail "401 without a JSON error: $body"
nsx n1 curl -s -D - -o /dev/null --max-time 5 $U/api/v1/status | contains -i '^Cache-Control: no-store' ||
    fail "the API's replies are not no-store"
head -c 70000 /dev/zero | tr '\0' x > "$W/big"
[ "$(code n1 -X POST -H 'Content-Type: application/json' --data-binary @"$W/big" \
    $U/api/v1/services)" = 413 ] || fail "a 70000-byte body is not 413"
say "unsigned: 401 with {\"error\": …}; a body over 64 KiB: 413"


# ---- HTTPS: a self-signed certificate, its fingerprint pinned, kept ----
fpr=$(ctl n1 status --json | jq -r .http.https_fingerprint)
echo "$fpr" | grep -qE '^([0-9A-F]{2}:){31}[0-9A-F]{2}$' || fail "no fingerprint in status: $fpr"
[ "$(ctl n1 status --json | jq -r .http.https_listen)" = "$a1:7443" ] || fail "status lacks https_listen"
ctl n1 status | contains -F "$fpr" || fail "rpnctl status does not print the fingerprint"
seen=$(nsx n1 sh -c "openssl s_client -connect $a1:7443 -servername localhost </dev/null 2>/dev/null |
    openssl x509 -noout -fingerprint -sha256" | sed 's/.*=//')
[ "$seen" = "$fpr" ] || fail "the certificate served ($seen) is not the one status shows ($fpr)"
nsx n1 curl -sk --max-time 5 "https://$a1:7443/" | contains index-page || fail "no page over HTTPS"
[ "$(code n1 -k "https://$a1:7443/api/v1/status")" = 401 ] || fail "HTTPS API not behind the gate"
nsx n1 sh -c "openssl s_client -connect $a1:7443 </dev/null 2>/dev/null | openssl x509 -noout -text" |
    grep -q "DNS:localhost, IP Address:$a1" || fail "the certificate does not name localhost and $a1"
[ "$(stat -c %a "$W/n1/state/https.key")" = 600 ] || fail "https.key is not 0600"
stop n1
start n1 -f "$W/n1.conf"
wait_until 50 0.1 '[ "$(code n1 -k https://$a1:7443/)" = 200 ]' || fail "no HTTPS after a restart"
[ "$(ctl n1 status --json | jq -r .http.https_fingerprint)" = "$fpr" ] || fail "a restart changed the certificate"
say "HTTPS on $a1:7443, fingerprint $fpr, the same after a restart"

# ---- reloads ----
hup() { kill -HUP "$(cat "$W/n1/pid")"; }
logged() { grep -c "$1" "$W/n1/log" || true; }
before=$(logged "keeping the old configuration")
sed -i 's/^http-listen .*/http-listen 127.0.0.1/' "$W/n1.conf"
hup
wait_until 50 0.1 '[ "$(logged "keeping the old configuration")" -gt "$before" ]' ||
    fail "a bad http-listen was not refused on reload"
[ "$(code n1 $U/)" = 200 ] || fail "the old listener stopped after a bad reload"
grep -q '"http-listen" needs ADDR:PORT or off' "$W/n1/log" || fail "the refusal does not say why"
say "a bad http-listen on reload: refused with the reason, the old listener kept"

# A port something else holds: the old listener stays, status says why.
nsx n1 socat TCP-LISTEN:7490,bind=127.0.0.1,reuseaddr,fork /dev/null &
wait_for 50 0.1 listening n1 tcp 127.0.0.1:7490 || fail "socat did not listen"
sed -i 's/^http-listen .*/http-listen 127.0.0.1:7490/' "$W/n1.conf"
hup
wait_until 50 0.1 '[ "$(ctl n1 status --json | jq -r .http.problem)" != null ]' ||
    fail "a listener that cannot bind is not reported"
ctl n1 status --json | jq -r .http.problem | contains "still listening on 0.0.0.0:7481" ||
    fail "problem: $(ctl n1 status --json | jq -r .http.problem)"
[ "$(code n1 $U/)" = 200 ] || fail "the old listener stopped when the new one could not bind"
say "http-listen on a taken port: $(ctl n1 status --json | jq -r .http.problem)"

sed -i 's/^http-listen .*/http-listen 127.0.0.1:7482/' "$W/n1.conf"
hup
wait_until 50 0.1 '[ "$(code n1 http://127.0.0.1:7482/)" = 200 ]' || fail "the listener did not move to :7482"
[ "$(code n1 $U/)" = 000 ] || fail "the old listener still answers after the move"
[ "$(ctl n1 status --json | jq -r '.http.listen + " " + (.http.problem | tostring)')" = \
    "127.0.0.1:7482 null" ] || fail "status after the move: $(ctl n1 status --json | jq -c .http)"
say "a good reload moves the listener to 127.0.0.1:7482"

# ---- the console's port taken: the mesh runs anyway ----
stop n2
nsx n2 socat TCP-LISTEN:7481,bind=127.0.0.1,reuseaddr,fork /dev/null &
wait_for 50 0.1 listening n2 tcp 127.0.0.1:7481 || fail "socat did not listen on n2"
start n2
wait_until 100 0.1 '[ "$(count_alive n2)" -eq 2 ]' || fail "n2 is not in the mesh with its console port taken"
p=$(ctl n2 status --json | jq -r .http.problem)
echo "$p" | contains "127.0.0.1:7481" || fail "n2's status does not show the console's problem: $p"
ctl n2 status | contains "console problem" || fail "rpnctl status does not print the problem"
grep -q "cannot listen on 127.0.0.1:7481" "$W/n2/log" || fail "the log does not say the port is taken"
say "7481 taken on n2: the mesh runs, status says: $p"

# ---- signed API requests (n1's console is on :7482 now) ----
U=http://127.0.0.1:7482
# sign KEY METHOD URL [BODYFILE] [rpn-tool options]: the signature's header
# lines (rpn-tool http-sign, docs/http.md "Signing requests").
signed() {
	local key=$1 m=$2 url=$3 bodyf=${4:-}
	shift 3; [ $# -gt 0 ] && shift
	"$RPN_BUILD/rpn-tool" http-sign "$key" "$m" "$url" ${bodyf:+"$bodyf"} "$@"
}
# scode KEY METHOD PATH [BODYFILE] [options]: the status of a signed request.
scode() {
	local key=$1 m=$2 p=$3 bodyf=${4:-} args=() line
	shift 3; [ $# -gt 0 ] && shift
	while IFS= read -r line; do
		[ -n "$line" ] && args+=(-H "$line")
	done < <(signed "$key" "$m" "$U$p" "$bodyf" "$@")
	[ ${#args[@]} -gt 0 ] || fail "rpn-tool http-sign printed nothing"
	[ -z "$bodyf" ] || args+=(--data-binary @"$bodyf" -H 'Content-Type: application/json')
	code n1 -X "$m" "${args[@]}" "$U$p"
}
c=$(scode "$RPN_OPERATOR_KEY" GET /api/v1/status)
case $c in 2??|404) ;; *) fail "the operator's signed request got $c, not the API's answer" ;; esac
say "signed by the operator: reaches the API ($c)"
"$RPN_BUILD/rpn" operator keygen --out "$W/stranger.key" >/dev/null 2>&1 ||
    fail "cannot make a second operator key"
[ "$(scode "$W/stranger.key" GET /api/v1/status)" = 403 ] || fail "a non-operator key is not 403"
old=$(( $(date +%s) - 1000 ))
[ "$(scode "$RPN_OPERATOR_KEY" GET /api/v1/status "" --created $old)" = 401 ] ||
    fail "an expired signature is not 401"
c=$(scode "$RPN_OPERATOR_KEY" GET /api/v1/status "" --nonce once-$$)
case $c in 401|403) fail "a fresh nonce was refused ($c)" ;; esac
[ "$(scode "$RPN_OPERATOR_KEY" GET /api/v1/status "" --nonce once-$$)" = 401 ] ||
    fail "a replayed nonce is not 401"
echo '{"name":"x"}' > "$W/b1"
echo '{"name":"y"}' > "$W/b2"
args=()
while IFS= read -r line; do
	[ -n "$line" ] && args+=(-H "$line")
done < <(signed "$RPN_OPERATOR_KEY" POST "$U/api/v1/services" "$W/b1")
[ "$(code n1 -X POST "${args[@]}" -H 'Content-Type: application/json' \
    --data-binary @"$W/b2" $U/api/v1/services)" = 401 ] ||
    fail "a body that does not match its digest is not 401"
say "non-operator 403; expired, replayed, wrong digest 401"
