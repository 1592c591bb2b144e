/*
 * nft.c: the nftables side of the data plane.  rpn owns table inet rpn and
 * nothing else.  A full sync (nft_sync) writes the skeleton when there is
 * no table, then the elements in bounded transactions, one group (a
 * service's port, the members, the LANs) whole in each; over a table with
 * the same skeleton (a restart, a repair) it writes only the differences.
 * A table with another skeleton is replaced whole in one transaction
 * (nft_full_sync: packets see the old ruleset or the new one; conntrack
 * NAT bindings survive).  After that every change is a batch of element
 * adds and deletes in one transaction.  The rules reproduce, expression by expression, what
 * `nft --debug=netlink` prints for the ruleset in docs/dataplane.md, so
 * `nft list table inet rpn` stays readable.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_conntrack_tuple_common.h>
#include <linux/netfilter/nf_tables.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

#include "node/core/array.h"
#include "node/core/log.h"
#include "node/parent/nft.h"
#include "node/parent/nl.h"
#include "proto/compat.h"

/* nftables' datatype ids (nftables include/datatype.h), for readable listings. */
#define DT_IPADDR	7
#define DT_INET_PROTO	12
#define DT_INET_SERVICE	13
#define DT_MARK		19
#define DT_IFINDEX	20
#define DT_CONCAT(a, b)	((a) << 6 | (b))

#define ELEMS_PER_MSG	1000

/* ---- a growable batch of netlink messages ---- */

struct batch {
	char		*buf;
	uint32_t	 len;
	uint32_t	 cap;
	uint32_t	 nmsgs;
	uint32_t	 first_seq;
	uint32_t	 nelems;
	int		 err;
};

static char *
batch_room(struct batch *b, size_t need)
{
	uint32_t	 had = b->cap;

	if (b->err)
		return NULL;
	if (need > UINT32_MAX - b->len ||
	    array_reserve(&b->buf, &b->cap, b->len + (uint32_t)need, 1) == -1) {
		b->err = 1;
		return NULL;
	}
	memset(b->buf + had, 0, b->cap - had);
	return b->buf + b->len;
}

/* Room for one message of at most need bytes; call batch_done() after. */
static struct nlmsghdr *
batch_msg(struct batch *b, size_t need, uint16_t type, uint16_t flags,
    uint32_t seq)
{
	char	*p = batch_room(b, need + 256);

	if (p == NULL)
		return NULL;
	/* The messages' sequence numbers follow each other from the first. */
	if (b->nmsgs == 0)
		b->first_seq = seq;
	memset(p, 0, need + 256);
	return nftnl_nlmsg_build_hdr(p, type, NFPROTO_INET, flags, seq);
}

static void
batch_done(struct batch *b, struct nlmsghdr *nlh)
{
	b->len += NLMSG_ALIGN(nlh->nlmsg_len);
	b->nmsgs++;
}

static void
batch_release(struct batch *b)
{
	free(b->buf);
	memset(b, 0, sizeof(*b));
}

/* ---- send a batch, collect every ack ---- */

static void
sock_size(struct nft *n, uint32_t bytes)
{
	int	 fd = mnl_socket_get_fd(n->nl.sock);
	int	 sz = (int)(bytes + (1 << 16));

	if (bytes > n->sndbuf) {
		setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz));
		n->sndbuf = bytes;
	}
}

static uint64_t
usec_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/*
 * nft_send - one transaction: BATCH_BEGIN, the messages, BATCH_END, sent
 * in one sendmsg(); the kernel applies it all or nothing while we are in
 * sendmsg().  Every message asked for an ack; nl_send_batch() reads them
 * all, matched by sequence number, error or not.
 */
static int
nft_send(struct nft *n, struct batch *msgs, uint32_t *usec, int check)
{
	struct batch	 b;
	struct nlmsghdr	*nlh;
	uint64_t	 t0;
	uint32_t	 lo, hi;
	int		 fd = mnl_socket_get_fd(n->nl.sock), rc, rcv;

	n->nfails = 0;
	if (msgs->err) {
		errno = ENOMEM;
		return -1;
	}
	if (msgs->nmsgs == 0) {
		if (usec != NULL)
			*usec = 0;
		return 0;
	}
	memset(&b, 0, sizeof(b));
	if (batch_room(&b, msgs->len + 2 * NLMSG_HDRLEN + 64) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	nlh = nftnl_batch_begin(b.buf, n->nl.seq++);
	b.len += NLMSG_ALIGN(nlh->nlmsg_len);
	if (msgs->len > 0)
		memcpy(b.buf + b.len, msgs->buf, msgs->len);
	b.len += msgs->len;
	/* Without BATCH_END the kernel checks everything and commits nothing. */
	if (!check) {
		nlh = nftnl_batch_end(b.buf + b.len, n->nl.seq++);
		b.len += NLMSG_ALIGN(nlh->nlmsg_len);
	}
	sock_size(n, b.len);
	/* Every message is acked: make room for the answers. */
	rcv = (int)(msgs->nmsgs * 256 + (1 << 16));
	if ((uint32_t)rcv > n->rcvbuf) {
		setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv));
		n->rcvbuf = (uint32_t)rcv;
	}
	lo = msgs->first_seq;
	hi = lo + msgs->nmsgs - 1;
	t0 = usec_now();
	rc = nl_send_batch(&n->nl, b.buf, b.len, lo, hi, n->fails,
	    sizeof(n->fails) / sizeof(n->fails[0]), &n->nfails);
	batch_release(&b);
	if (usec != NULL)
		*usec = (uint32_t)(usec_now() - t0);
	return rc;
}

/* ---- objects of the skeleton ---- */

/*
 * The skeleton's fingerprint rides in the table's userdata, as one
 * attribute of a type nft does not show (its comment is type 0): a restart
 * that finds the same fingerprint and the same rule counts keeps the table
 * and writes only the elements that differ.
 */
#define UDATA_SKEL	7

static void
put_table_fp(struct batch *b, uint16_t type, uint32_t seq, const uint64_t *fp)
{
	struct nftnl_table	*t = nftnl_table_alloc();
	struct nlmsghdr		*nlh;

	nftnl_table_set_str(t, NFTNL_TABLE_NAME, NFT_TABLE);
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
	if (fp != NULL) {
		uint8_t	 u[2 + sizeof(*fp)];

		u[0] = UDATA_SKEL;
		u[1] = sizeof(*fp);
		memcpy(u + 2, fp, sizeof(*fp));
		nftnl_table_set_data(t, NFTNL_TABLE_USERDATA, u, sizeof(u));
	}
	if ((nlh = batch_msg(b, 256, type, (type == NFT_MSG_NEWTABLE ?
	    NLM_F_CREATE : 0) | NLM_F_ACK, seq)) != NULL) {
		nftnl_table_nlmsg_build_payload(nlh, t);
		batch_done(b, nlh);
	}
	nftnl_table_free(t);
}

static void
put_table(struct batch *b, uint16_t type, uint32_t seq)
{
	put_table_fp(b, type, seq, NULL);
}

struct set_spec {
	const char	*name;
	uint32_t	 id;
	uint32_t	 flags;
	uint32_t	 key_type;
	uint32_t	 key_len;
	uint32_t	 data_type;	/* 0: a set, not a map */
	uint32_t	 data_len;
	uint8_t		 concat[3];	/* field lengths, intervals only */
	int		 host_key;	/* the key is in host byte order */
};

static const struct set_spec sets[] = {
	[DS_SVC4] = { "svc4", 1, NFT_SET_MAP,
	    DT_CONCAT(DT_INET_PROTO, DT_INET_SERVICE), 8,
	    DT_CONCAT(DT_IPADDR, DT_INET_SERVICE), 8, { 0 }, 0 },
	[DS_SVC4LB] = { "svc4lb", 2, NFT_SET_MAP,
	    DT_CONCAT(DT_CONCAT(DT_INET_PROTO, DT_INET_SERVICE), DT_MARK), 12,
	    DT_CONCAT(DT_IPADDR, DT_INET_SERVICE), 8, { 0 }, 0 },
	[DS_PUBLIC] = { "public", 4, 0,
	    DT_CONCAT(DT_INET_PROTO, DT_INET_SERVICE), 8, 0, 0, { 0 }, 0 },
	[DS_ALLOW4] = { "allow4", 5, NFT_SET_INTERVAL | NFT_SET_CONCAT,
	    DT_CONCAT(DT_CONCAT(DT_INET_PROTO, DT_INET_SERVICE), DT_IPADDR), 12,
	    0, 0, { 1, 2, 4 }, 0 },
	[DS_MEMBERS4] = { "members4", 6, 0, DT_IPADDR, 4, 0, 0, { 0 }, 0 },
	[DS_LANS4] = { "lans4", 9, NFT_SET_INTERVAL, DT_IPADDR, 4, 0, 0,
	    { 0 }, 0 },
};

#define SET_NIC_STAMP_ID	7
#define SET_NIC_RESTORE_ID	8
#define SET_NIC_SNAT_ID		10

static void
put_set(struct batch *b, const struct set_spec *sp, uint32_t seq)
{
	struct nftnl_set	*s = nftnl_set_alloc();
	struct nlmsghdr		*nlh;

	nftnl_set_set_str(s, NFTNL_SET_TABLE, NFT_TABLE);
	nftnl_set_set_str(s, NFTNL_SET_NAME, sp->name);
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_u32(s, NFTNL_SET_ID, sp->id);
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, sp->flags);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, sp->key_type);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, sp->key_len);
	if (sp->flags & NFT_SET_MAP) {
		nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, sp->data_type);
		nftnl_set_set_u32(s, NFTNL_SET_DATA_LEN, sp->data_len);
	}
	if (sp->flags & NFT_SET_CONCAT)
		nftnl_set_set_data(s, NFTNL_SET_DESC_CONCAT, sp->concat, 3);
	if (sp->host_key) {
		/* So nft lists the key as a number and an interface, not bytes. */
		struct nftnl_udata_buf	*u = nftnl_udata_buf_alloc(64);

		if (u != NULL) {
			nftnl_udata_put_u32(u, NFTNL_UDATA_SET_KEYBYTEORDER,
			    1 /* nftables' BYTEORDER_HOST_ENDIAN */);
			nftnl_set_set_data(s, NFTNL_SET_USERDATA,
			    nftnl_udata_buf_data(u), nftnl_udata_buf_len(u));
			nftnl_udata_buf_free(u);
		}
	}
	if ((nlh = batch_msg(b, 512, NFT_MSG_NEWSET, NLM_F_CREATE | NLM_F_ACK,
	    seq)) != NULL) {
		nftnl_set_nlmsg_build_payload(nlh, s);
		batch_done(b, nlh);
	}
	nftnl_set_free(s);
}

static void
put_chain(struct batch *b, const char *name, const char *type, int hook,
    int prio, uint32_t seq)
{
	struct nftnl_chain	*c = nftnl_chain_alloc();
	struct nlmsghdr		*nlh;

	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, NFT_TABLE);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, NFPROTO_INET);
	if (type != NULL) {
		nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, type);
		nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, (uint32_t)hook);
		nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, prio);
		nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	}
	if ((nlh = batch_msg(b, 512, NFT_MSG_NEWCHAIN, NLM_F_CREATE | NLM_F_ACK,
	    seq)) != NULL) {
		nftnl_chain_nlmsg_build_payload(nlh, c);
		batch_done(b, nlh);
	}
	nftnl_chain_free(c);
}

/* ---- expressions, one helper per kind used ---- */

static void
x_ct(struct nftnl_rule *r, uint32_t key, uint32_t dreg)
{
	struct nftnl_expr	*e = nftnl_expr_alloc("ct");

	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, dreg);
	nftnl_rule_add_expr(r, e);
}

static void
x_ct_set(struct nftnl_rule *r, uint32_t key, uint32_t sreg)
{
	struct nftnl_expr	*e = nftnl_expr_alloc("ct");

	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_SREG, sreg);
	nftnl_rule_add_expr(r, e);
}

static void
x_meta(struct nftnl_rule *r, uint32_t key, uint32_t dreg)
{
	struct nftnl_expr	*e = nftnl_expr_alloc("meta");

	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
	nftnl_rule_add_expr(r, e);
}

static void
x_meta_set(struct nftnl_rule *r, uint32_t key, uint32_t sreg)
{
	struct nftnl_expr	*e = nftnl_expr_alloc("meta");

	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_SREG, sreg);
	nftnl_rule_add_expr(r, e);
}

/* reg = (reg & mask) ^ xor, on 4 bytes */
static void
x_bitwise(struct nftnl_rule *r, uint32_t reg, uint32_t mask, uint32_t xor)
{
	struct nftnl_expr	*e = nftnl_expr_alloc("bitwise");

	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, reg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, reg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, 4);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, &mask, 4);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, &xor, 4);
	nftnl_rule_add_expr(r, e);
}

static void
x_cmp(struct nftnl_rule *r, uint32_t reg, uint32_t op, uint32_t v)
{
	struct nftnl_expr	*e = nftnl_expr_alloc("cmp");

	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, reg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, &v, 4);
	nftnl_rule_add_expr(r, e);
}

static void
x_cmp8(struct nftnl_rule *r, uint32_t reg, uint32_t op, uint8_t v)
{
	struct nftnl_expr	*e = nftnl_expr_alloc("cmp");

	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, reg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, &v, 1);
	nftnl_rule_add_expr(r, e);
}

static void
x_payload(struct nftnl_rule *r, uint32_t base, uint32_t off, uint32_t len,
    uint32_t dreg)
{
	struct nftnl_expr	*e = nftnl_expr_alloc("payload");

	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
	nftnl_rule_add_expr(r, e);
}

static void
x_lookup(struct nftnl_rule *r, uint32_t sreg, const char *set, uint32_t id,
    int has_dreg, uint32_t dreg, uint32_t flags)
{
	struct nftnl_expr	*e = nftnl_expr_alloc("lookup");

	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, sreg);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, id);
	if (has_dreg)
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, dreg);
	if (flags)
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS, flags);
	nftnl_rule_add_expr(r, e);
}

static void
x_verdict(struct nftnl_rule *r, int verdict, const char *chain)
{
	struct nftnl_expr	*e = nftnl_expr_alloc("immediate");

	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict);
	if (chain != NULL)
		nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, chain);
	nftnl_rule_add_expr(r, e);
}

static void
x_fib_daddr_local(struct nftnl_rule *r, uint32_t op)
{
	struct nftnl_expr	*e = nftnl_expr_alloc("fib");

	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_FLAGS, NFTA_FIB_F_DADDR);
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_DREG, NFT_REG_1);
	nftnl_rule_add_expr(r, e);
	x_cmp(r, NFT_REG_1, op, 2 /* RTN_LOCAL */);
}

static void
x_counter(struct nftnl_rule *r)
{
	nftnl_rule_add_expr(r, nftnl_expr_alloc("counter"));
}

/* meta l4proto => reg 1; th dport => reg 9: the (proto . port) key */
static void
x_proto_port(struct nftnl_rule *r)
{
	x_meta(r, NFT_META_L4PROTO, NFT_REG_1);
	x_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG32_01);
}

static void
x_ipv4_only(struct nftnl_rule *r)
{
	x_meta(r, NFT_META_NFPROTO, NFT_REG_1);
	x_cmp8(r, NFT_REG_1, NFT_CMP_EQ, NFPROTO_IPV4);
}

static void
x_dnat(struct nftnl_rule *r)
{
	struct nftnl_expr	*e = nftnl_expr_alloc("nat");

	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, NFPROTO_IPV4);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, NFT_REG32_01);
	nftnl_rule_add_expr(r, e);
}

/*
 * hton(reg, 2, 1): meta l4proto is a host-order value, and nft converts it
 * so for the key of an interval set, whose ranges compare in network order.
 */
static void
x_byteorder_hton8(struct nftnl_rule *r, uint32_t reg)
{
	struct nftnl_expr	*e = nftnl_expr_alloc("byteorder");

	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_SREG, reg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_DREG, reg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_OP, NFT_BYTEORDER_HTON);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_LEN, 1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_SIZE, 2);
	nftnl_rule_add_expr(r, e);
}

static void
x_numgen_random(struct nftnl_rule *r, uint32_t dreg, uint32_t mod)
{
	struct nftnl_expr	*e = nftnl_expr_alloc("numgen");

	nftnl_expr_set_u32(e, NFTNL_EXPR_NG_DREG, dreg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NG_MODULUS, mod);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NG_TYPE, NFT_NG_RANDOM);
	nftnl_rule_add_expr(r, e);
}

static struct nftnl_rule *
rule_new(const char *chain)
{
	struct nftnl_rule	*r = nftnl_rule_alloc();

	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, NFT_TABLE);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	return r;
}

/* Append a rule to the batch; each chain's count is kept for nft_verify(). */
static void
put_rule(struct nft *n, struct batch *b, struct nftnl_rule *r)
{
	struct nlmsghdr	*nlh;
	const char	*chain = nftnl_rule_get_str(r, NFTNL_RULE_CHAIN);
	uint32_t	 i;

	for (i = 0; i < n->nchains && strcmp(n->chains[i].name, chain) != 0; i++)
		;
	if (i == n->nchains && i < NFT_MAX_CHAINS) {
		strlcpy(n->chains[i].name, chain, sizeof(n->chains[i].name));
		n->chains[i].rules = 0;
		n->nchains++;
	}
	if (i < NFT_MAX_CHAINS)
		n->chains[i].rules++;
	if ((nlh = batch_msg(b, 2048, NFT_MSG_NEWRULE, NLM_F_CREATE |
	    NLM_F_APPEND | NLM_F_ACK, n->nl.seq++)) != NULL) {
		nftnl_rule_nlmsg_build_payload(nlh, r);
		batch_done(b, nlh);
	}
	nftnl_rule_free(r);
}

uint32_t
nft_translated_bit(const struct nft_config *c)
{
	return c->mask & ~(c->mask >> 1) & c->mask;	/* the top bit of the byte */
}

/*
 * nft_marks - does this node stamp connections with their uplink and
 * restore it into replies' packet marks?  Only where routing by mark can
 * differ from routing by the main table: several uplinks, strict-rpf, or
 * one uplink whose own table is not what main says (nft_config.plain).
 */
int
nft_marks(const struct nft_config *c)
{
	return c->strict || c->nuplinks > 1 || (c->nuplinks == 1 && !c->plain);
}

static uint32_t
uplink_bits(const struct nft_config *c)
{
	return c->mask & ~nft_translated_bit(c);
}

static uint32_t
uplink_value(const struct nft_config *c, int k)
{
	return (uint32_t)k << __builtin_ctz(c->mask);
}

/* ---- the skeleton: the sets, then one function per chain ---- */

/*
 * The skeleton's size depends on the number of uplinks only.  nft lists
 * sets and chains in the order they were made, so put_skeleton()'s order
 * is the listing's order (docs/dataplane.md, checked by t-dp-table).  A
 * rule may only jump to a chain made before it: translate comes first,
 * and the elements of the verdict maps, which jump to stamp_K and
 * restore_K, come after the skeleton (put_nic_maps()).
 */

static const struct set_spec nic_stamp = { "nic_stamp", SET_NIC_STAMP_ID,
    NFT_SET_MAP, DT_IFINDEX, 4, NFT_DATA_VERDICT, 0, { 0 }, 1 };
static const struct set_spec nic_restore = { "nic_restore",
    SET_NIC_RESTORE_ID, NFT_SET_MAP, DT_MARK, 4, NFT_DATA_VERDICT, 0, { 0 },
    1 };

/* uplink ifindex -> its address, for the legs post_snat translates */
static const struct set_spec nic_snat = { "nic_snat", SET_NIC_SNAT_ID,
    NFT_SET_MAP, DT_IFINDEX, 4, DT_IPADDR, 4, { 0 }, 1 };

static void
skel_sets(struct nft *n, struct batch *b)
{
	for (int i = 0; i < DS_NUM; i++)
		put_set(b, &sets[i], n->nl.seq++);
	put_set(b, &nic_snat, n->nl.seq++);
	if (nft_marks(&n->cfg)) {
		put_set(b, &nic_stamp, n->nl.seq++);
		put_set(b, &nic_restore, n->nl.seq++);
	}
}

/* ct [direction reply] ct mark & U vmap @nic_restore */
static void
skel_restore(struct nft *n, struct batch *b, const char *chain, int replies)
{
	struct nftnl_rule	*r = rule_new(chain);

	if (replies) {
		x_ct(r, NFT_CT_DIRECTION, NFT_REG_1);
		x_cmp8(r, NFT_REG_1, NFT_CMP_EQ, IP_CT_DIR_REPLY);
	}
	x_ct(r, NFT_CT_MARK, NFT_REG_1);
	x_bitwise(r, NFT_REG_1, uplink_bits(&n->cfg), 0);
	x_lookup(r, NFT_REG_1, "nic_restore", SET_NIC_RESTORE_ID, 1,
	    NFT_REG_VERDICT, 0);
	put_rule(n, b, r);
}

/* fib daddr type != local return: only the node's own addresses */
static void
skel_local_only(struct nft *n, struct batch *b, const char *chain)
{
	struct nftnl_rule	*r = rule_new(chain);

	x_fib_daddr_local(r, NFT_CMP_NEQ);
	x_verdict(r, NFT_RETURN, NULL);
	put_rule(n, b, r);
}

/* ip saddr @set goto translate */
static void
skel_saddr_in(struct nft *n, struct batch *b, int set)
{
	struct nftnl_rule	*r = rule_new("pre_dnat");

	x_ipv4_only(r);
	x_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 12, 4, NFT_REG_1);
	x_lookup(r, NFT_REG_1, sets[set].name, sets[set].id, 0, 0, 0);
	x_verdict(r, NFT_GOTO, "translate");
	put_rule(n, b, r);
}

/*
 * Who may open a connection to a service port, in pre.  Allowed sources
 * are marked for translation (whatever the port: without a map entry
 * nothing is translated).  From anyone else, a new connection to a port
 * that has a DNAT map entry is dropped: a lookup in a named map without a
 * destination register asks only whether the key is there, so the maps
 * themselves say what is a service.
 */
static void
skel_pre_access(struct nft *n, struct batch *b)
{
	struct nftnl_rule	*r;

	skel_saddr_in(n, b, DS_MEMBERS4);
	skel_saddr_in(n, b, DS_LANS4);
	/* meta l4proto . th dport . ip saddr @allow4 goto translate */
	r = rule_new("pre_dnat");
	x_ipv4_only(r);
	x_meta(r, NFT_META_L4PROTO, NFT_REG_1);
	x_byteorder_hton8(r, NFT_REG_1);
	x_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG32_01);
	x_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 12, 4, NFT_REG32_02);
	x_lookup(r, NFT_REG_1, "allow4", sets[DS_ALLOW4].id, 0, 0, 0);
	x_verdict(r, NFT_GOTO, "translate");
	put_rule(n, b, r);
	r = rule_new("pre_dnat");
	x_proto_port(r);
	x_lookup(r, NFT_REG_1, "public", sets[DS_PUBLIC].id, 0, 0, 0);
	x_verdict(r, NFT_GOTO, "translate");
	put_rule(n, b, r);
	/* meta l4proto . th dport @svc4 counter drop */
	r = rule_new("pre_dnat");
	x_proto_port(r);
	x_lookup(r, NFT_REG_1, "svc4", sets[DS_SVC4].id, 0, 0, 0);
	x_counter(r);
	x_verdict(r, NF_DROP, NULL);
	put_rule(n, b, r);
	/*
	 * The same for bucket 0 of a load-balanced service, written as
	 * "meta mark & 0" so that nft can list it.
	 */
	r = rule_new("pre_dnat");
	x_proto_port(r);
	x_meta(r, NFT_META_MARK, NFT_REG32_02);
	x_bitwise(r, NFT_REG32_02, 0, 0);
	x_lookup(r, NFT_REG_1, "svc4lb", sets[DS_SVC4LB].id, 0, 0, 0);
	x_counter(r);
	x_verdict(r, NF_DROP, NULL);
	put_rule(n, b, r);
}

/*
 * skel_mark_chain - a chain of one rule that rewrites a mark: the
 * connection's (ct) or the packet's (meta) becomes mark & keep ^ set.
 */
static void
skel_mark_chain(struct nft *n, struct batch *b, const char *name, int ct,
    uint32_t keep, uint32_t set)
{
	struct nftnl_rule	*r;

	put_chain(b, name, NULL, 0, 0, n->nl.seq++);
	r = rule_new(name);
	if (ct)
		x_ct(r, NFT_CT_MARK, NFT_REG_1);
	else
		x_meta(r, NFT_META_MARK, NFT_REG_1);
	x_bitwise(r, NFT_REG_1, keep, set);
	if (ct)
		x_ct_set(r, NFT_CT_MARK, NFT_REG_1);
	else
		x_meta_set(r, NFT_META_MARK, NFT_REG_1);
	put_rule(n, b, r);
}

/*
 * translate: ct mark set ct mark | T, the connection's "translated" bit
 * (post_snat masquerades what carries it, ct.c finds rpn's flows by it),
 * then the destination from the maps.  Reached from the NAT chains only,
 * so only by a connection's first packet.
 */
static void
skel_chain_translate(struct nft *n, struct batch *b)
{
	uint32_t		 T = nft_translated_bit(&n->cfg);
	struct nftnl_rule	*r;

	skel_mark_chain(n, b, "translate", 1, ~T, T);
	r = rule_new("translate");
	x_proto_port(r);
	x_lookup(r, NFT_REG_1, "svc4", sets[DS_SVC4].id, 1, NFT_REG_1, 0);
	x_dnat(r);
	put_rule(n, b, r);
	r = rule_new("translate");
	x_proto_port(r);
	x_numgen_random(r, NFT_REG32_02, DP_BUCKETS);
	x_lookup(r, NFT_REG_1, "svc4lb", sets[DS_SVC4LB].id, 1, NFT_REG_1, 0);
	x_dnat(r);
	put_rule(n, b, r);
}

/* stamp_K: ct mark set ct mark & ~U | K, the uplink a connection came in on */
static void
skel_chain_stamp(struct nft *n, struct batch *b, int k)
{
	char	 name[32];

	snprintf(name, sizeof(name), "stamp_%d", k);
	skel_mark_chain(n, b, name, 1, ~uplink_bits(&n->cfg),
	    uplink_value(&n->cfg, k));
}

/*
 * restore_K: meta mark set meta mark & ~U | K, so that the routing rules
 * send the packet out of uplink K.
 */
static void
skel_chain_restore(struct nft *n, struct batch *b, int k)
{
	char	 name[32];

	snprintf(name, sizeof(name), "restore_%d", k);
	skel_mark_chain(n, b, name, 0, ~uplink_bits(&n->cfg),
	    uplink_value(&n->cfg, k));
}

/*
 * pre: the only rpn rule every packet meets, and only on a node that
 * needs uplink marks (several uplinks, strict-rpf, or one whose table
 * routes otherwise than main: nft_marks()): the connection's uplink mark
 * restored into the packet's, on replies (R9, the default) or on every
 * packet (R7, strict-rpf: a strict reverse-path check then passes, with
 * src_valid_mark=1 and the guard rules).  Everything else is decided once
 * per connection, in the NAT chains.
 */
static void
skel_chain_pre(struct nft *n, struct batch *b)
{
	if (!nft_marks(&n->cfg))
		return;
	put_chain(b, "pre", "filter", NF_INET_PRE_ROUTING, -150, n->nl.seq++);
	skel_restore(n, b, "pre", !n->cfg.strict);
}

/* out: the same for the node's own packets (replies of its sockets). */
static void
skel_chain_out(struct nft *n, struct batch *b)
{
	if (!nft_marks(&n->cfg))
		return;
	put_chain(b, "out", "route", NF_INET_LOCAL_OUT, -150, n->nl.seq++);
	skel_restore(n, b, "out", 1);
}

/*
 * pre_dnat: a connection's first packet, and only that one (the kernel
 * runs NAT chains once per connection; later packets follow its binding).
 * Stamp the uplink it came in on (and, strict, route it by that at once),
 * then, for the node's own addresses, decide whether it may be translated
 * (skel_pre_access()).
 */
static void
skel_chain_pre_dnat(struct nft *n, struct batch *b)
{
	struct nftnl_rule	*r;

	put_chain(b, "pre_dnat", "nat", NF_INET_PRE_ROUTING, -100,
	    n->nl.seq++);
	if (nft_marks(&n->cfg)) {
		r = rule_new("pre_dnat");
		x_meta(r, NFT_META_IIF, NFT_REG_1);
		x_lookup(r, NFT_REG_1, "nic_stamp", SET_NIC_STAMP_ID, 1,
		    NFT_REG_VERDICT, 0);
		put_rule(n, b, r);
		if (n->cfg.strict)
			skel_restore(n, b, "pre_dnat", 0);
	}
	skel_local_only(n, b, "pre_dnat");
	skel_pre_access(n, b);
}

/*
 * out_dnat: the node's own new connections.  The node may always use the
 * mesh's services, at any of its own addresses except loopback: a
 * connection to 127.0.0.1:PORT is for a local socket and is never
 * translated.
 */
static void
skel_chain_out_dnat(struct nft *n, struct batch *b)
{
	struct nftnl_rule	*r;

	put_chain(b, "out_dnat", "nat", NF_INET_LOCAL_OUT, -100, n->nl.seq++);
	skel_local_only(n, b, "out_dnat");
	r = rule_new("out_dnat");
	x_ipv4_only(r);
	x_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 16, 1, NFT_REG_1);
	x_cmp8(r, NFT_REG_1, NFT_CMP_EQ, 127);
	x_verdict(r, NFT_RETURN, NULL);
	put_rule(n, b, r);
	r = rule_new("out_dnat");
	x_verdict(r, NFT_GOTO, "translate");
	put_rule(n, b, r);
}

/* ct mark & T != 0 ct status dnat: a connection rpn translated */
static void
x_translated(struct nft *n, struct nftnl_rule *r)
{
	x_ct(r, NFT_CT_MARK, NFT_REG_1);
	x_bitwise(r, NFT_REG_1, nft_translated_bit(&n->cfg), 0);
	x_cmp(r, NFT_REG_1, NFT_CMP_NEQ, 0);
	x_ct(r, NFT_CT_STATUS, NFT_REG_1);
	x_bitwise(r, NFT_REG_1, IPS_DST_NAT, 0);
	x_cmp(r, NFT_REG_1, NFT_CMP_NEQ, 0);
}

/*
 * post_snat: only what rpn translated, to the address of the uplink its
 * leg leaves by (snat ip to oif map @nic_snat), else masqueraded.  Not
 * masqueraded out of an uplink: the kernel forgets every translation a
 * masquerade made out of a device when the device goes down or loses
 * the address, so a half-second flap of one uplink reset the flows that
 * came in through the other and left through it (t-dp-flap).
 */
static void
skel_chain_post_snat(struct nft *n, struct batch *b)
{
	struct nftnl_rule	*r;
	struct nftnl_expr	*e;

	put_chain(b, "post_snat", "nat", NF_INET_POST_ROUTING, 100,
	    n->nl.seq++);
	r = rule_new("post_snat");
	x_translated(n, r);
	x_meta(r, NFT_META_OIF, NFT_REG_1);
	x_lookup(r, NFT_REG_1, "nic_snat", SET_NIC_SNAT_ID, 1, NFT_REG_1, 0);
	e = nftnl_expr_alloc("nat");
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_SNAT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, NFPROTO_IPV4);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1);
	nftnl_rule_add_expr(r, e);
	put_rule(n, b, r);
	r = rule_new("post_snat");
	x_translated(n, r);
	nftnl_rule_add_expr(r, nftnl_expr_alloc("masq"));
	put_rule(n, b, r);
}

/* The whole skeleton, in the order nft lists it. */
static void
put_skeleton(struct nft *n, struct batch *b)
{
	n->nchains = 0;
	skel_sets(n, b);
	skel_chain_translate(n, b);
	for (int k = 1; nft_marks(&n->cfg) && k <= n->cfg.nuplinks; k++) {
		skel_chain_stamp(n, b, k);
		skel_chain_restore(n, b, k);
	}
	skel_chain_pre(n, b);
	skel_chain_out(n, b);
	skel_chain_pre_dnat(n, b);
	skel_chain_out_dnat(n, b);
	skel_chain_post_snat(n, b);
}

/* ---- elements ---- */

static void
put_data(struct nlmsghdr *nlh, uint16_t type, const void *p, size_t len)
{
	struct nlattr	*nest = mnl_attr_nest_start(nlh, type);

	mnl_attr_put(nlh, NFTA_DATA_VALUE, len, p);
	mnl_attr_nest_end(nlh, nest);
}

/* NEWSETELEM/DELSETELEM messages for ops[from..to) of one set. */
static void
put_elems(struct batch *b, const struct dp_op *ops, size_t from, size_t to,
    uint32_t seq)
{
	const struct dp_op	*first = &ops[from];
	struct nlmsghdr		*nlh;
	struct nlattr		*list;

	nlh = batch_msg(b, (to - from) * 96 + 128, first->del ?
	    NFT_MSG_DELSETELEM : NFT_MSG_NEWSETELEM,
	    (first->del ? 0 : NLM_F_CREATE) | NLM_F_ACK, seq);
	if (nlh == NULL)
		return;
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, NFT_TABLE);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, sets[first->set].name);
	list = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
	for (size_t i = from; i < to; i++) {
		const struct dp_op	*op = &ops[i];
		struct nlattr		*el = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);

		put_data(nlh, NFTA_SET_ELEM_KEY, op->key, op->klen);
		if (op->end)
			mnl_attr_put_u32(nlh, NFTA_SET_ELEM_FLAGS,
			    htonl(NFT_SET_ELEM_INTERVAL_END));
		if (op->set == DS_ALLOW4)
			put_data(nlh, NFTA_SET_ELEM_KEY_END, op->key_end, op->klen);
		if (op->dlen > 0 && !op->del)
			put_data(nlh, NFTA_SET_ELEM_DATA, op->data, op->dlen);
		mnl_attr_nest_end(nlh, el);
		b->nelems++;
	}
	mnl_attr_nest_end(nlh, list);
	batch_done(b, nlh);
}

/* Deletes before adds (a changed value is both), then by set, else in order. */
static int
op_cmp(const void *x, const void *y)
{
	const struct dp_op	*a = *(const struct dp_op *const *)x;
	const struct dp_op	*b = *(const struct dp_op *const *)y;

	if (a->del != b->del)
		return a->del ? -1 : 1;
	if (a->set != b->set)
		return a->set < b->set ? -1 : 1;
	return a < b ? -1 : a > b;
}

/* The same, one group (a service's port, the members, the LANs) after another. */
static int
op_cmp_group(const void *x, const void *y)
{
	const struct dp_op	*a = *(const struct dp_op *const *)x;
	const struct dp_op	*b = *(const struct dp_op *const *)y;
	uint32_t		 ga = dp_op_group(a), gb = dp_op_group(b);

	if (ga != gb)
		return ga < gb ? -1 : 1;
	return op_cmp(x, y);
}

/*
 * put_ops - element changes as messages of one set and one direction each
 * (at most ELEMS_PER_MSG elements), deletes first.  With a message map,
 * no message mixes groups, and each message's sequence number is recorded
 * with its group: a refused message then names the group at fault.
 */
static void
put_ops(struct nft *n, struct batch *b, const struct dp_ops *ops,
    struct nft_msgmap *map)
{
	const struct dp_op	**v;
	struct dp_op		*tmp;
	uint32_t		 i = 0;

	if (ops->n == 0)
		return;
	if ((v = calloc(ops->n, sizeof(*v))) == NULL ||
	    (tmp = calloc(ELEMS_PER_MSG, sizeof(*tmp))) == NULL) {
		free(v);
		b->err = 1;
		return;
	}
	for (uint32_t k = 0; k < ops->n; k++)
		v[k] = &ops->v[k];
	qsort(v, ops->n, sizeof(*v), map ? op_cmp_group : op_cmp);
	while (i < ops->n) {
		uint32_t	 j = i + 1;

		while (j < ops->n && j - i < ELEMS_PER_MSG &&
		    v[j]->set == v[i]->set && v[j]->del == v[i]->del &&
		    (map == NULL || dp_op_group(v[j]) == dp_op_group(v[i])))
			j++;
		for (uint32_t k = i; k < j; k++)
			tmp[k - i] = *v[k];
		if (map != NULL && array_reserve(&map->v, &map->cap, map->n + 1,
		    sizeof(*map->v)) == 0) {
			map->v[map->n].seq = n->nl.seq;
			map->v[map->n].group = dp_op_group(v[i]);
			map->n++;
		}
		put_elems(b, tmp, 0, j - i, n->nl.seq++);
		i = j;
	}
	free(tmp);
	free(v);
}

/*
 * nic_snat's elements: each uplink with an address to its address.  They
 * are not in the fingerprint (snat 0): a DHCP lease may change an address,
 * and nft_nic_maps() follows it without replacing the table.
 */
static void
put_nic_snat(struct nft *n, struct batch *b)
{
	const struct nft_config	*c = &n->cfg;
	struct nlmsghdr		*nlh;
	struct nlattr		*list, *el;
	int			 any = 0;

	for (int k = 0; k < c->nuplinks; k++)
		any |= c->uplinks[k].ifindex != 0 && c->uplinks[k].snat != 0;
	if (!any || (nlh = batch_msg(b, 256 + c->nuplinks * 64,
	    NFT_MSG_NEWSETELEM, NLM_F_CREATE | NLM_F_ACK, n->nl.seq++)) == NULL)
		return;
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, NFT_TABLE);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, "nic_snat");
	list = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
	for (int k = 0; k < c->nuplinks; k++) {
		if (c->uplinks[k].ifindex == 0 || c->uplinks[k].snat == 0)
			continue;
		el = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
		put_data(nlh, NFTA_SET_ELEM_KEY, &c->uplinks[k].ifindex, 4);
		put_data(nlh, NFTA_SET_ELEM_DATA, &c->uplinks[k].snat, 4);
		mnl_attr_nest_end(nlh, el);
	}
	mnl_attr_nest_end(nlh, list);
	batch_done(b, nlh);
}

/*
 * The maps of the uplinks: ifindex -> jump stamp_k; mark -> jump
 * restore_k; with snat, nic_snat's too (put_nic_snat()).
 */
static void
put_nic_maps(struct nft *n, struct batch *b, int snat)
{
	const struct nft_config	*c = &n->cfg;

	if (snat)
		put_nic_snat(n, b);

	for (int map = 0; map < 2 && c->nuplinks > 0 && nft_marks(c); map++) {
		struct nlmsghdr	*nlh;
		struct nlattr	*list;

		nlh = batch_msg(b, 256 + c->nuplinks * 128, NFT_MSG_NEWSETELEM,
		    NLM_F_CREATE | NLM_F_ACK, n->nl.seq++);
		if (nlh == NULL)
			return;
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, NFT_TABLE);
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, map == 0 ?
		    "nic_stamp" : "nic_restore");
		list = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
		for (int k = 1; k <= c->nuplinks; k++) {
			struct nlattr	*el, *d, *v;
			char		 chain[32];
			uint32_t	 key = map == 0 ? c->uplinks[k - 1].ifindex :
			    uplink_value(c, k);

			snprintf(chain, sizeof(chain), "%s_%d", map == 0 ?
			    "stamp" : "restore", k);
			el = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
			put_data(nlh, NFTA_SET_ELEM_KEY, &key, 4);
			d = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_DATA);
			v = mnl_attr_nest_start(nlh, NFTA_DATA_VERDICT);
			mnl_attr_put_u32(nlh, NFTA_VERDICT_CODE, htonl((uint32_t)
			    NFT_JUMP));
			mnl_attr_put_strz(nlh, NFTA_VERDICT_CHAIN, chain);
			mnl_attr_nest_end(nlh, v);
			mnl_attr_nest_end(nlh, d);
			mnl_attr_nest_end(nlh, el);
		}
		mnl_attr_nest_end(nlh, list);
		batch_done(b, nlh);
	}
}

/*
 * skel_fingerprint - FNV-1a over every message of the skeleton and the
 * verdict maps, without their headers (sequence numbers): the same rules,
 * sets and uplinks give the same number in every process.
 */
static uint64_t
skel_fingerprint(struct nft *n)
{
	struct batch		 b;
	const struct nlmsghdr	*h;
	uint64_t		 fp = 0xcbf29ce484222325ULL;
	int			 left;

	memset(&b, 0, sizeof(b));
	put_skeleton(n, &b);
	put_nic_maps(n, &b, 0);
	left = (int)b.len;
	for (h = (const void *)b.buf; !b.err && mnl_nlmsg_ok(h, left);
	    h = mnl_nlmsg_next(h, &left)) {
		const uint8_t	*q = (const uint8_t *)h + NLMSG_HDRLEN;

		fp = (fp ^ h->nlmsg_type) * 0x100000001b3ULL;
		for (uint32_t i = 0; i < h->nlmsg_len - NLMSG_HDRLEN; i++)
			fp = (fp ^ q[i]) * 0x100000001b3ULL;
	}
	batch_release(&b);
	return fp;
}

/*
 * nft_full_sync - replace the table in one transaction: create it if
 * missing, delete it, create it afresh with every element.
 */
int
nft_full_sync(struct nft *n, const struct dp_ops *ops, uint32_t *usec)
{
	struct batch	 b;
	uint64_t	 fp = skel_fingerprint(n);
	int		 rc;

	memset(&b, 0, sizeof(b));
	put_table(&b, NFT_MSG_NEWTABLE, n->nl.seq++);
	put_table(&b, NFT_MSG_DELTABLE, n->nl.seq++);
	put_table_fp(&b, NFT_MSG_NEWTABLE, n->nl.seq++, &fp);
	put_skeleton(n, &b);
	put_nic_maps(n, &b, 1);
	put_ops(n, &b, ops, NULL);
	rc = nft_send(n, &b, usec, 0);
	batch_release(&b);
	return rc;
}

/*
 * nft_full_sync_check - the same transaction, one group per element
 * message, sent without its BATCH_END: the kernel checks every message,
 * answers each, and commits nothing.  Returns 0 when all would pass; else
 * the groups whose messages were refused in bad (up to max), and *skel
 * set when a message of the skeleton itself was (no group can be blamed).
 */
int
nft_full_sync_check(struct nft *n, const struct dp_ops *ops, uint32_t *bad,
    uint32_t max, uint32_t *nbad, int *skel)
{
	struct batch		 b;
	struct nft_msgmap	 map;
	uint64_t		 fp = skel_fingerprint(n);
	int			 rc;

	memset(&b, 0, sizeof(b));
	memset(&map, 0, sizeof(map));
	*nbad = 0;
	*skel = 0;
	put_table(&b, NFT_MSG_NEWTABLE, n->nl.seq++);
	put_table(&b, NFT_MSG_DELTABLE, n->nl.seq++);
	put_table_fp(&b, NFT_MSG_NEWTABLE, n->nl.seq++, &fp);
	put_skeleton(n, &b);
	put_nic_maps(n, &b, 1);
	put_ops(n, &b, ops, &map);
	rc = nft_send(n, &b, NULL, 1);
	batch_release(&b);
	for (uint32_t i = 0; i < n->nfails; i++) {
		uint32_t	 k;

		for (k = 0; k < map.n && map.v[k].seq != n->fails[i].seq; k++)
			;
		if (k == map.n)
			*skel = 1;
		else if (*nbad < max)
			bad[(*nbad)++] = map.v[k].group;
	}
	free(map.v);
	return rc;
}

int
nft_apply(struct nft *n, const struct dp_ops *ops, uint32_t *usec)
{
	struct batch	 b;
	int		 rc;

	if (ops->n == 0) {
		if (usec != NULL)
			*usec = 0;
		return 0;
	}
	memset(&b, 0, sizeof(b));
	put_ops(n, &b, ops, NULL);
	rc = nft_send(n, &b, usec, 0);
	batch_release(&b);
	return rc;
}

int
nft_remove(struct nft *n)
{
	struct batch	 b;
	int		 rc;

	memset(&b, 0, sizeof(b));
	put_table(&b, NFT_MSG_NEWTABLE, n->nl.seq++);	/* so the delete cannot fail */
	put_table(&b, NFT_MSG_DELTABLE, n->nl.seq++);
	rc = nft_send(n, &b, NULL, 0);
	batch_release(&b);
	return rc;
}

/* ---- news: what others do to our table ---- */

/*
 * nft_watch_open - a socket subscribed to NFNLGRP_NFTABLES: the kernel
 * tells it of every committed change, with the port id of the socket that
 * made it, so rpn tells its own changes from anyone else's.
 */
int
nft_watch_open(struct nft_watch *w)
{
	int	 grp = NFNLGRP_NFTABLES, sz = 8 << 20, fd;

	memset(w, 0, sizeof(*w));
	if ((w->sock = mnl_socket_open2(NETLINK_NETFILTER, SOCK_NONBLOCK |
	    SOCK_CLOEXEC)) == NULL)
		return -1;
	fd = mnl_socket_get_fd(w->sock);
	if (mnl_socket_bind(w->sock, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grp,
	    sizeof(grp)) == -1) {
		int	 e = errno;

		mnl_socket_close(w->sock);
		w->sock = NULL;
		errno = e;
		return -1;
	}
	/* rpn's own large syncs are news too; they may still overrun it. */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz));
	return 0;
}

void
nft_watch_close(struct nft_watch *w)
{
	if (w->sock != NULL)
		mnl_socket_close(w->sock);
	w->sock = NULL;
}

int
nft_watch_fd(const struct nft_watch *w)
{
	return w->sock ? mnl_socket_get_fd(w->sock) : -1;
}

/* The table a message is about: attribute 1 of every nf_tables object. */
static int
about_our_table(const struct nlmsghdr *nlh)
{
	const struct nfgenmsg	*g = mnl_nlmsg_get_payload(nlh);
	const struct nlattr	*a;

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*g)) ||
	    g->nfgen_family != NFPROTO_INET)
		return 0;
	mnl_attr_for_each(a, nlh, sizeof(*g))
		if (mnl_attr_get_type(a) == 1)
			return mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0 &&
			    strcmp(mnl_attr_get_str(a), NFT_TABLE) == 0;
	return 0;
}

/*
 * nft_watch_read - everything pending; NFT_NEWS_* flags for what others
 * did to table inet rpn (own_portid is rpn's own transactions' socket).
 */
int
nft_watch_read(struct nft_watch *w, uint32_t own_portid)
{
	static char	 buf[1 << 16];
	int		 news = 0;

	for (;;) {
		ssize_t	 n = recv(mnl_socket_get_fd(w->sock), buf, sizeof(buf), 0);
		int	 left;

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == ENOBUFS) {
			w->lost++;
			news |= NFT_NEWS_LOST;
			continue;
		}
		if (n <= 0)
			return news;
		left = (int)n;
		for (const struct nlmsghdr *h = (const void *)buf;
		    mnl_nlmsg_ok(h, left); h = mnl_nlmsg_next(h, &left)) {
			uint16_t	 type = h->nlmsg_type & 0xff;

			if ((h->nlmsg_type >> 8) != NFNL_SUBSYS_NFTABLES ||
			    type == NFT_MSG_NEWGEN || h->nlmsg_pid == own_portid ||
			    !about_our_table(h))
				continue;
			w->foreign++;
			news |= type == NFT_MSG_NEWSETELEM ||
			    type == NFT_MSG_DELSETELEM ? NFT_NEWS_ELEMS :
			    NFT_NEWS_SKEL;
		}
	}
}

/* ---- comparing the kernel's table with what rpn put there ---- */

/* One element in a form that compares: its set, flags, key, key end, data. */
struct canon {
	uint8_t		 set;
	uint8_t		 end;
	uint8_t		 klen;
	uint8_t		 dlen;
	uint8_t		 key[12];
	uint8_t		 key_end[12];
	uint8_t		 data[8];
};

struct verify {
	struct canon	*want;
	uint32_t	 nwant;
	uint8_t		*seen;
	struct hmap	 idx;
	uint8_t		 set;		/* the set being dumped */
	uint32_t	 extra;		/* in the kernel, not wanted */
	uint32_t	 rules;		/* rules dumped for the chain being counted */
	int		 bad;		/* an element that does not parse */
	struct dp_ops	*dels;		/* nft_diff: what to delete */
	struct dp_ops	*lans;		/* nft_diff: every element of lans4 */
	int		 lans_differ;
	int		 keeping;	/* nft_prefetch: only keep them */
	struct canon	*keep;
	uint32_t	 nkeep;
	uint32_t	 capkeep;
};

static void
canon_of(const struct dp_op *op, struct canon *c)
{
	memset(c, 0, sizeof(*c));
	c->set = op->set;
	c->end = op->end;
	c->klen = op->klen;
	c->dlen = op->dlen;
	memcpy(c->key, op->key, op->klen);
	if (op->set == DS_ALLOW4)
		memcpy(c->key_end, op->key_end, op->klen);
	memcpy(c->data, op->data, op->dlen);
}

/* An element change from its canonical form. */
static int
op_put(struct dp_ops *o, const struct canon *c, int del)
{
	struct dp_op	*op;

	if (array_reserve(&o->v, &o->cap, o->n + 1, sizeof(*o->v)) == -1)
		return -1;
	op = &o->v[o->n++];
	memset(op, 0, sizeof(*op));
	op->set = c->set;
	op->del = (uint8_t)del;
	op->end = c->end;
	op->klen = c->klen;
	memcpy(op->key, c->key, sizeof(op->key));
	memcpy(op->key_end, c->key_end, sizeof(op->key_end));
	if (!del) {
		op->dlen = c->dlen;
		memcpy(op->data, c->data, sizeof(op->data));
	}
	return 0;
}

static int
canon_eq(const void *ctx, uint32_t slot)
{
	const void *const	*p = ctx;
	const struct verify	*v = p[0];

	return memcmp(&v->want[slot], p[1], sizeof(struct canon)) == 0;
}

static int
data_value(const struct nlattr *nest, uint8_t *out, uint8_t *len, size_t max)
{
	const struct nlattr	*a;

	mnl_attr_for_each_nested(a, nest)
		if (mnl_attr_get_type(a) == NFTA_DATA_VALUE &&
		    mnl_attr_get_payload_len(a) <= max) {
			*len = (uint8_t)mnl_attr_get_payload_len(a);
			memcpy(out, mnl_attr_get_payload(a), *len);
			return 0;
		}
	return -1;
}

/* One element the kernel holds, against the wanted ones. */
static void
elem_compare(struct verify *v, const struct canon *c)
{
	uint32_t	 slot;
	const void	*ctx[2] = { v, c };

	slot = hmap_find(&v->idx, hmap_hash(c, sizeof(*c)), canon_eq, ctx);
	if (slot == HMAP_EMPTY || v->seen[slot]) {
		v->extra++;
		if (c->set == DS_LANS4)
			v->lans_differ = 1;
		else if (v->dels != NULL && op_put(v->dels, c, 1) == -1)
			v->bad = 1;
	} else
		v->seen[slot] = 1;
	if (c->set == DS_LANS4 && v->lans != NULL &&
	    op_put(v->lans, c, 1) == -1)
		v->bad = 1;
}

static int
elem_cb(const struct nlmsghdr *nlh, void *data)
{
	struct verify		*v = data;
	const struct nlattr	*a, *list = NULL, *el, *f;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
		if (mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_ELEMENTS)
			list = a;
	if (list == NULL)
		return MNL_CB_OK;
	mnl_attr_for_each_nested(el, list) {
		struct canon	 c;
		uint8_t		 kel = 0;

		memset(&c, 0, sizeof(c));
		c.set = v->set;
		mnl_attr_for_each_nested(f, el) {
			switch (mnl_attr_get_type(f)) {
			case NFTA_SET_ELEM_KEY:
				if (data_value(f, c.key, &c.klen, 12) == -1)
					v->bad = 1;
				break;
			case NFTA_SET_ELEM_KEY_END:
				if (data_value(f, c.key_end, &kel, 12) == -1)
					v->bad = 1;
				break;
			case NFTA_SET_ELEM_DATA:
				if (data_value(f, c.data, &c.dlen, 8) == -1)
					v->bad = 1;
				break;
			case NFTA_SET_ELEM_FLAGS:
				c.end = (ntohl(mnl_attr_get_u32(f)) &
				    NFT_SET_ELEM_INTERVAL_END) != 0;
				break;
			}
		}
		if (!v->keeping)
			elem_compare(v, &c);
		else if (array_reserve(&v->keep, &v->capkeep, v->nkeep + 1,
		    sizeof(*v->keep)) == -1)
			v->bad = 1;
		else
			v->keep[v->nkeep++] = c;
	}
	return MNL_CB_OK;
}

static int
rule_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	((struct verify *)data)->rules++;
	return MNL_CB_OK;
}

/*
 * nft_verify - does the kernel hold exactly what rpn put there?  The rules
 * of every chain are counted against the last skeleton, and every element
 * of every set is compared with the changes that would build the mirror
 * from scratch (ops, from dp_plan_all): nothing missing, nothing extra,
 * down to the element's data.  0 when they agree; 1 when they do not, the
 * first difference in why; -1 with errno set when the kernel cannot be
 * asked (ENOENT: no table).
 */
static uint64_t
want_rehash(const void *ctx, uint32_t i)
{
	const struct verify	*v = ctx;

	return hmap_hash(&v->want[i], sizeof(struct canon));
}

/* The wanted elements of ops (its adds), indexed: sized once. */
static int
want_build(struct verify *v, const struct dp_ops *ops)
{
	if ((v->want = calloc(ops->n + 1, sizeof(*v->want))) == NULL ||
	    (v->seen = calloc(ops->n + 1, 1)) == NULL)
		return -1;
	if (hmap_reserve(&v->idx, ops->n, want_rehash, v) == -1) {
		errno = ENOMEM;
		return -1;
	}
	for (uint32_t i = 0; i < ops->n; i++) {
		if (ops->v[i].del)
			continue;
		canon_of(&ops->v[i], &v->want[v->nwant]);
		if (hmap_put(&v->idx, hmap_hash(&v->want[v->nwant],
		    sizeof(struct canon)), v->nwant, want_rehash, v) == -1) {
			errno = ENOMEM;
			return -1;
		}
		v->nwant++;
	}
	return 0;
}

/* Every chain of the last skeleton holds as many rules as rpn put there? */
static int
rules_match(struct nft *n, char *why, size_t whylen)
{
	char		 buf[NL_BUF_SIZE];
	struct nlmsghdr	*nlh;
	struct verify	 v;

	memset(&v, 0, sizeof(v));
	for (uint32_t i = 0; i < n->nchains; i++) {
		nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETRULE, NFPROTO_INET,
		    NLM_F_DUMP, 0);
		mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, NFT_TABLE);
		mnl_attr_put_strz(nlh, NFTA_RULE_CHAIN, n->chains[i].name);
		v.rules = 0;
		if (nl_dump(&n->nl, nlh, rule_cb, &v) == -1)
			return -1;
		if (v.rules != n->chains[i].rules) {
			snprintf(why, whylen, "chain %s has %u rules, not %u",
			    n->chains[i].name, v.rules, n->chains[i].rules);
			return 1;
		}
	}
	return 0;
}

int
nft_verify(struct nft *n, const struct dp_ops *ops, char *why, size_t whylen)
{
	struct verify	 v;
	char		 buf[NL_BUF_SIZE];
	struct nlmsghdr	*nlh;
	int		 rc = 0;

	memset(&v, 0, sizeof(v));
	hmap_init(&v.idx);
	why[0] = '\0';
	if (want_build(&v, ops) == -1) {
		rc = -1;
		goto out;
	}
	if ((rc = rules_match(n, why, whylen)) != 0)
		goto out;
	for (uint8_t s = 0; s < DS_NUM; s++) {
		nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM, NFPROTO_INET,
		    NLM_F_DUMP, 0);
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, NFT_TABLE);
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, sets[s].name);
		v.set = s;
		if ((rc = nl_dump(&n->nl, nlh, elem_cb, &v)) == -1)
			goto out;
		if (v.extra > 0 || v.bad) {
			snprintf(why, whylen, "set %s holds %u element%s rpn did "
			    "not put there", sets[s].name, v.extra,
			    v.extra == 1 ? "" : "s");
			rc = 1;
			goto out;
		}
	}
	for (uint32_t i = 0; i < v.nwant; i++)
		if (!v.seen[i]) {
			snprintf(why, whylen, "set %s lacks an element",
			    sets[v.want[i].set].name);
			rc = 1;
			goto out;
		}
out:
	hmap_release(&v.idx);
	free(v.want);
	free(v.seen);
	return rc;
}

static int
table_cb(const struct nlmsghdr *nlh, void *data)
{
	uint64_t		*fp = data;
	const struct nlattr	*a;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		const uint8_t	*u = mnl_attr_get_payload(a);
		uint32_t	 len = mnl_attr_get_payload_len(a);

		if (mnl_attr_get_type(a) != NFTA_TABLE_USERDATA)
			continue;
		for (uint32_t i = 0; i + 2 <= len && i + 2 + u[i + 1] <= len;
		    i += 2 + u[i + 1])
			if (u[i] == UDATA_SKEL && u[i + 1] == sizeof(*fp))
				memcpy(fp, u + i + 2, sizeof(*fp));
	}
	return MNL_CB_OK;
}

/*
 * nft_table_state - what the kernel holds: no table (NFT_TS_NONE), the
 * skeleton rpn would write now, by its fingerprint and every chain's rule
 * count (NFT_TS_SAME), or anything else (NFT_TS_OTHER); -1 with errno
 * when the kernel cannot be asked.
 */
int
nft_table_state(struct nft *n)
{
	char		 buf[NL_BUF_SIZE], why[96];
	struct nlmsghdr	*nlh;
	uint64_t	 have = 0, want = skel_fingerprint(n);
	int		 rc;

	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETTABLE, NFPROTO_INET, 0, 0);
	mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, NFT_TABLE);
	if (nl_request(&n->nl, nlh, table_cb, &have) == -1)
		return errno == ENOENT ? NFT_TS_NONE : -1;
	if (have != want)
		return NFT_TS_OTHER;
	if ((rc = rules_match(n, why, sizeof(why))) == -1)
		return errno == ENOENT ? NFT_TS_OTHER : -1;
	return rc == 0 ? NFT_TS_SAME : NFT_TS_OTHER;
}

/*
 * nft_create - the table, its rules and empty sets, in one small
 * transaction (whatever table inet rpn was there is replaced).
 */
int
nft_create(struct nft *n, uint32_t *usec)
{
	struct batch	 b;
	uint64_t	 fp = skel_fingerprint(n);
	int		 rc;

	memset(&b, 0, sizeof(b));
	put_table(&b, NFT_MSG_NEWTABLE, n->nl.seq++);
	put_table(&b, NFT_MSG_DELTABLE, n->nl.seq++);
	put_table_fp(&b, NFT_MSG_NEWTABLE, n->nl.seq++, &fp);
	put_skeleton(n, &b);
	put_nic_maps(n, &b, 1);
	rc = nft_send(n, &b, usec, 0);
	batch_release(&b);
	return rc;
}

/*
 * nft_nic_maps - the uplinks' maps flushed and filled again in one
 * transaction: the verdict maps are part of the skeleton (fingerprinted),
 * but their elements can be deleted by others like any element; and
 * nic_snat follows the uplinks' addresses.
 */
int
nft_nic_maps(struct nft *n)
{
	struct batch	 b;
	int		 rc;

	memset(&b, 0, sizeof(b));
	for (int map = 0; map < 3; map++) {
		struct nlmsghdr	*nlh;

		if (map > 0 && !nft_marks(&n->cfg))
			break;
		if ((nlh = batch_msg(&b, 256, NFT_MSG_DELSETELEM, NLM_F_ACK,
		    n->nl.seq++)) == NULL)
			break;
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, NFT_TABLE);
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, map == 0 ?
		    "nic_snat" : map == 1 ? "nic_stamp" : "nic_restore");
		batch_done(&b, nlh);
	}
	put_nic_maps(n, &b, 1);
	rc = nft_send(n, &b, NULL, 0);
	batch_release(&b);
	return rc;
}

static int
gen_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr	*a;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
		if (mnl_attr_get_type(a) == NFTA_GEN_ID &&
		    mnl_attr_get_payload_len(a) == sizeof(uint32_t)) {
			*(uint32_t *)data = ntohl(mnl_attr_get_u32(a));
			*((uint32_t *)data + 1) = 1;
		}
	return MNL_CB_OK;
}

/* The ruleset's generation: it changes with every commit, anyone's. */
static int
get_gen(struct nft *n, uint32_t *gen)
{
	char		 buf[NL_BUF_SIZE];
	struct nlmsghdr	*nlh;
	uint32_t	 g[2] = { 0, 0 };

	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETGEN, NFPROTO_UNSPEC, 0, 0);
	if (nl_request(&n->nl, nlh, gen_cb, g) == -1)
		return -1;
	if (!g[1]) {
		errno = EIO;
		return -1;
	}
	*gen = g[0];
	return 0;
}

void
nft_prefetch_drop(struct nft *n)
{
	free(n->pre);
	n->pre = NULL;
	n->npre = 0;
}

/*
 * nft_prefetch - at start, while the engine reads its state: the elements
 * of every set of rpn's table, if it is the skeleton rpn writes (a
 * restart), kept with the ruleset generation they belong to.  Reading
 * 100,000 elements takes the kernel about a third of a second (its set
 * dumps start over for every message), which is then off the path of the
 * first full sync.  Nothing when there is no such table, or when anything
 * was committed while reading.
 */
void
nft_prefetch(struct nft *n)
{
	struct verify	 v;
	char		 buf[NL_BUF_SIZE];
	struct nlmsghdr	*nlh;
	uint32_t	 g0, g1;

	nft_prefetch_drop(n);
	if (nft_table_state(n) != NFT_TS_SAME || get_gen(n, &g0) == -1)
		return;
	memset(&v, 0, sizeof(v));
	v.keeping = 1;
	for (uint8_t s = 0; s < DS_NUM && !v.bad; s++) {
		nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM, NFPROTO_INET,
		    NLM_F_DUMP, 0);
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, NFT_TABLE);
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, sets[s].name);
		v.set = s;
		if (nl_dump(&n->nl, nlh, elem_cb, &v) == -1)
			v.bad = 1;
	}
	if (v.bad || get_gen(n, &g1) == -1 || g1 != g0) {
		free(v.keep);
		return;
	}
	n->pre = v.keep;
	n->npre = v.nkeep;
	n->pregen = g0;
	log_debug("read the %u elements of table inet rpn (generation %u)",
	    v.nkeep, g0);
}

/*
 * nft_diff - the element changes that make the kernel's sets what want
 * (adds only, as dp_plan_all makes them) says: deletes of what the kernel
 * holds and want does not, adds of what it lacks, appended to out.  The
 * LAN ranges (an interval set, whose start and end are separate
 * elements) are replaced whole when they differ at all.
 */
int
nft_diff(struct nft *n, const struct dp_ops *want, struct dp_ops *out)
{
	struct verify	 v;
	struct dp_ops	 lans = { 0 };
	char		 buf[NL_BUF_SIZE];
	struct nlmsghdr	*nlh;
	int		 rc = -1, used_pre = 0;

	memset(&v, 0, sizeof(v));
	hmap_init(&v.idx);
	v.dels = out;
	v.lans = &lans;
	if (want_build(&v, want) == -1)
		goto out;
	if (n->pre != NULL) {
		/* read at start, and nothing committed since (nft_sync) */
		used_pre = 1;
		for (uint32_t i = 0; i < n->npre && !v.bad; i++)
			elem_compare(&v, &n->pre[i]);
		log_debug("compared with the %u elements read at start",
		    n->npre);
		nft_prefetch_drop(n);
		if (v.bad) {
			errno = ENOMEM;
			goto out;
		}
	}
	for (uint8_t s = 0; s < DS_NUM && !v.bad && !used_pre; s++) {
		nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM, NFPROTO_INET,
		    NLM_F_DUMP, 0);
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, NFT_TABLE);
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, sets[s].name);
		v.set = s;
		if (nl_dump(&n->nl, nlh, elem_cb, &v) == -1)
			goto out;
		if (v.bad) {
			errno = ENOMEM;
			goto out;
		}
	}
	for (uint32_t i = 0; i < v.nwant; i++)
		if (!v.seen[i] && v.want[i].set == DS_LANS4)
			v.lans_differ = 1;
	for (uint32_t i = 0; v.lans_differ && i < lans.n; i++) {
		if (array_reserve(&out->v, &out->cap, out->n + 1,
		    sizeof(*out->v)) == -1)
			goto out;
		out->v[out->n++] = lans.v[i];
	}
	for (uint32_t i = 0; i < v.nwant; i++)
		if ((!v.seen[i] || (v.lans_differ && v.want[i].set ==
		    DS_LANS4)) && op_put(out, &v.want[i], 0) == -1)
			goto out;
	rc = 0;
out:
	hmap_release(&v.idx);
	free(v.want);
	free(v.seen);
	dp_ops_release(&lans);
	return rc;
}

/* One group's changes after another, deletes first in each. */
static int
op_cmp_sync(const void *x, const void *y)
{
	const struct dp_op	*a = x, *b = y;
	uint32_t		 ga = dp_op_group(a), gb = dp_op_group(b);

	if (ga != gb)
		return ga < gb ? -1 : 1;
	if (a->del != b->del)
		return a->del ? -1 : 1;
	if (a->set != b->set)
		return a->set < b->set ? -1 : 1;
	return memcmp(a->key, b->key, sizeof(a->key));
}

/* A check run of ops: the groups whose messages the kernel refuses. */
static int
refused_groups(struct nft *n, const struct dp_ops *ops, uint32_t *bad,
    uint32_t max, uint32_t *nbad)
{
	struct batch		 b;
	struct nft_msgmap	 map;

	memset(&b, 0, sizeof(b));
	memset(&map, 0, sizeof(map));
	put_ops(n, &b, ops, &map);
	nft_send(n, &b, NULL, 1);
	batch_release(&b);
	for (uint32_t i = 0; i < n->nfails; i++) {
		uint32_t	 k, j;

		for (k = 0; k < map.n && map.v[k].seq != n->fails[i].seq; k++)
			;
		if (k == map.n) {
			free(map.v);
			return -1;
		}
		for (j = 0; j < *nbad && bad[j] != map.v[k].group; j++)
			;
		if (j == *nbad && *nbad < max)
			bad[(*nbad)++] = map.v[k].group;
	}
	free(map.v);
	return 0;
}

/*
 * nft_apply_bounded - ops in transactions of at most max elements each,
 * cut between groups only (a service's port, the members, the LANs): each
 * group appears in the kernel whole or not at all, and no commit holds the
 * kernel's nftables lock for long.  Groups go in order (the members and
 * the LANs first, so the services that follow are usable at once).  When
 * the kernel refuses a transaction, a check run names the groups at fault;
 * their adds are left out (their deletes still go, so the kernel does not
 * keep an old version of them) and they are returned in bad.  ops is
 * sorted in place.  0, or -1 with errno.
 */
int
nft_apply_bounded(struct nft *n, struct dp_ops *ops, uint32_t max,
    uint32_t *bad, uint32_t maxbad, uint32_t *nbad, struct nft_bounded *st)
{
	struct dp_ops	 tmp = { 0 };
	uint32_t	 i = 0, usec;
	int		 rc = 0;

	memset(st, 0, sizeof(*st));
	*nbad = 0;
	if (ops->n > 1)
		qsort(ops->v, ops->n, sizeof(*ops->v), op_cmp_sync);
	while (i < ops->n && rc == 0) {
		uint32_t	 j = i, had = *nbad;
		struct dp_ops	 view;

		while (j < ops->n) {
			uint32_t	 e = j + 1, g = dp_op_group(&ops->v[j]);

			while (e < ops->n && dp_op_group(&ops->v[e]) == g)
				e++;
			if (j > i && e - i > max)
				break;
			j = e;
		}
		view.v = ops->v + i;
		view.n = view.cap = j - i;
		usec = 0;
		if ((rc = nft_apply(n, &view, &usec)) != 0) {
			int	 err = errno;

			if (err == ENOBUFS || err == ETIMEDOUT || err == ENOMEM ||
			    refused_groups(n, &view, bad, maxbad, nbad) == -1 ||
			    *nbad == had) {
				errno = err;
				break;
			}
			if (st->refused_err == 0)
				st->refused_err = err;
			rc = 0;
			tmp.n = 0;
			for (uint32_t m = i; m < j && rc == 0; m++) {
				const struct dp_op	*op = &ops->v[m];
				int			 held = 0;

				for (uint32_t g = had; g < *nbad; g++)
					held |= bad[g] == dp_op_group(op);
				if (held && !op->del)
					continue;
				if (array_reserve(&tmp.v, &tmp.cap, tmp.n + 1,
				    sizeof(*tmp.v)) == -1) {
					errno = ENOMEM;
					rc = -1;
				} else
					tmp.v[tmp.n++] = *op;
			}
			if (rc == 0 && (rc = nft_apply(n, &tmp, &usec)) != 0)
				break;
		}
		st->txns++;
		st->usec += usec;
		if (usec > st->max_usec)
			st->max_usec = usec;
		i = j;
	}
	dp_ops_release(&tmp);
	return rc;
}

/*
 * nft_sync - make the kernel's table hold ops (the adds of dp_plan_all),
 * in transactions of at most max elements: with no table, the skeleton
 * first, then every group; with the same skeleton, the differences only.
 * With another skeleton, nothing is done and NFT_TS_OTHER returned (the
 * caller replaces the table whole, nft_full_sync()).  ops is replaced by
 * the changes that were sent.  0, NFT_TS_OTHER, or -1 with errno.
 */
int
nft_sync(struct nft *n, struct dp_ops *ops, uint32_t max, uint32_t *bad,
    uint32_t maxbad, uint32_t *nbad, struct nft_bounded *st)
{
	struct dp_ops	 diff = { 0 };
	uint32_t	 u = 0;
	int		 ts, rc;

	memset(st, 0, sizeof(*st));
	*nbad = 0;
	if ((ts = nft_table_state(n)) == -1 || ts == NFT_TS_OTHER) {
		nft_prefetch_drop(n);
		return ts;
	}
	if (ts == NFT_TS_NONE) {
		if (nft_create(n, &u) != 0)
			return -1;
	} else {
		uint32_t	 g;

		/*
		 * What was read at start still stands if nothing was
		 * committed since (nft_nic_maps() below commits our own, to
		 * maps that are not compared).
		 */
		if (n->pre != NULL && (get_gen(n, &g) == -1 || g != n->pregen))
			nft_prefetch_drop(n);
		if (nft_nic_maps(n) != 0 || nft_diff(n, ops, &diff) != 0) {
			dp_ops_release(&diff);
			return -1;
		}
		dp_ops_release(ops);
		*ops = diff;
	}
	nft_prefetch_drop(n);	/* for the first full sync only */
	rc = nft_apply_bounded(n, ops, max, bad, maxbad, nbad, st);
	st->compared = ts == NFT_TS_SAME;
	st->txns++;
	st->usec += u;
	if (u > st->max_usec)
		st->max_usec = u;
	return rc;
}

int
nft_open(struct nft *n, const struct nft_config *cfg, char *err, size_t errlen)
{
	memset(n, 0, sizeof(*n));
	n->cfg = *cfg;
	if (nl_open(&n->nl, NETLINK_NETFILTER) == -1) {
		snprintf(err, errlen, "netfilter socket: %s", strerror(errno));
		return -1;
	}
	return 0;
}

void
nft_close(struct nft *n)
{
	nft_prefetch_drop(n);
	nl_close(&n->nl);
}
