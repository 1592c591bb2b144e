# t-api.sh: the console's JSON API (docs/http.md, "API") on a three-site
# mesh, every request signed (rpn-tool http-sign): the API's replies are
# rpnctl --json's; a public service added through the 428 flow (a grant
# signed with rpn-tool sign-message) carries traffic from every node; a
# bad signature on a statement is refused; grant, an order to another
# node, delete, revoke; audit shows the API's statements as the CLI's; a
# browser's key enrolled with rpnctl web enroll; the event stream says a
# service changed within 1 s and ends within 2 s of its operator's removal.
# rpn-test: alone (it times something, or loads the machine: run.sh runs it by itself)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

tool() { "$RPN_BUILD/rpn-tool" "$@"; }
URL=http://127.0.0.1:7481

# api NODE KEY METHOD PATH [BODY]: a signed request to NODE's console; the
# body on stdout, the status in $W/code.
api() {
	local n=$1 key=$2 method=$3 path=$4 body=${5-} bf="$W/req.$$" h=()
	if [ -n "$body" ]; then
		printf '%s' "$body" > "$bf"
		mapfile -t h < <(tool http-sign "$key" "$method" "$URL$path" "$bf")
		nsx "$n" curl -sS --max-time 10 -o "$W/resp" -w '%{http_code}' \
		    -X "$method" "${h[@]/#/-H}" -H 'Content-Type: application/json' \
		    --data-binary @"$bf" "$URL$path" > "$W/code"
	else
		mapfile -t h < <(tool http-sign "$key" "$method" "$URL$path")
		nsx "$n" curl -sS --max-time 10 -o "$W/resp" -w '%{http_code}' \
		    -X "$method" "${h[@]/#/-H}" "$URL$path" > "$W/code"
	fi
	cat "$W/resp"
}
code() { cat "$W/code"; }

# signed NODE KEY METHOD PATH BODY SIGNKEY: the request, its 428 answered by
# signing every message with SIGNKEY and sending it again.
signed() {
	local n=$1 key=$2 method=$3 path=$4 body=$5 skey=$6 r st sg
	r=$(api "$n" "$key" "$method" "$path" "$body")
	[ "$(code)" = 428 ] || fail "$method $path: $(code) $r, expected 428"
	st=$(echo "$r" | jq -c '[.sign[].statement]')
	sg=$(echo "$r" | jq -r '.sign[].message' | while read -r m; do
		tool sign-message "$skey" "$m"; done | jq -R . | jq -sc .)
	say "$method $path: 428, signing: $(echo "$r" | jq -r '[.sign[].summary] | join("; ")')" >&2
	api "$n" "$key" "$method" "$path" "$(echo "$body" |
	    jq -c --argjson st "$st" --argjson sg "$sg" \
	    '. + {statements: $st, signatures: $sg}')"
}

topo_build
topo_servers
topo_start
OP=$RPN_OPERATOR_KEY
for n in cloud sitea siteb; do
	wait_for 50 0.1 listening "$n" tcp 127.0.0.1:7481 || fail "no console on $n"
done

# --- the same JSON as rpnctl --json ---
for what in "operators:operator list" "audit:audit" "services:service list"; do
	p=${what%%:*}
	api siteb "$OP" GET "/api/v1/$p" > "$W/api.json"
	[ "$(code)" = 200 ] || fail "GET /api/v1/$p: $(code) $(cat "$W/api.json")"
	ctl siteb ${what#*:} --json > "$W/cli.json"
	cmp -s "$W/api.json" "$W/cli.json" || fail "GET /api/v1/$p differs from rpnctl ${what#*:} --json:
$(diff "$W/cli.json" "$W/api.json" | head)"
done
# status: ages and counters move between two calls; the rest is the same
api siteb "$OP" GET /api/v1/status > "$W/api.json"
[ "$(code)" = 200 ] || fail "GET /api/v1/status: $(code)"
ctl siteb status --json > "$W/cli.json"
grep -q '^  "members": \[$' "$W/api.json" || fail "status is not rpnctl's pretty JSON"
stable='del(.. | .last_ack_ms?, .age_ms?, .since?, .counters?, .uptime_ms?) | paths(scalars) as $p | [$p, getpath($p)]'
diff <(jq -c "[$stable]" "$W/cli.json" | jq -c '.[]' | grep -v '"ms"\|_ms"\|"ms_' ) \
    <(jq -c "[$stable]" "$W/api.json" | jq -c '.[]' | grep -v '"ms"\|_ms"\|"ms_') > "$W/status.diff" ||
    fail "GET /api/v1/status differs from rpnctl status --json: $(head "$W/status.diff")"
[ "$(jq -c '[paths] | length' "$W/cli.json")" = "$(jq -c '[paths] | length' "$W/api.json")" ] ||
    fail "GET /api/v1/status has other fields than rpnctl status --json"
say "status, services, operators, audit: the API answers what rpnctl --json prints"

# --- refusals of the API itself ---
r=$(api siteb "$OP" POST /api/v1/services '{"name":"web","port":8080,"target":"100.64.2.10:80","colour":"red"}')
[ "$(code)" = 400 ] && echo "$r" | jq -e '.error | test("unknown field \"colour\"")' >/dev/null ||
    fail "an unknown field: $(code) $r"
r=$(api siteb "$OP" GET /api/v1/services/nosuch)
[ "$(code)" = 404 ] && echo "$r" | jq -e '.error == "no service is named \"nosuch\""' >/dev/null ||
    fail "an unknown service: $(code) $r"
nsx siteb curl -s -D "$W/hdr" -o /dev/null "$URL/api/v1/status"
grep -qi '^cache-control: no-store' "$W/hdr" || fail "the API's replies are not no-store"
say "an unknown field: 400; an unknown service: 404 with rpnctl's message"
# an add refused whatever is signed (a loopback backend): 409 before any
# statement is asked for, so no grant is stored for an add that fails
r=$(api siteb "$OP" POST /api/v1/services '{"name":"web","port":8080,"target":"127.0.0.1:80","public":true}')
[ "$(code)" = 409 ] && echo "$r" | jq -e '.error | test("loopback")' >/dev/null ||
    fail "a loopback backend: $(code) $r, expected 409 and no statements to sign"
say "a loopback backend: 409 before any grant is signed ($(echo "$r" | jq -r .error))"

# --- a public service through the 428 flow, then traffic from every node ---
body='{"name":"web","port":8080,"target":"100.64.2.10:80","public":true}'
r=$(api siteb "$OP" POST /api/v1/services "$body")
[ "$(code)" = 428 ] || fail "a public add without statements: $(code) $r"
echo "$r" | jq -e '.sign | length == 1 and (.[0].summary | test("^grant web tcp/8080, public, owners siteb$"))' >/dev/null ||
    fail "428's statements: $r"
# a signature by a key that did not sign the request: refused
rpn cloud operator keygen --out "$W/other.key" >/dev/null
st=$(echo "$r" | jq -c '[.sign[].statement]')
bad=$(tool sign-message "$W/other.key" "$(echo "$r" | jq -r '.sign[0].message')")
r=$(api siteb "$OP" POST /api/v1/services "$(echo "$body" | jq -c --argjson st "$st" \
    --arg sg "$bad" '. + {statements: $st, signatures: [$sg]}')")
[ "$(code)" = 403 ] && echo "$r" | jq -e '.error | test("does not verify")' >/dev/null ||
    fail "a statement signed by another key: $(code) $r"
programmed cloud web && fail "web is programmed after a refused statement"
say "a statement signed by another key than the request's: 403 ($(echo "$r" | jq -r .error))"

r=$(signed siteb "$OP" POST /api/v1/services "$body" "$OP")
[ "$(code)" = 200 ] || fail "the signed add: $(code) $r"
t0=$(date +%s.%N)
for n in cloud sitea siteb; do
	wait_until 100 0.05 "programmed $n web" || fail "web (added through the API) not programmed on $n"
done
say "web added through the API: programmed on all three $(echo "$(date +%s.%N) - $t0" | bc | cut -c1-5) s after its 200"
[ "$(http clia http://100.64.1.1:8080/)" = srvb ] || fail "clia via sitea"
[ "$(http clib http://100.64.2.1:8080/)" = srvb ] || fail "clib via siteb"
[ "$(http inet http://198.51.100.2:8080/)" = srvb ] || fail "the internet via cloud"
say "web carries traffic through sitea, siteb and cloud"

# --- an order to another node (--node) ---
r=$(signed cloud "$OP" POST /api/v1/services \
    '{"name":"intra","port":8081,"target":"100.64.2.10:81","node":"siteb"}' "$OP")
[ "$(code)" = 200 ] || fail "an add on siteb through cloud: $(code) $r"
wait_until 100 0.05 "programmed sitea intra" || fail "intra not programmed on sitea"
[ "$(http clia http://100.64.1.1:8081/)" = intra ] || fail "intra from clia"
say "intra added on siteb by an order through cloud's API; clia reaches it"

# --- grant, revoke-grant ---
r=$(signed siteb "$OP" POST /api/v1/services/web/grant '{"node":"sitea"}' "$OP")
[ "$(code)" = 200 ] || fail "grant: $(code) $r"
sa=$(ctl cloud status --json | jq -r '.members[] | select(.name == "sitea") | .id')
wait_until 100 0.05 '[ "$(ctl cloud service show web --json | jq -r --arg i "$sa" \
    "[.service.granted[]?] | index(\$i) != null")" = true ]' || fail "the grant to sitea is not seen"
say "web granted to sitea through the API"

# --- audit: the API's statements as the CLI's, and the same JSON ---
api cloud "$OP" GET /api/v1/audit > "$W/api.json"
ctl cloud audit --json > "$W/cli.json"
cmp -s "$W/api.json" "$W/cli.json" || fail "audit differs between the API and rpnctl"
jq -e '[.events[] | select(.event == "grant" and .subject == "web")] | length == 2' "$W/cli.json" >/dev/null ||
    fail "audit does not list the API's two grants of web: $(jq -c '.events[] | select(.event == "grant")' "$W/cli.json")"
say "audit lists the API's grants, the same through the API and rpnctl"

# --- delete ---
# web's last backend: deleted at once; its grant stays, listed as a grant
# no backend serves (an add under it must ask its access)
r=$(api siteb "$OP" DELETE /api/v1/services/web)
[ "$(code)" = 200 ] || fail "delete: $(code) $r"
wait_until 100 0.05 '! programmed cloud web' || fail "web still programmed on cloud after its delete"
ctl cloud service list --json | jq -e '.grants | map(.name) == ["web"]' >/dev/null ||
    fail "web's grant is not listed as one no backend serves: $(ctl cloud service list --json | jq -c .grants)"
r=$(signed cloud "$OP" DELETE /api/v1/services/intra?node=siteb '{}' "$OP")
[ "$(code)" = 200 ] || fail "delete on siteb through cloud: $(code) $r"
wait_until 100 0.05 '! programmed sitea intra' || fail "intra still programmed after its delete"
say "web deleted on siteb (its grant stays, listed), intra by an order through cloud"

# --- enrolment: a key made by rpn operator keygen plays the browser ---
rpn cloud operator keygen --out "$W/browser.key" >/dev/null
nsx cloud "$RPN_BUILD/rpnctl" -s "$(sock cloud)" web enroll phone --timeout 60s \
    > "$W/enroll.out" 2> "$W/enroll.err" &
enroll_pid=$!
wait_until 100 0.05 '[ -s "$W/enroll.out" ]' || fail "rpnctl web enroll printed no URL: $(cat "$W/enroll.err")"
grep -Eq '^http://127\.0\.0\.1:7481/enroll#[A-Za-z0-9_-]{22}$' "$W/enroll.out" ||
    fail "the enrolment URL: $(cat "$W/enroll.out")"
grep -q "waiting" "$W/enroll.err" || fail "rpnctl web enroll does not say it waits"
code=$(sed 's/.*#//' "$W/enroll.out")
r=$(api cloud "$W/browser.key" GET /api/v1/whoami)
[ "$(code)" = 403 ] || fail "whoami before the enrolment: $(code) $r"
r=$(api cloud "$W/browser.key" POST /api/v1/enroll '{"code":"AAAAAAAAAAAAAAAAAAAAAA"}')
[ "$(code)" = 403 ] || fail "a wrong code: $(code) $r"
r=$(api cloud "$W/browser.key" POST /api/v1/enroll "{\"code\":\"$code\"}")
[ "$(code)" = 200 ] || fail "enroll: $(code) $r"
wait_for 100 0.05 sh -c "! kill -0 $enroll_pid 2>/dev/null" || fail "rpnctl web enroll did not finish"
wait "$enroll_pid" || fail "rpnctl web enroll failed: $(cat "$W/enroll.err")"
r=$(api cloud "$W/browser.key" POST /api/v1/enroll "{\"code\":\"$code\"}")
[ "$(code)" = 403 ] && echo "$r" | jq -e '.error | test("unknown, used or expired")' >/dev/null ||
    fail "a used code: $(code) $r"
wait_until 100 0.05 '[ "$(api sitea "$W/browser.key" GET /api/v1/whoami | jq -r .operator)" = true ]' ||
    fail "the browser's key is not an operator on sitea"
api sitea "$W/browser.key" GET /api/v1/whoami | jq -e '.name == "phone"' >/dev/null || fail "whoami's name"
say "rpnctl web enroll phone: the browser's key is operator phone on every node; the code works once"
expect_fail "web enroll without an operator key" "operator key" \
    env RPN_OPERATOR_KEY="$W/none.key" "$RPN_BUILD/rpnctl" -s "$(sock cloud)" web enroll x

# --- events: a change within 1 s; closed within 2 s of the operator's removal ---
mapfile -t h < <(tool http-sign "$W/browser.key" GET "$URL/api/v1/events")
nsx cloud curl -sN --max-time 60 "${h[@]/#/-H}" "$URL/api/v1/events" > "$W/events" &
ev_pid=$!
wait_until 100 0.05 'grep -q "^: rpn events" "$W/events"' || fail "the event stream did not start"
t0=$(date +%s%N)
ctl siteb service add ev tcp/8095 --to 100.64.2.10:80 >/dev/null
wait_until 200 0.005 'grep -q "{\"what\":\"services\"}" "$W/events"' || fail "no services event"
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$ms" -lt 1000 ] || fail "the services event came after $ms ms"
say "event stream: \"services\" $ms ms after a service add on another node"
t0=$(date +%s%N)
ctl cloud operator remove phone >/dev/null
wait_for 100 0.02 sh -c "! kill -0 $ev_pid 2>/dev/null" || fail "the stream of a removed operator stays open"
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$ms" -lt 2000 ] || fail "the stream closed after $ms ms"
r=$(api sitea "$W/browser.key" GET /api/v1/status)
wait_until 50 0.05 '[ "$(api sitea "$W/browser.key" GET /api/v1/status >/dev/null; code)" = 403 ]' ||
    fail "a removed operator is still served on sitea"
say "operator phone removed: its event stream closed after $ms ms, sitea refuses it"

# --- an order to a node that is down: 409 before any statement ---
stop sitea
wait_until 200 0.1 '[ "$(state_of cloud sitea)" = failed ]' || fail "cloud does not see sitea failed"
r=$(api cloud "$OP" POST /api/v1/services '{"name":"far","port":8096,"target":"100.64.1.10:80","node":"sitea","public":true}')
[ "$(code)" = 409 ] && echo "$r" | jq -e '.error | test("sitea is failed")' >/dev/null ||
    fail "an add on a failed node: $(code) $r, expected 409 and no statements to sign"
say "an add on sitea, failed: 409 before any grant is signed ($(echo "$r" | jq -r .error))"
start sitea
wait_until 100 0.1 '[ "$(state_of cloud sitea)" = alive ]' || fail "sitea did not come back"

# --- revoke a node ---
r=$(signed cloud "$OP" POST /api/v1/revoke '{"node":"sitea"}' "$OP")
[ "$(code)" = 200 ] || fail "revoke: $(code) $r"
wait_until 100 0.05 '[ "$(state_of siteb sitea)" = revoked ]' || fail "siteb does not see sitea revoked"
ctl cloud audit --json | jq -e '[.events[] | select(.event == "revoke" and .subject == "sitea")] | length == 1' \
    >/dev/null || fail "audit has no revocation of sitea"
say "sitea revoked through the API: siteb lists it revoked, audit shows it"
