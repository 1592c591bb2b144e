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
	struct {
		char	 name[IFNAMSIZ];
		uint32_t ifindex;
	} uplinks[NFT_MAX_UPLINKS];
};

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

#endif
