# t-upgrade.sh: a mesh made by the previous version (before operators)
# keeps working after the upgrade, ungoverned, until "rpn operator adopt"
# on the founding node enrols the first operator: public services stay
# public (adopt signs grants for them), and from then on policy holds.
. "$(dirname "$0")/lib.sh"

OLD=ecf9c80	# the last version without operators
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
git -C "$ROOT" cat-file -e "$OLD^{commit}" 2>/dev/null ||
    skip "this checkout has no git history with $OLD to build the previous version from"
mkdir -p "$W/old"
git -C "$ROOT" archive "$OLD" | tar -x -C "$W/old"
make -C "$W/old" -j2 >"$W/old-build.log" 2>&1 || fail "the previous version does not build"
say "built the previous version ($OLD)"

hub
for i in 1 2 3; do node "n$i" "198.51.100.$i"; done
NEW=$RPN_BUILD
RPN_BUILD="$W/old/build"
for i in 1 2 3; do RPN_WEB_ROOT= start "n$i"; done
mesh n1 n2 n3
wait_until 100 0.1 '[ "$(count_alive n1)" -eq 3 ]' || fail "the old mesh did not form"
ctl n2 service add web tcp/8080 --to 100.64.2.10:80 --public >/dev/null
ctl n3 service add db tcp/5432 --to 100.64.3.10:5432 >/dev/null
wait_until 50 0.1 'ctl n1 service show web >/dev/null 2>&1 && ctl n1 service show db >/dev/null 2>&1' ||
    fail "the old mesh did not spread its services"
say "the previous version: a mesh of three, web public on n2, db private on n3"

for i in 1 2 3; do stop "n$i"; done
RPN_BUILD=$NEW
for i in 1 2 3; do start "n$i"; done
wait_until 150 0.1 '[ "$(count_alive n1)" -eq 3 ] && [ "$(count_alive n3)" -eq 3 ]' ||
    fail "the mesh did not come back after the upgrade"
for n in n1 n2 n3; do
	[ "$(ctl $n status --json | jq -r .governed)" = false ] || fail "$n is governed before adopt"
	[ "$(ctl $n service show web --json | jq -r .service.public)" = true ] ||
	    fail "$n: web is not public after the upgrade"
done
say "upgraded in place: the same mesh, ungoverned, web still public"
# The old state files had no MAC: each record was verified on the way in.
for n in n1 n2 n3; do
	grep "the state file has no MAC" "$W/$n/log" >/dev/null ||
	    fail "$n: the old state file was not said to be verified record by record"
done
say "the old state files (no MAC) were verified record by record"

out=$(rpn n1 operator adopt --name admin)
say "rpn operator adopt: $(echo "$out" | tr '\n' ' ')"
for n in n1 n2 n3; do
	wait_until 50 0.1 '[ "$(ctl $n status --json | jq -r .governed)" = true ]' ||
	    fail "$n is not governed after adopt"
	wait_until 50 0.1 '[ "$(ctl $n service show web --json | jq -r .service.public)" = true ]' ||
	    fail "$n: web is not public after adopt"
	[ "$(ctl $n service show db --json | jq -r .service.public)" = false ] ||
	    fail "$n: db became public"
done
[ "$(ctl n2 operator list --json | jq '.operators | length')" -eq 1 ] ||
    fail "adopt did not enrol one operator"
expect_fail "a second owner without a grant, after adopt" "grant" \
    env RPN_OPERATOR_KEY="$W/none" "$RPN_BUILD/rpnctl" -s "$(sock n3)" \
    service add web tcp/8080 --to 100.64.3.10:80
say "after adopt: governed everywhere, web public by the operator's grant, db private"
