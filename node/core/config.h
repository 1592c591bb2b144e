/* config.h: rpnd.conf, parsed into one struct; a bad file never replaces a good one. */
#ifndef RPN_CONFIG_H
#define RPN_CONFIG_H

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <net/if.h>

#include "node/core/mesh.h"
#include "proto/wire.h"

#define RPND_CONF	"/etc/rpn/rpnd.conf"
#define RPND_SOCK	"/run/rpn/rpnd.sock"
#define RPND_STATE	"/var/lib/rpn"
/*
 * rpnd's command line: one option string and table for the three places
 * that read it, the parent's main() and load_config() and engine_main().
 * The parent starts the engine as "rpnd-engine -E UID:GID:VERSION" followed
 * by its own arguments; -E is internal (rpnd(8)) and left out of the usage
 * text.
 */
#define RPND_OPTSTRING	"dE:f:hnS:s:Vv"
extern const struct option config_longopts[];

#ifndef RPN_WEB_ROOT		/* the Makefile passes $(PREFIX)/share/rpn/web */
#define RPN_WEB_ROOT	"/usr/local/share/rpn/web"
#endif
#define HTTP_PORT_DEFAULT	7481
#define CFG_WEB_ROOT_MAX	256

#define CFG_MAX_UPLINKS	8
#define CFG_MAX_LANS	16

struct cfg_uplink {
	char		 ifname[IFNAMSIZ];
	int		 has_gw;
	struct wire_addr gw;
};

/* Where settings came from, for messages: file lines, 0 if not the file. */
struct cfg_lines {
	int		 user;
	int		 uplink[CFG_MAX_UPLINKS];
	int		 lan[CFG_MAX_LANS];
};

struct rpnd_config {
	char		 name[WIRE_NAME_MAX + 1];
	struct wire_addr listen;
	struct wire_addr advertise[WIRE_MAX_ADDRS];
	uint8_t		 nadvertise;
	char		 user[64];
	struct mesh_config mesh;
	struct cfg_uplink uplinks[CFG_MAX_UPLINKS];
	uint8_t		 nuplinks;
	char		 lans[CFG_MAX_LANS][IFNAMSIZ];
	uint8_t		 nlans;
	uint32_t	 mark_mask;
	int		 keep_on_exit;
	int		 strict_rpf;
	int		 remote_services;	/* members may add backends here */
	int		 dataplane;	/* program this host's kernel */
	struct wire_addr http_listen;	/* family 0: off */
	struct wire_addr https_listen;	/* family 0: off (the default) */
	char		 web_root[CFG_WEB_ROOT_MAX];
	int		 http_metrics_all;	/* /metrics to everyone, not loopback only */
	struct cfg_lines line;
};

void	config_default(struct rpnd_config *);
int	config_parse(const char *text, size_t len, const char *fname,
	    struct rpnd_config *, char *err, size_t errlen);
int	config_read(const char *path, int must_exist, struct rpnd_config *,
	    char *err, size_t errlen);
void	config_print(FILE *, const struct rpnd_config *);
int	config_add_uplink(struct rpnd_config *, const char *spec, char *err,
	    size_t errlen);
int	config_add_lan(struct rpnd_config *, const char *ifname, char *err,
	    size_t errlen);
int	config_set_web_root(struct rpnd_config *, const char *dir, char *err,
	    size_t errlen);

#endif
