# t-help.sh: what rpn and rpnctl say of their commands ("--help") and what
# their manual pages say (SYNOPSIS, and every option named anywhere) agree:
# each command and subcommand takes the same options in both, every option
# the help names is in the page, every option the page names is in the
# help (or in the other program's: rpnctl.8 may speak of rpn join's
# --advertise), and no usage line ends in a space.
# Needs no namespaces.  Fails on the code before: rpnctl's help had no
# --json for service add and del, nor --socket; rpn.8's SYNOPSIS had no
# --timeout for join; "rpn leave --help" printed "usage: rpn leave ".
. "$(dirname "$0")/lib.sh"

docs=$(cd "$(dirname "$0")/../../docs" && pwd)
command -v man >/dev/null || skip "no man(1) to format the manual pages"
manpage() { MANWIDTH=1000 man -l "$docs/$1.8" 2>/dev/null | col -b; }

# help_forms PROG: "COMMAND [SUB]: --opt --opt" for each form its help gives
help_forms() {
	local p=$1 c
	for c in $("$RPN_BUILD/$p" --help | sed -n 's/^  \([a-z][a-z-]*\)\( .*\)\{0,1\}$/\1/p'); do
		# the usage: from "usage: PROG COMMAND" to the first blank line
		"$RPN_BUILD/$p" "$c" --help | awk -v c="$c" -v p="$p" '
		    NR == 1 { sub("^usage: " p " " c " ?", ""); u = $0; next }
		    /^$/ { exit }
		    { u = u " " $0 }
		    END {
			if ((n = split(u, alt, / \| /)) == 0)
				print c ":"
			for (i = 1; i <= n; i++) {
				split(alt[i], w, " ")
				key = c
				# a subcommand is a lower-case word (arguments are NAME)
				if (w[1] ~ /^[a-z][a-z|-]*$/) { s = w[1]; sub(/\|.*/, "", s); key = c " " s }
				opts = ""
				m = alt[i]
				while (match(m, /--[a-z][a-z-]*/)) {
					opts = opts " " substr(m, RSTART, RLENGTH)
					m = substr(m, RSTART + RLENGTH)
				}
				print key ":" opts
			}
		    }'
	done
}

# man_forms PROG KEYS: the same from the manual's SYNOPSIS; a second word
# is a subcommand when the help has that form
man_forms() {
	manpage "$1" | awk -v p="$1" -v keys="$2" '
	    BEGIN { n = split(keys, k, "\n"); for (i = 1; i <= n; i++) known[k[i]] = 1 }
	    /^SYNOPSIS/ { on = 1; next }
	    /^[A-Z]/ { on = 0 }
	    on && $1 == p {
		sub("^ *" p " ", ""); sub(/^\[-s socket\] /, "")
		if ($0 ~ /^[-[]/) next	# -h, -V
		key = $1
		if (($1 " " $2) in known) key = $1 " " $2
		opts = ""
		m = $0
		while (match(m, /--[a-z][a-z-]*/)) {
			opts = opts " " substr(m, RSTART, RLENGTH)
			m = substr(m, RSTART + RLENGTH)
		}
		print key ":" opts
	    }'
}

# sorted "KEY: opts" lines, options sorted and unique within each
norm() {
	local key opts
	while IFS=: read -r key opts; do
		echo "$key:$(printf ' %s\n' $opts | sort -u | tr -d '\n')"
	done | sort
}

# every option PROG's help names, the commands' included
help_opts() {
	local c
	{ "$RPN_BUILD/$1" --help
	  for c in $("$RPN_BUILD/$1" --help | sed -n 's/^  \([a-z][a-z-]*\)\( .*\)\{0,1\}$/\1/p'); do
		"$RPN_BUILD/$1" "$c" --help
	  done; } | grep -o -- '--[a-z][a-z-]*' | sort -u
}
help_opts rpn > "$W/hopts-rpn"
help_opts rpnctl > "$W/hopts-rpnctl"

for p in rpn rpnctl; do
	other=$([ "$p" = rpn ] && echo rpnctl || echo rpn)
	help_forms "$p" | norm > "$W/help-$p"
	[ -s "$W/help-$p" ] || fail "$p: no commands read from --help"
	man_forms "$p" "$(cut -d: -f1 "$W/help-$p")" | norm > "$W/man-$p"
	[ -s "$W/man-$p" ] || fail "$p: no SYNOPSIS read from $p.8"
	if ! diff -u "$W/man-$p" "$W/help-$p" > "$W/diff-$p"; then
		sed 's/^/    /' "$W/diff-$p"
		fail "$p: --help and $p.8's SYNOPSIS differ (- man, + help)"
	fi
	say "$p: $(wc -l < "$W/help-$p") forms, the same options in --help and $p.8's SYNOPSIS"
	# every option the help names anywhere, the page names; and back
	manpage "$p" | grep -o -- '--[a-z][a-z-]*' | sort -u > "$W/mopts-$p"
	only_help=$(comm -23 "$W/hopts-$p" "$W/mopts-$p" | tr '\n' ' ')
	only_man=$(comm -13 <(sort -u "$W/hopts-$p" "$W/hopts-$other") "$W/mopts-$p" |
	    tr '\n' ' ')
	[ -z "$only_help$only_man" ] ||
	    fail "$p: options only in --help: ${only_help:-none}; only in $p.8: ${only_man:-none}"
	# no usage line ends in a space
	for c in $(cut -d: -f1 "$W/help-$p" | cut -d' ' -f1 | sort -u); do
		u=$("$RPN_BUILD/$p" "$c" --help)
		case "${u%%$'\n'*}" in
		*' ') fail "$p $c --help: the usage line ends in a space" ;;
		esac
	done
	"$RPN_BUILD/$p" --help | grep -n ' $' && fail "$p --help: a line ends in a space"
	say "$p: every option in --help is in $p.8 and back; no line ends in a space"
done
