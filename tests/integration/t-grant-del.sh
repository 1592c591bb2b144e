# t-grant-del.sh: a grant outlives its service, and opens nothing wider.
# A public service deleted and added again without --public is private: a
# curl from the internet (no member) gets no answer, a member site's LAN
# does; the operator's add brings the grant in line and says so, an add
# without a key is refused naming the grant.  The delete says the grant
# stays (a service moved by an add on one node and a delete on another
# keeps it: t-dp-udp); grant and revoke-grant manage it though no backend
# serves the name.  Fails on the code before: web5 answered the internet.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

nokey() { RPN_OPERATOR_KEY="$W/none" "$@"; }
# the newest grant event of NAME in NODE's audit: its detail
last_grant() { ctl "$1" audit --json | jq -r --arg s "$2" \
    '[.events[] | select(.event == "grant" and .subject == $s)] | last | .detail // "none"'; }

topo_build
topo_servers
topo_start

# 1. public, then deleted by the operator's rpnctl
out=$(ctl siteb service add web5 tcp/8085 --to 100.64.2.10:80 --public)
echo "$out" | contains "granted web5 tcp/8085, public, owners siteb" || fail "the public add: $out"
wait_until 100 0.05 'programmed cloud web5' || fail "web5 not programmed on cloud"
[ "$(http inet http://198.51.100.2:8085/)" = srvb ] || fail "public web5 did not answer the internet"
say "web5 added --public on siteb: the internet reaches it through cloud"
del_out=$(ctl siteb service del web5)
wait_until 100 0.05 '! programmed cloud web5' || fail "web5 still programmed on cloud after its delete"

# 2. added again, without --public: private, whatever was granted before
dry=$(ctl siteb service add web5 tcp/8085 --to 100.64.2.10:80 --dry-run)
add_out=$(ctl siteb service add web5 tcp/8085 --to 100.64.2.10:80)
wait_until 100 0.05 'programmed cloud web5 && programmed sitea web5' || fail "web5 not programmed again"
[ "$(http clia http://100.64.1.1:8085/)" = srvb ] || fail "web5 (again) does not answer a member site's LAN"
[ -z "$(http inet http://198.51.100.2:8085/ 2)" ] ||
    fail "web5, deleted and added again without --public, answered the internet (access: $(ctl cloud service show web5 --json | jq -r .service.access))"
[ "$(ctl cloud service show web5 --json | jq -r .service.access)" = private ] ||
    fail "cloud shows web5 $(ctl cloud service show web5 --json | jq -r .service.access)"
say "web5 deleted and added again without --public: clia reaches it, the internet does not"
echo "$del_out" | contains "^the grant of web5 stays: web5 tcp/8085, public, owners siteb; an add must ask for that access" ||
    fail "the delete did not say the grant stays: $del_out"
echo "$del_out" | contains "^removed web5$" || fail "the delete: $del_out"
say "the delete said: $(echo "$del_out" | tr '\n' ';')"
echo "$dry" | contains "^access: private, from the grant above" || fail "--dry-run does not say the access: $dry"
say "--dry-run of the add said: $(echo "$dry" | tr '\n' ';')"
echo "$add_out" | contains "^granted web5 tcp/8085, private, owners siteb (was: web5 tcp/8085, public, owners siteb)$" ||
    fail "the operator's add under the leftover public grant: $add_out"
say "the operator's add: $(echo "$add_out" | head -1)"
ctl siteb service del web5 >/dev/null

# 3. a grant left behind: a delete without an operator key
ctl siteb service add web6 tcp/8086 --to 100.64.2.10:80 --public >/dev/null
out=$(nokey ctl siteb service del web6)
echo "$out" | contains "^removed web6$" || fail "the keyless delete: $out"
echo "$out" | contains "grant of web6 stays" || fail "the keyless delete does not say the grant stays: $out"
say "a delete without an operator key: $(echo "$out" | tr '\n' ';')"
# (once the delete has reached cloud)
wait_until 50 0.1 'ctl cloud service list --json | jq -e '"'"'.grants[] | select(.name == "web6") | .grant.public'"'"' >/dev/null' ||
    fail "service list --json does not list web6's grant: $(ctl cloud service list --json | jq -c .grants)"
ctl cloud service list | contains "^web6 tcp/8086, public: granted, no backend serves it" ||
    fail "service list does not show web6's grant: $(ctl cloud service list)"
# an add that would inherit it: refused without a key, naming the grant
expect_fail "a private add under a public grant, no key" "web6 tcp/8086, public, owners siteb" \
    nokey ctl siteb service add web6 tcp/8086 --to 100.64.2.10:80
expect_fail "... its --dry-run" "needs an operator's signature" \
    nokey ctl siteb service add web6 tcp/8086 --to 100.64.2.10:80 --dry-run
out=$(nokey ctl siteb service add web6 tcp/8086 --to 100.64.2.10:80 --dry-run 2>/dev/null) || true
echo "$out" | contains "^would grant web6 tcp/8086, private, owners siteb (was: web6 tcp/8086, public, owners siteb)$" ||
    fail "the keyless --dry-run does not name the grant it would replace: $out"
out=$(ctl siteb service add web6 tcp/8086 --to 100.64.2.10:80 --dry-run)
echo "$out" | contains "^would grant web6 tcp/8086, private, owners siteb (was: web6 tcp/8086, public, owners siteb)$" ||
    fail "--dry-run with a key: $out"
echo "$out" | contains "^access: private, from the grant above: web6 tcp/8086, private, owners siteb$" ||
    fail "--dry-run with a key, the access: $out"
say "--dry-run under the leftover grant: $(echo "$out" | tr '\n' ';')"
# the other nodes: grant and revoke-grant work on a name no backend serves
out=$(ctl cloud service grant web6 sitea)
echo "$out" | contains "^granted web6 tcp/8086, public, owners siteb sitea$" || fail "grant of web6: $out"
ida=$(ctl sitea status --json | jq -r .node.id)
wait_until 50 0.1 'ctl sitea service list --json | jq -e --arg a "$ida" '"'"'.grants[] | select(.name == "web6") | .granted | index($a)'"'"' >/dev/null' ||
    fail "the grant of web6 to sitea did not reach sitea"
expect_fail "sitea's private add under the public grant, no key" "public" \
    nokey ctl sitea service add web6 tcp/8086 --to 100.64.1.10:80
out=$(ctl cloud service revoke-grant web6 siteb)
echo "$out" | contains "^granted web6 tcp/8086, public, owners sitea$" || fail "revoke-grant web6 siteb: $out"
out=$(ctl cloud service revoke-grant web6 sitea)
echo "$out" | contains "^withdrew the grant of web6" || fail "revoke-grant web6 sitea: $out"
wait_until 50 0.1 '[ "$(last_grant sitea web6)" = withdrawn ]' || fail "sitea: web6's grant is $(last_grant sitea web6)"
say "grant and revoke-grant of web6, which no backend serves: the grant is withdrawn"
nokey ctl sitea service add web6 tcp/8086 --to 100.64.1.10:80 >/dev/null ||
    fail "web6 cannot be added again once its grant is withdrawn"
wait_until 100 0.05 'programmed cloud web6' || fail "web6 (sitea's) not programmed on cloud"
[ -z "$(http inet http://198.51.100.2:8086/ 2)" ] || fail "web6 (sitea's, private) answered the internet"
say "web6 added on sitea without a key: private, the internet gets no answer"
