/*
 * ct.c: after a UDP backend is removed, its conntrack entries would keep
 * sending a client's datagrams to the old backend until they time out
 * (kube-proxy #139628).  Dump the connections rpn translated (ct mark) and
 * delete those whose reply comes from a removed backend.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "node/core/array.h"
#include "node/parent/ct.h"
#include "node/parent/nl.h"

struct ct_ctx {
	const struct dp_flush	*f;
	uint32_t		 nf;
	char			*dels;		/* ORIG tuples to delete */
	uint32_t		 len;
	uint32_t		 cap;
};

static int
parse_cb(const struct nlattr *a, void *data)
{
	const struct nlattr	**tb = data;
	int			 t = mnl_attr_get_type(a);

	if (t < 32)
		tb[t] = a;
	return MNL_CB_OK;
}

/* Fill *proto, *addr (src or dst) and *port from a CTA_TUPLE_* nest. */
static int
tuple(const struct nlattr *nest, int want_src, uint8_t *proto, uint32_t *addr,
    uint16_t *port)
{
	const struct nlattr	*t[32] = { NULL }, *ip[32] = { NULL },
				*pr[32] = { NULL };

	mnl_attr_parse_nested(nest, parse_cb, t);
	if (t[CTA_TUPLE_IP] == NULL || t[CTA_TUPLE_PROTO] == NULL)
		return -1;
	mnl_attr_parse_nested(t[CTA_TUPLE_IP], parse_cb, ip);
	mnl_attr_parse_nested(t[CTA_TUPLE_PROTO], parse_cb, pr);
	if (pr[CTA_PROTO_NUM] == NULL)
		return -1;
	*proto = mnl_attr_get_u8(pr[CTA_PROTO_NUM]);
	if (want_src) {
		if (ip[CTA_IP_V4_SRC] == NULL || pr[CTA_PROTO_SRC_PORT] == NULL)
			return -1;
		*addr = mnl_attr_get_u32(ip[CTA_IP_V4_SRC]);
		*port = ntohs(mnl_attr_get_u16(pr[CTA_PROTO_SRC_PORT]));
	} else {
		if (pr[CTA_PROTO_DST_PORT] == NULL)
			return -1;
		*addr = 0;
		*port = ntohs(mnl_attr_get_u16(pr[CTA_PROTO_DST_PORT]));
	}
	return 0;
}

static int
dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ct_ctx		*c = data;
	const struct nlattr	*tb[32] = { NULL };
	uint8_t			 op, rp;
	uint32_t		 oa, ra;
	uint16_t		 oport, rport;

	mnl_attr_parse(nlh, sizeof(struct nfgenmsg), parse_cb, tb);
	if (tb[CTA_TUPLE_ORIG] == NULL || tb[CTA_TUPLE_REPLY] == NULL ||
	    tuple(tb[CTA_TUPLE_ORIG], 0, &op, &oa, &oport) == -1 ||
	    tuple(tb[CTA_TUPLE_REPLY], 1, &rp, &ra, &rport) == -1)
		return MNL_CB_OK;
	for (uint32_t i = 0; i < c->nf; i++) {
		const struct dp_flush	*f = &c->f[i];
		uint16_t		 len;

		if (op != f->proto || oport != f->port ||
		    ra != f->backend_addr || rport != f->backend_port)
			continue;
		len = tb[CTA_TUPLE_ORIG]->nla_len;
		if (array_reserve(&c->dels, &c->cap, c->len + len + 4, 1) == -1)
			return MNL_CB_ERROR;
		memcpy(c->dels + c->len, tb[CTA_TUPLE_ORIG], len);
		c->len += MNL_ALIGN(len);
		break;
	}
	return MNL_CB_OK;
}

/* ct_flush - the number of entries deleted, or -1 with errno set. */
int
ct_flush(const struct dp_flush *f, uint32_t n, uint32_t markbit)
{
	struct nl	 nl;
	char		 buf[NL_BUF_SIZE];
	struct nlmsghdr	*nlh;
	struct nfgenmsg	*g;
	struct ct_ctx	 c = { f, n, NULL, 0, 0 };
	int		 rc, deleted = 0, saved;

	if (n == 0)
		return 0;
	if (nl_open(&nl, NETLINK_NETFILTER) == -1)
		return -1;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = AF_INET;
	g->version = NFNETLINK_V0;
	/* Only what rpn translated: the kernel filters the dump by mark. */
	mnl_attr_put_u32(nlh, CTA_MARK, htonl(markbit));
	mnl_attr_put_u32(nlh, CTA_MARK_MASK, htonl(markbit));
	rc = nl_dump(&nl, nlh, dump_cb, &c);
	for (size_t off = 0; rc == 0 && off < c.len;) {
		const struct nlattr	*orig = (const struct nlattr *)(c.dels + off);

		off += MNL_ALIGN(orig->nla_len);
		nlh = mnl_nlmsg_put_header(buf);
		nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) |
		    IPCTNL_MSG_CT_DELETE;
		g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
		g->nfgen_family = AF_INET;
		g->version = NFNETLINK_V0;
		memcpy((char *)nlh + nlh->nlmsg_len, orig, orig->nla_len);
		nlh->nlmsg_len += MNL_ALIGN(orig->nla_len);
		if (nl_request(&nl, nlh, NULL, NULL) == 0)
			deleted++;
	}
	saved = errno;
	free(c.dels);
	nl_close(&nl);
	errno = saved;
	return rc == -1 ? -1 : deleted;
}
