/*
 * priv.c: the parent's end of the channel to the engine: framed messages
 * over a SOCK_SEQPACKET pair, and the dispatcher.  Every request from the
 * engine is checked for its type, its exact size and the bounds of every
 * field before anything is done with it; a request that fails a check ends
 * the engine (the caller stops it), since an honest engine never sends one.
 * Also: the engine's user.
 */
#include <errno.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "proto/compat.h"
#include "node/core/log.h"
#include "node/parent/parent.h"
#include "node/core/privsep.h"

int
priv_send(int fd, uint16_t type, const void *p, size_t len)
{
	struct priv_hdr	 h = { type, 0, (uint32_t)len };
	struct iovec	 iov[2] = { { &h, sizeof(h) }, { (void *)p, len } };
	struct msghdr	 msg;

	if (len > PRIV_MAX)
		return -1;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = iov;
	msg.msg_iovlen = len ? 2 : 1;
	for (;;) {
		struct pollfd	 pfd = { fd, POLLOUT, 0 };

		if (sendmsg(fd, &msg, MSG_NOSIGNAL) >= 0)
			return 0;
		if (errno == EINTR)
			continue;
		/* The engine reads as it can; a full socket waits a while. */
		if (errno != EAGAIN || poll(&pfd, 1, 10000) <= 0)
			return -1;
	}
}

/*
 * priv_recv - one whole message.  Returns its size with the header (the
 * payload length is h->len), 0 at EOF, and -1 on error or a message whose
 * header does not match its size.
 */
ssize_t
priv_recv(int fd, struct priv_hdr *h, void *p, size_t cap)
{
	struct iovec	 iov[2] = { { h, sizeof(*h) }, { p, cap } };
	struct msghdr	 msg;
	ssize_t		 n;

	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = iov;
	msg.msg_iovlen = 2;
	do
		n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
	while (n == -1 && errno == EINTR);
	if (n <= 0)
		return n;
	if (!priv_frame_ok(h, (size_t)n, (msg.msg_flags & MSG_TRUNC) != 0)) {
		errno = EBADMSG;
		return -1;
	}
	return n;
}

/*
 * priv_lookup_user - the engine's user.  It must exist and be its own: not
 * root (uid or gid 0), and not nobody, whose uid other software shares, so
 * that nothing else on the host runs with the engine's rights over its keys.
 * There is no fallback: a missing user is an error that says how to make it.
 */
int
priv_lookup_user(const char *want, uid_t *uid, gid_t *gid, char *err,
    size_t errlen)
{
	struct passwd	*pw;

	errno = 0;
	if ((pw = getpwnam(want)) == NULL) {
		if (errno != 0 && errno != ENOENT && errno != ESRCH) {
			snprintf(err, errlen, "user %s: %s", want,
			    strerror(errno));
			return -1;
		}
		snprintf(err, errlen, "user %s does not exist; the engine runs "
		    "only as its own user.  Create it with: useradd --system "
		    "--user-group --no-create-home --home-dir /var/lib/rpn "
		    "--shell /usr/sbin/nologin %s%s", want, want,
		    strcmp(want, "_rpn") == 0 ? "  (or: systemd-sysusers "
		    "rpn.conf, or deploy/mkuser.sh)" : "");
		return -1;
	}
	if (pw->pw_uid == 0 || pw->pw_gid == 0) {
		snprintf(err, errlen, "user %s has %s 0: the engine must not run "
		    "as root; name an unprivileged user of its own", want,
		    pw->pw_uid == 0 ? "uid" : "gid");
		return -1;
	}
	if (strcmp(pw->pw_name, "nobody") == 0 || pw->pw_uid == 65534) {
		snprintf(err, errlen, "user %s (uid %u) is shared with other "
		    "software; the engine needs a user of its own, such as _rpn",
		    want, (unsigned)pw->pw_uid);
		return -1;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

int
priv_dispatch(struct parent *p, const struct priv_hdr *h, const void *payload)
{
	switch (h->type) {
	case PRIV_READY:
		if (h->len != 0)
			break;
		log_debug("engine ready");
		return 0;
	case PRIV_DP_BEGIN: {
		const struct dp_begin	*b = payload;

		if (h->len != sizeof(*b) || p->in_txn || b->full > 1)
			break;
		/* The engine is in a mesh: rpn's routes and sysctls are wanted. */
		host_activate(p);
		p->in_txn = 1;
		p->txn_full = b->full;
		p->txn_began = dp_mono_usec();
		p->nflush = 0;
		dp_ops_reset(&p->ops);
		if (b->full)
			dp_mirror_clear(&p->mirror);
		return 0;
	}
	case PRIV_DP_SVC: {
		/* one or more packed requests, one after the other */
		const uint8_t	*q = payload;
		size_t		 left = h->len;
		struct dp_svc	 s;

		if (!p->in_txn || left == 0 || left > DP_SVC_BATCH)
			break;
		while (left > 0) {
			if (dp_svc_unpack_next(&q, &left, &s) == -1)
				goto bad;
			if (dp_plan_svc(&p->mirror, &s, &p->ops, p->flush,
			    &p->nflush, MAX_FLUSH) == -1)
				fatalx("out of memory planning the data plane");
		}
		return 0;
	}
	case PRIV_DP_MEMBER:
	case PRIV_DP_LAN: {
		struct dp_addr	 a;

		if (!p->in_txn || dp_addr_unpack(payload, h->len,
		    h->type == PRIV_DP_LAN, &a) == -1)
			break;
		if (dp_plan_addr(&p->mirror, h->type == PRIV_DP_LAN, &a,
		    &p->ops) == -1)
			fatalx("out of memory planning the data plane");
		return 0;
	}
	case PRIV_TEARDOWN:
		if (h->len != 0 || p->in_txn)
			break;
		host_teardown(p);
		return 0;
	case PRIV_DP_COMMIT: {
		const struct dp_commit	*c = payload;

		if (h->len != sizeof(*c) || !p->in_txn)
			break;
		p->in_txn = 0;
		return dp_commit(p, c);
	}
	default:
		break;
	}
bad:
	log_warnx("engine sent a malformed request (type %u, %u bytes)",
	    h->type, h->len);
	return -1;
}

