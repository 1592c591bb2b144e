/* nft.h: rpn's nftables table, programmed through libnftnl and libmnl (parent only). */
#ifndef RPN_NFT_H
#define RPN_NFT_H

#include <stdint.h>
#include <net/if.h>

#include "node/core/dataplane.h"
#include "node/parent/nl.h"

#define NFT_TABLE	"rpn"
#define NFT_MAX_UPLINKS	8
#define NFT_MAX_CHAINS	32

struct nft_config {
	uint32_t	 mask;		/* the 8 mark bits rpn may use */
	int		 strict;	/* restore the uplink mark in both directions (R7) */
	uint8_t		 nuplinks;
	uint8_t		 plain;		/* one uplink whose replies the main table
					   routes as its own table would */
	struct {
		char	 name[IFNAMSIZ];
		uint32_t ifindex;
		uint32_t snat;	/* IPv4 address, network order, that legs
				   leaving by it take; 0: masquerade */
	} uplinks[NFT_MAX_UPLINKS];
};

struct canon;

struct nft {
	struct nl	 nl;
	struct nft_config cfg;
	uint32_t	 sndbuf;
	uint32_t	 rcvbuf;
	struct nl_fail	 fails[8];	/* of the last transaction */
	uint32_t	 nfails;
	struct {
		char	 name[32];
		uint32_t rules;
	}		 chains[NFT_MAX_CHAINS];	/* of the last skeleton */
	uint32_t	 nchains;
	/*
	 * The sets' elements as read at start (nft_prefetch), while the
	 * engine restores its state, and the ruleset generation they are
	 * of; the first full sync compares with them if the generation is
	 * still the same, instead of reading 100k elements again then.
	 */
	struct canon	*pre;
	uint32_t	 npre;
	uint32_t	 pregen;
};

/* Which group (dp_op_group()) each element message of a batch carries. */
struct nft_msgmap {
	struct {
		uint32_t seq;
		uint32_t group;
	}		*v;
	uint32_t	 n;
	uint32_t	 cap;
};

/* News of nftables changes: what others did to table inet rpn. */
struct nft_watch {
	struct mnl_socket *sock;
	uint64_t	 foreign;	/* messages about our table from others */
	uint64_t	 lost;		/* overruns */
};

#define NFT_NEWS_ELEMS	0x1	/* someone added or deleted our elements */
#define NFT_NEWS_SKEL	0x2	/* ... a rule, chain, set, or the table */
#define NFT_NEWS_LOST	0x4	/* news was lost: look at the table */

/* What nft_table_state() finds in the kernel. */
#define NFT_TS_NONE	0	/* no table inet rpn */
#define NFT_TS_SAME	1	/* the skeleton rpn would write now */
#define NFT_TS_OTHER	2	/* another skeleton (an upgrade, other uplinks, an edit) */

/* Default bound of one transaction of a full sync, in elements. */
#define NFT_SYNC_CHUNK	2000

struct nft_bounded {
	uint32_t	 txns;		/* transactions sent */
	uint32_t	 usec;		/* all of them, sent to acked */
	uint32_t	 max_usec;	/* the longest one */
	int		 refused_err;	/* why groups were left out (errno) */
	int		 compared;	/* the kernel's elements were read and compared */
};

int	nft_table_state(struct nft *);
int	nft_create(struct nft *, uint32_t *usec);
int	nft_nic_maps(struct nft *);
int	nft_diff(struct nft *, const struct dp_ops *want, struct dp_ops *out);
void	nft_prefetch(struct nft *);
void	nft_prefetch_drop(struct nft *);
int	nft_apply_bounded(struct nft *, struct dp_ops *, uint32_t max,
	    uint32_t *bad, uint32_t maxbad, uint32_t *nbad, struct nft_bounded *);
int	nft_sync(struct nft *, struct dp_ops *, uint32_t max, uint32_t *bad,
	    uint32_t maxbad, uint32_t *nbad, struct nft_bounded *);

int	nft_watch_open(struct nft_watch *);
void	nft_watch_close(struct nft_watch *);
int	nft_watch_fd(const struct nft_watch *);
int	nft_watch_read(struct nft_watch *, uint32_t own_portid);
int	nft_verify(struct nft *, const struct dp_ops *, char *why, size_t);

int	nft_open(struct nft *, const struct nft_config *, char *err, size_t);
int	nft_full_sync_check(struct nft *, const struct dp_ops *, uint32_t *bad,
	    uint32_t max, uint32_t *nbad, int *skel);
void	nft_close(struct nft *);
int	nft_full_sync(struct nft *, const struct dp_ops *, uint32_t *usec);
int	nft_apply(struct nft *, const struct dp_ops *, uint32_t *usec);
int	nft_remove(struct nft *);
uint32_t nft_translated_bit(const struct nft_config *);
int	nft_marks(const struct nft_config *);

#endif
