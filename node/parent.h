/* parent.h: the privileged parent's state, shared by rpnd.c and priv.c only. */
#ifndef RPN_PARENT_H
#define RPN_PARENT_H

#include <sys/types.h>

#include "node/config.h"
#include "node/dataplane.h"
#include "node/ifaces.h"
#include "node/nft.h"
#include "node/routes.h"

#define MAX_FLUSH	256

struct parent {
	const char		*cfg_path;
	int			 cfg_explicit;
	const char		*sock;
	const char		*state_dir;
	struct rpnd_config	 cfg;
	pid_t			 engine;
	int			 privfd;
	int			 ctlfd;
	int			 debug;

	/* the kernel side */
	int			 dp_on;		/* nft and routes are set up */
	struct nft		 nft;
	struct routes		 rt;
	struct iface_info	 ups[CFG_MAX_UPLINKS];
	int			 nups;
	char			 lans[CFG_MAX_LANS][16];
	int			 nlans;
	int			 strict;
	struct dp_mirror	 mirror;
	struct dp_ops		 ops;
	struct dp_flush		 flush[MAX_FLUSH];
	uint32_t		 nflush;
	int			 in_txn;
	int			 txn_full;
	int			 synced;	/* a full sync has been done */
};

int	dp_setup(struct parent *, char *err, size_t errlen);
void	dp_teardown(struct parent *, int remove);
void	dp_check(struct parent *);

#endif
