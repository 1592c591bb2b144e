/* routes.h: per-uplink return routing: tables, fwmark rules, sysctls (parent only). */
#ifndef RPN_ROUTES_H
#define RPN_ROUTES_H

#include <stdint.h>

#include "node/core/netview.h"
#include "node/parent/nl.h"

#define RTPROT_RPN	114	/* rpn's own route and rule protocol tag */
#define RT_TABLE_BASE	100	/* uplink k uses table 100 + k */
#define RT_PREF_GUARD	900
#define RT_PREF_MARK	1000
#define RT_PREF_FROM_GUARD 1050
#define RT_PREF_FROM	1100
#define RT_MAX_SAVED	128

struct sysctl_saved {
	char		 path[128];
	char		 value[16];
};

struct routes {
	struct nl	 nl;
	struct sysctl_saved saved[RT_MAX_SAVED];	/* first values seen */
	int		 nsaved;
	uint32_t	 added;		/* rules and routes put (back) */
	uint32_t	 removed;
};

int	routes_open(struct routes *);
void	routes_close(struct routes *);
int	routes_reconcile(struct routes *, const struct netview *, uint32_t mask,
	    int strict, char *err, size_t errlen);
int	routes_flush(struct routes *);
int	routes_sysctls(struct routes *, const struct netview *, int strict,
	    int *saved_more, char *err, size_t errlen);
int	routes_sysctls_restore(struct routes *);
int	routes_sysctl_path_ok(const char *path);
int	routes_all_rp_filter(void);

#endif
