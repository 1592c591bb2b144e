/* nft.h: rpn's nftables table, programmed through libnftnl and libmnl (parent only). */
#ifndef RPN_NFT_H
#define RPN_NFT_H

#include <stdint.h>
#include <net/if.h>

#include "node/dataplane.h"
#include "node/nl.h"

#define NFT_TABLE	"rpn"
#define NFT_MAX_UPLINKS	8

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
};

int	nft_open(struct nft *, const struct nft_config *, char *err, size_t);
void	nft_close(struct nft *);
int	nft_full_sync(struct nft *, const struct dp_ops *, uint32_t *usec);
int	nft_apply(struct nft *, const struct dp_ops *, uint32_t *usec);
int	nft_remove(struct nft *);
int	nft_table_exists(struct nft *);
uint32_t nft_translated_bit(const struct nft_config *);

#endif
