/* dataplane.h: the kernel side: requests the engine may send, and the parent's mirror of what is installed. */
#ifndef RPN_DATAPLANE_H
#define RPN_DATAPLANE_H

#include <stddef.h>
#include <stdint.h>

#include "node/core/hmap.h"

#define DP_MAX_BACKENDS	16
#define DP_MAX_ALLOW	16
#define DP_BUCKETS	16	/* load-balancing buckets per multi-backend service */

/*
 * The engine's requests, fixed-size structs checked for exact size and
 * bounds by the parent (priv.c).  A transaction is BEGIN, any number of
 * SVC/MEMBER/LAN, COMMIT; BEGIN with full=1 means what follows is the whole
 * desired state (at start, or after an error).  Addresses are IPv4 in
 * network byte order; ports in host byte order.
 */
struct dp_begin {
	uint32_t	 seq;
	uint8_t		 full;
	uint8_t		 pad[3];
};

struct dp_backend {
	uint32_t	 addr;
	uint16_t	 port;
	uint16_t	 pad;
};

struct dp_prefix {
	uint32_t	 addr;
	uint8_t		 len;
	uint8_t		 pad[3];
};

/*
 * The whole state of one (protocol, port): nbackends 0 removes it.  On the
 * channel it travels packed (dp_svc_pack): the first 8 bytes, then exactly
 * nbackends backends and nallow prefixes, so the parent can check the size
 * exactly and the usual service costs 16 bytes, not 264.
 */
struct dp_svc {
	uint8_t		 proto;		/* 6 or 17 */
	uint8_t		 nbackends;
	uint16_t	 port;
	uint8_t		 public;
	uint8_t		 nallow;
	uint8_t		 pad[2];
	struct dp_backend backends[DP_MAX_BACKENDS];
	struct dp_prefix allow[DP_MAX_ALLOW];
};

#define DP_SVC_HEAD	8
#define DP_SVC_MAXLEN	(DP_SVC_HEAD + DP_MAX_BACKENDS * 8 + DP_MAX_ALLOW * 8)
/*
 * One PRIV_DP_SVC message carries packed requests one after the other, up
 * to this many bytes (about 2,000 usual ones): a cold sync of 100,000
 * ports is 50 messages, not 100,000.
 */
#define DP_SVC_BATCH	(64u << 10)

/* A member's address (len 32) or a member site's LAN prefix. */
struct dp_addr {
	uint8_t		 op;		/* 1 add, 2 delete */
	uint8_t		 pad[3];
	struct dp_prefix p;
};

struct dp_commit {
	uint32_t	 seq;
};

/* The parent's answer to each COMMIT. */
struct dp_result {
	uint32_t	 seq;
	int32_t		 err;		/* 0, or an errno */
	uint32_t	 changes;	/* element changes sent to the kernel */
	uint32_t	 usec;		/* batch sent to commit ack */
};

/*
 * The parent's word on the kernel's table, whenever it changes: ok (it
 * holds what the mirror says, apart from the held groups), repairing
 * (someone changed it, or an update failed), failing (the kernel refuses
 * it; it forwards as before).
 */
enum dp_kstate {
	DP_KS_OK,
	DP_KS_REPAIR,
	DP_KS_FAILING,
	DP_KS_OFF,	/* dataplane no: the kernel is not programmed */
};

#define DP_MAX_HELD	64

struct dp_state {
	uint8_t		 state;		/* enum dp_kstate */
	uint8_t		 pad[3];
	int32_t		 err;		/* the kernel's last refusal, an errno */
	uint64_t	 since;		/* unix ms */
	uint64_t	 repairs;
	uint64_t	 foreign;	/* changes by others seen */
	uint64_t	 verified;	/* comparisons of kernel and mirror that agreed */
	uint64_t	 mismatches;	/* ... that did not */
	uint32_t	 nfailed;
	uint32_t	 failed[DP_MAX_HELD];	/* groups held back (dp_op_group) */
	char		 why[160];
};

/* The sets and maps of table inet rpn whose elements change at run time. */
enum dp_set {
	DS_SVC4,	/* proto . port : addr . port (one backend) */
	DS_SVC4LB,	/* proto . port . bucket : addr . port */
	DS_PUBLIC,	/* proto . port open to all */
	DS_ALLOW4,	/* proto . port . saddr intervals: --allow */
	DS_MEMBERS4,	/* member addresses */
	DS_LANS4,	/* member sites' LANs: saddr intervals, merged */
	DS_NUM
};

extern const char *const dp_set_names[DS_NUM];

/* An inclusive IPv4 range in host order: prefixes merged for the kernel. */
struct dp_range {
	uint32_t	 lo;
	uint32_t	 hi;
};

/* One element change. */
struct dp_op {
	uint8_t		 set;		/* enum dp_set */
	uint8_t		 del;
	uint8_t		 klen;
	uint8_t		 dlen;
	uint8_t		 end;		/* DS_LANS4: the element ends an interval */
	uint8_t		 key[12];
	uint8_t		 key_end[12];	/* intervals only */
	uint8_t		 data[8];
};

struct dp_ops {
	struct dp_op	*v;
	uint32_t	 n;
	uint32_t	 cap;
};

/* UDP flows to forget after a commit: original port, old backend. */
struct dp_flush {
	uint8_t		 proto;
	uint16_t	 port;
	uint32_t	 backend_addr;
	uint16_t	 backend_port;
};

/* An installed service, compact: most have one backend and no prefixes. */
struct dp_entry {
	uint8_t		 proto;
	uint8_t		 nbackends;
	uint8_t		 public;
	uint8_t		 nallow;
	uint16_t	 port;
	uint16_t	 pad;
	struct dp_backend one;		/* when nbackends == 1 */
	void		*ext;		/* else: backends, then prefixes */
};

struct dp_mirror {
	struct dp_entry	*svcs;		/* installed, one per (protocol, port) */
	uint32_t	 nsvcs;
	uint32_t	 capsvcs;
	struct hmap	 svcidx;
	uint32_t	*members;
	uint32_t	 nmembers;
	uint32_t	 capmembers;
	struct hmap	 memidx;
	struct dp_prefix *lans;		/* as requested, overlaps and all */
	uint32_t	 nlans;
	uint32_t	 caplans;
	struct hmap	 lanidx;
	struct dp_range	*lanivs;	/* installed: merged, sorted */
	uint32_t	 nlanivs;
	uint32_t	 caplanivs;
	int		 lans_dirty;
};

void	dp_mirror_init(struct dp_mirror *);
void	dp_mirror_release(struct dp_mirror *);
void	dp_mirror_clear(struct dp_mirror *);
int	dp_mirror_svc(const struct dp_mirror *, uint8_t proto, uint16_t port,
	    struct dp_svc *);
size_t	dp_svc_pack(const struct dp_svc *, uint8_t out[DP_SVC_MAXLEN]);
int	dp_svc_unpack(const uint8_t *, size_t, struct dp_svc *);
int	dp_svc_unpack_next(const uint8_t **, size_t *, struct dp_svc *);

int	dp_svc_valid(const struct dp_svc *);
int	dp_addr_valid(const struct dp_addr *);
int	dp_addr_unpack(const void *, size_t, int lan, struct dp_addr *);
int	dp_plan_svc(struct dp_mirror *, const struct dp_svc *, struct dp_ops *,
	    struct dp_flush *, uint32_t *nflush, uint32_t maxflush);
int	dp_plan_addr(struct dp_mirror *, uint8_t lan, const struct dp_addr *,
	    struct dp_ops *);
/* An element's group: a service's (proto, port) key, or the members, or the LANs. */
#define DP_GROUP_MEMBERS	1u
#define DP_GROUP_LANS		2u

uint32_t dp_op_group(const struct dp_op *);
int	dp_ops_without(struct dp_ops *, const uint32_t *groups, uint32_t n);
int	dp_plan_lans(struct dp_mirror *, struct dp_ops *);
int	dp_plan_all(struct dp_mirror *, struct dp_ops *);
uint32_t dp_merge(const struct dp_prefix *, uint32_t n, struct dp_range *out);
void	dp_ops_reset(struct dp_ops *);
void	dp_ops_release(struct dp_ops *);

#endif
