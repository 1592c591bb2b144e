/* parent.h: the privileged parent's state, shared by rpnd.c, priv.c and host.c only. */
#ifndef RPN_PARENT_H
#define RPN_PARENT_H

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

#include "node/core/config.h"
#include "node/core/dataplane.h"
#include "node/parent/netmon.h"
#include "node/core/netview.h"
#include "node/parent/nft.h"
#include "node/core/privsep.h"
#include "node/parent/routes.h"

#define MAX_FLUSH	256
#define DP_LOGLIM	16

struct parent {
	const char		*cfg_path;
	int			 cfg_explicit;
	int			 argc;		/* for --uplink and --lan at SIGHUP */
	char			**argv;
	const char		*sock;
	const char		*state_dir;
	struct rpnd_config	 cfg;
	pid_t			 engine;
	int			 engine_fd;	/* rpnd-engine, opened at start */
	char			 engine_path[PATH_MAX];
	int			 privfd;
	int			 ctlfd;
	int			 debug;

	/* the host: interfaces, rules, routes, sysctls (host.c) */
	struct routes		 rt;
	struct netmon		 mon;
	struct netview		 view;
	struct nv_sticky	 sticky;
	char			 saved[PATH_MAX];	/* SOCKET.kernel */
	int			 host_on;	/* rt, mon and nft are open */
	int			 active;	/* rpn's kernel state is in place */
	int			 strict;
	uint64_t		 look_at;	/* look at the host again (ms) */
	uint64_t		 next_look;	/* the periodic look */

	/* nftables (priv.c) */
	struct nft		 nft;
	struct dp_mirror	 mirror;
	struct dp_ops		 ops;
	struct dp_flush		 flush[MAX_FLUSH];
	uint32_t		 nflush;
	int			 in_txn;
	int			 txn_full;
	uint64_t		 txn_began;	/* CLOCK_MONOTONIC usec, for the debug log */
	int			 synced;	/* a full sync has been done */
	int			 skel_dirty;	/* someone edited the skeleton */
	int			 just_compared;	/* the last full sync compared every element */
	uint32_t		 sync_chunk;	/* elements per transaction of a full sync */
	uint32_t		 sync_txns;	/* of the last full sync */
	uint32_t		 sync_max_usec;	/* its longest transaction */

	/* keeping the kernel's table right (dpstate.c) */
	struct nft_watch	 watch;
	int			 kstate;	/* enum dp_kstate */
	int			 kerr;
	uint64_t		 ksince;
	char			 kwhy[160];
	uint64_t		 repair_at;	/* ms; 0: none due */
	uint64_t		 news_at;	/* ms: news of a foreign change came */
	uint64_t		 fight_start;	/* repairs for foreign changes ... */
	uint32_t		 fight_n;	/* ... counted in this second */
	uint64_t		 fight_delay;	/* ms before the next such repair */
	uint32_t		 backoff_ms;
	uint32_t		 held[DP_MAX_HELD];	/* groups the kernel refuses */
	uint32_t		 nheld;
	int			 held_err;	/* why the kernel refuses them */
	uint64_t		 repairs;
	uint64_t		 verified;
	uint64_t		 verify_bad;
	struct {
		uint64_t	 hash;
		uint64_t	 at;
	}			 loglim[DP_LOGLIM];
};

/* host.c */
int	host_init(struct parent *, char *err, size_t errlen);
void	host_close(struct parent *);
int	host_activate(struct parent *);
void	host_refresh(struct parent *);
void	host_reload(struct parent *, const struct rpnd_config *);
void	host_teardown(struct parent *);
/* What "rpnd --teardown" found and did (host_teardown_offline()). */
struct teardown_report {
	int		 steps;		/* done: 1 the table, 2 routes, 3 sysctls */
	int		 table;		/* table inet rpn was there, and is gone */
	uint32_t	 routes;	/* rules and routes removed */
	int		 saved_found;	/* SOCKET.kernel was there */
	int		 nsaved;	/* sysctl values it held */
	int		 restored;	/* ... put back */
	char		 saved[PATH_MAX];	/* where it was looked for */
};
int	host_teardown_offline(const char *sock, struct teardown_report *,
	    char *err, size_t errlen);
int	host_send_view(struct parent *);
int	host_poll_timeout(struct parent *);
void	host_on_news(struct parent *);
void	host_timers(struct parent *);
uint64_t host_now_ms(void);

/* priv.c: the channel to the engine, and the engine's user */
int	priv_dispatch(struct parent *, const struct priv_hdr *, const void *);
int	priv_send(int fd, uint16_t type, const void *, size_t);
ssize_t	priv_recv(int fd, struct priv_hdr *, void *, size_t cap);
int	priv_lookup_user(const char *want, uid_t *, gid_t *, char *err,
	    size_t errlen);

/* dpstate.c */
int	dp_commit(struct parent *, const struct dp_commit *);
uint64_t dp_mono_usec(void);
void	dp_prefetch(struct parent *);
int	dp_full_sync(struct parent *);
void	dp_reset(struct parent *);
void	dp_repair(struct parent *);
void	dp_news(struct parent *);
int	dp_poll_timeout(struct parent *);
void	dp_timers(struct parent *);

#endif
