#!/bin/sh
# mkuser.sh [USER]: create the system user rpnd's engine runs as (_rpn), if missing.
#
# rpnd refuses to start without it: the engine must not share a uid with any
# other software (nobody included), or that software could read its keys.
# The entry is deploy/sysusers-rpn.conf; systemd-sysusers applies it where it
# exists, useradd makes the same user elsewhere.
set -eu
user=${1:-_rpn}
getent passwd "$user" >/dev/null && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "mkuser.sh: there is no user $user; run this as root to create it" >&2
	exit 1
fi
here=$(cd "$(dirname "$0")" && pwd)
if [ "$user" = _rpn ] && command -v systemd-sysusers >/dev/null 2>&1; then
	systemd-sysusers "$here/sysusers-rpn.conf"
else
	useradd --system --user-group --no-create-home --home-dir /var/lib/rpn \
	    --shell /usr/sbin/nologin --comment "rpn agent engine" "$user"
fi
if ! getent passwd "$user" >/dev/null; then
	echo "mkuser.sh: could not create the user $user" >&2
	exit 1
fi
echo "created the system user $user (for rpnd's engine)"
