# t-statedir.sh: the root parent never hands the engine a file the engine did
# not make.  An engine taken over can leave a hard link (or a symlink) to
# any of root's files under a name the parent used to chown at start; the
# file keeps its owner and rpnd refuses to start.  (The links are made here
# as root, which fs.protected_hardlinks allows; the sysctl is not touched.)
. "$(dirname "$0")/lib.sh"

hub
node n1 198.51.100.1
start n1
rpn n1 init --name n1 >/dev/null
id=$(ctl n1 status --json | jq -r .node.id)
stop n1
st="$W/n1/state"
[ "$(stat -c %U "$st/node.key")" = _rpn ] || fail "node.key is not _rpn's"

# rpnd_once: one start that must be refused (timeout: one that is not must
# not hang the test).
rpnd_once() {
	nsx n1 timeout 10 "$RPN_BUILD/rpnd" -d -s "$(sock n1)" -S "$st"
}

printf 'root secret\n' > "$W/secret"
chmod 600 "$W/secret"
for f in node.key state; do
	mv "$st/$f" "$st/$f.saved"
	ln "$W/secret" "$st/$f"
	rc=0
	out=$(rpnd_once 2>&1) || rc=$?
	[ "$(stat -c %u:%g "$W/secret")" = 0:0 ] ||
	    fail "root's file changed owner to $(stat -c %U:%G "$W/secret") through $f"
	[ $rc -ne 0 ] || fail "rpnd started with a hard link as $f"
	echo "$out" | grep "$f is a file with several hard links, owned by uid 0" >/dev/null ||
	    fail "a hard link as $f: rpnd said \"$out\""
	say "a hard link to root's file as $f: kept its owner; rpnd refused (exit $rc): ${out#*rpnd: }"
	rm "$st/$f"
	mv "$st/$f.saved" "$st/$f"
done

# A symlink under such a name is refused too (the old code lchown'ed the
# link itself, which was harmless but hid the tampering).
mv "$st/root.key" "$st/root.key.saved"
ln -s "$W/secret" "$st/root.key"
expect_fail "a symlink as root.key" "root.key is not a regular file" rpnd_once
[ "$(stat -c %u:%g "$W/secret")" = 0:0 ] || fail "root's file changed owner through a symlink"
rm "$st/root.key"
mv "$st/root.key.saved" "$st/root.key"

# A file of the engine's with one link does change hands: the engine's user
# may have a new uid since the file was made.
chown 12345:12345 "$st/node.key"
start n1
[ "$(stat -c %U "$st/node.key")" = _rpn ] || fail "node.key of an old uid was not handed over"
wait_until 50 0.1 '[ "$(ctl n1 status --json | jq -r .node.id)" = "$id" ]' ||
    fail "rpnd did not come back with its old identity"
say "a file of the engine's old uid is handed to _rpn; rpnd runs"
