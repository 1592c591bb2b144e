# nftnorm.awk: what is structural in an `nft list table` listing, one item
# a line, so that two listings compare with diff: the table, its sets and
# maps with their types and flags, its chains with hook, priority and
# policy, and every rule's text.  Dropped: element lists (keys, addresses
# and marks depend on the services and the interfaces), counters' values,
# handles and comments ("# ..."; docs/dataplane.md annotates its listing),
# indentation and blank lines.
{
	sub(/[ \t]*#.*/, "")
	gsub(/[ \t]+/, " ")
	sub(/^ /, "")
	sub(/ $/, "")
	gsub(/counter packets [0-9]+ bytes [0-9]+/, "counter")
}
skip && /}/ {
	skip = 0
	next
}
skip {
	next
}
/^elements = {/ {
	skip = !/}/
	next
}
/./ {
	print
}
