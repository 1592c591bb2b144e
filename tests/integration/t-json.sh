# t-json.sh: the --json contract.  Every command docs/json.md documents is
# run on a small mesh with a service that has two backends, and the key
# paths of its real output are compared with those of the doc's example:
# every documented field is there, and every field there is documented.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

DOC=$(cd "$(dirname "$0")/../.." && pwd)/docs/json.md
mkdir -p "$W/doc" "$W/out"

# keypaths FILE: the object's key paths, one a line, array indices as "[]"
# ("members.[].addrs"); the elements of arrays are not paths of their own.
keypaths() {
	jq -r '[paths | map(if type == "number" then "[]" else . end) | join(".")]
	    | map(select(endswith("[]") | not)) | unique[]' "$1"
}

# The doc's examples: the first ```json block under each "## " heading,
# one file each; $W/doc/index has "HEADING<TAB>FILE" lines.
awk -v dir="$W/doc" '
	/^## / { head = $0; n++; taken = 0; next }
	/^```json$/ && head != "" && !taken {
		f = dir "/" n ".json"; print head "\t" f > (dir "/index")
		inblk = 1; taken = 1; next
	}
	/^```$/ && inblk { inblk = 0; close(f); next }
	inblk { print > f }
' "$DOC"
[ -s "$W/doc/index" ] || fail "no \`\`\`json examples found in docs/json.md"

# The mesh: cloud founds it, sitea and siteb join (uplinks and LANs as in
# topo.sh, so status has something to say of each); web has a backend on
# siteb and one on sitea.
topo_build
for n in cloud sitea siteb; do
	mkdir -p "$W/$n"
	start "$n" $(topo_args "$n")
done
# Each command this test runs with --json, and where its output goes.
declare -A OUT=(
	["rpn init --json"]="$W/out/init.json"
	["rpn join --json"]="$W/out/join.json"
	["rpnctl invite --json"]="$W/out/invite.json"
	["rpnctl service add --json"]="$W/out/add.json"
	["rpnctl service del --json"]="$W/out/del.json"
	["rpnctl service add --dry-run --json"]="$W/out/dryrun.json"
	["rpnctl status --json"]="$W/out/status.json"
	["rpnctl service list --json"]="$W/out/list.json"
	["rpnctl service show NAME --json"]="$W/out/show.json"
	["rpnctl operator list --json"]="$W/out/operators.json"
	["rpnctl audit --json"]="$W/out/audit.json"
	["rpnctl web enroll --json"]="$W/out/enroll.json"
)

rpn cloud init --name cloud --json > "$W/out/init.json"
ctl cloud invite --json > "$W/out/invite.json"
tok=$(jq -r .token "$W/out/invite.json")
rpn sitea join 198.51.100.2 --token "$tok" --name sitea --json \
    > "$W/out/join.json"
rpn siteb join 198.51.100.2 --token "$(ctl cloud invite)" --name siteb >/dev/null
for n in cloud sitea siteb; do
	wait_until 100 0.1 '[ "$(count_alive '"$n"')" -eq 3 ]' ||
	    fail "$n does not see the three nodes"
done

ctl siteb service add web tcp/8080 --to 100.64.2.10:80 \
    --allow 203.0.113.0/24 --json > "$W/out/add.json"
# a second owner, granted by the operator's key as it adds: from what
# sitea sees, so web must have reached it
wait_until 50 0.1 'ctl sitea service show web >/dev/null 2>&1' || fail "web did not reach sitea"
ctl sitea service add web tcp/8080 --to 100.64.1.10:80 --dry-run --json \
    > "$W/out/dryrun.json"
ctl sitea service add web tcp/8080 --to 100.64.1.10:80 >/dev/null
ctl sitea service add spare tcp/8090 --to 100.64.1.10:90 >/dev/null
wait_until 100 0.1 'ctl sitea service show spare >/dev/null 2>&1' ||
    fail "spare was not added"
ctl sitea service del spare --json > "$W/out/del.json"
# a grant that no backend serves (a delete without an operator key leaves
# it): service list's "grants"
ctl sitea service add lone tcp/8092 --to 100.64.1.10:92 --public >/dev/null
RPN_OPERATOR_KEY="$W/none" ctl sitea service del lone >/dev/null
wait_until 50 0.1 '[ "$(ctl sitea service list --json | jq -c "[.grants[].name]")" = "[\"lone\"]" ]' ||
    fail "service list --json does not list lone's grant: $(ctl sitea service list --json | jq -c .grants)"
wait_until 100 0.1 '[ "$(ctl sitea service show web --json 2>/dev/null |
    jq ".service.backends | length")" = 2 ] && programmed sitea web' ||
    fail "sitea does not show web with both backends, programmed"

ctl sitea status --json > "$W/out/status.json" ||
    fail "rpnctl status on sitea: exit $?"
ctl sitea service list --json > "$W/out/list.json"
ctl sitea service show web --json > "$W/out/show.json"
ctl sitea operator list --json > "$W/out/operators.json"
ctl sitea audit --json > "$W/out/audit.json"
# no browser comes: the URL is printed at once, then it gives up (exit 1)
ctl sitea web enroll phone --timeout 1s --json > "$W/out/enroll.json" 2>/dev/null &&
    fail "rpnctl web enroll succeeded without a browser"
say "ran ${#OUT[@]} commands with --json on a three-node mesh"

# Compare each documented command's example with what it printed.
bad=0 seen=()
while IFS=$'\t' read -r head file; do
	jq -e . "$file" >/dev/null 2>&1 ||
	    { echo "  docs/json.md: the example under \"$head\" is not valid JSON"; bad=1; continue; }
	cmds=$(echo "$head" | grep -o '`[^`]*`' | tr -d '`')
	[ -n "$cmds" ] || continue
	while read -r cmd; do
		seen+=("$cmd")
		if [ -z "${OUT[$cmd]:-}" ]; then
			echo "  $cmd: documented, but this test does not run it"
			bad=1
			continue
		fi
		jq -e . "${OUT[$cmd]}" >/dev/null 2>&1 ||
		    { echo "  $cmd: printed no JSON object"; bad=1; continue; }
		missing=$(comm -23 <(keypaths "$file") <(keypaths "${OUT[$cmd]}"))
		extra=$(comm -13 <(keypaths "$file") <(keypaths "${OUT[$cmd]}"))
		if [ -n "$missing" ] || [ -n "$extra" ]; then
			echo "  $cmd: its output and docs/json.md differ:"
			[ -z "$missing" ] || echo "$missing" | sed 's/^/    documented, not printed: /'
			[ -z "$extra" ] || echo "$extra" | sed 's/^/    printed, not documented: /'
			bad=1
		else
			say "$cmd: the $(keypaths "$file" | wc -l) documented key paths, no more, no fewer"
		fi
	done <<< "$cmds"
done < "$W/doc/index"
# (A loop, not printf | grep -q: under pipefail, grep quitting at the
# first match can fail printf with SIGPIPE, and the pipeline with it.)
for cmd in "${!OUT[@]}"; do
	found=0
	for s in "${seen[@]}"; do [ "$s" = "$cmd" ] && found=1; done
	[ $found -eq 1 ] ||
	    { echo "  $cmd: run here, but not documented in docs/json.md"; bad=1; }
done
[ "$bad" -eq 0 ] || fail "the --json output and docs/json.md differ (above)"

# Who is who, in the doc's examples as in the output: the mesh root key is
# "(mesh root)" (operator list's "by", audit's "found" and first
# enrolment); a join's actor is the member that admitted the node (cloud,
# which made both tokens) and its detail the node's id.  (The doc said
# "root", and a join's detail was said to name the admitting member.)
docfile() { awk -F'\t' -v h="$1" '$1 == h { print $2 }' "$W/doc/index"; }
docops=$(docfile '## `rpnctl operator list --json`')
docaudit=$(docfile '## `rpnctl audit --json`')
for f in "$docops" "$W/out/operators.json"; do
	jq -e '.operators[0].by == "(mesh root)"' "$f" >/dev/null ||
	    fail "$f: the first operator is not enrolled by \"(mesh root)\""
done
for f in "$docaudit" "$W/out/audit.json"; do
	jq -e '[.events[] | select(.event == "found" or .event == "operator-enrol")][0:2]
	    | map(.actor) == ["(mesh root)", "(mesh root)"]' "$f" >/dev/null ||
	    fail "$f: found and the first enrolment are not by \"(mesh root)\""
	jq -e 'any(.events[]; .event == "join")' "$f" >/dev/null || fail "$f: no join"
done
sitea_id=$(jq -r '.members[] | select(.name == "sitea") | .id' "$W/out/status.json")
jq -e --arg id "$sitea_id" '.events[] | select(.event == "join" and .subject == "sitea")
    | .actor == "cloud" and .detail == $id' "$W/out/audit.json" >/dev/null ||
    fail "sitea's join: not by cloud with sitea's id as its detail: $(jq -c '.events[] | select(.event == "join")' "$W/out/audit.json")"
say "the mesh root is \"(mesh root)\" in the doc and the output; a join is by its admitter, with the node's id"
