# t-dp-table.sh: the listing of table inet rpn in docs/dataplane.md ("2. The
# ruleset") is what rpnd programs.  The demo's topology (a cloud node with
# two uplinks found by rpnd, two sites with LANs) with three services, one
# of them with two owners; then `nft list table inet rpn` on the cloud node
# and the doc's listing, both through nftnorm.awk, must not differ.  Set
# RPN_DP_TABLE_OUT=FILE to keep the listing, to paste into the doc.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

doc=$(dirname "$0")/../../docs/dataplane.md
norm=$(dirname "$0")/nftnorm.awk

# doc_listing: the first ``` block after the "## 2. The ruleset" heading.
doc_listing() {
	awk '/^## 2\. The ruleset/ { sec = 1; next }
	    sec && /^## / { exit }
	    sec && /^```/ { if (in_block) exit; in_block = 1; next }
	    in_block { print }' "$doc"
}

doc_listing | awk -f "$norm" > "$W/doc.txt"
[ -s "$W/doc.txt" ] || fail "no listing in section 2 of $doc"

topo_build
topo_cloud_dhcp
topo_servers
topo_start auto
ctl siteb service add web tcp/8080 --to 100.64.2.10:80 --public >/dev/null
wait_for 50 0.1 has_service sitea web || fail "web did not reach sitea"
ctl sitea service add web tcp/8080 --to 100.64.1.10:80 --public >/dev/null
ctl siteb service add upload tcp/7000 --to 100.64.2.10:7 --public >/dev/null
ctl siteb service add intranet tcp/8081 --to 100.64.2.10:81 \
    --allow 203.0.113.10/32 >/dev/null
# The skeleton's shape depends on the uplinks: wait for both, then for
# the services (web with both owners).
wait_until 100 0.1 'nsx cloud nft list chain inet rpn restore_2 >/dev/null 2>&1' ||
    fail "cloud's table has no chain for its second uplink"
wait_until 100 0.1 'programmed cloud web && programmed cloud upload &&
    programmed cloud intranet' || fail "the services are not programmed on cloud"
wait_until 100 0.1 '[ "$(ctl cloud status --json | jq "[.services[] |
    select(.name == \"web\") | .forwarding.to[]] | length")" -eq 2 ]' ||
    fail "web does not have two owners on cloud"

nsx cloud nft list table inet rpn > "$W/table.txt"
[ -z "${RPN_DP_TABLE_OUT:-}" ] || cp "$W/table.txt" "$RPN_DP_TABLE_OUT"
awk -f "$norm" "$W/table.txt" > "$W/kernel.txt"
if ! diff -u --label docs/dataplane.md --label "nft list table inet rpn" \
    "$W/doc.txt" "$W/kernel.txt" > "$W/diff.txt"; then
	sed 's/^/  /' "$W/diff.txt"
	fail "docs/dataplane.md's listing differs from the kernel's table"
fi
say "docs/dataplane.md section 2: $(wc -l < "$W/kernel.txt") structural lines, as the kernel lists them"
