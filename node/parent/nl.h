/* nl.h: libmnl helpers shared by the parent's netlink users. */
#ifndef RPN_NL_H
#define RPN_NL_H

#include <stddef.h>
#include <stdint.h>
#include <libmnl/libmnl.h>

/* A fixed receive buffer (MNL_SOCKET_BUFFER_SIZE asks sysconf at run time). */
#define NL_BUF_SIZE	16384

struct nl {
	struct mnl_socket *sock;
	uint32_t	 portid;
	uint32_t	 seq;
};

/* One refused message of a batch: its sequence number and the kernel's error. */
struct nl_fail {
	uint32_t	 seq;
	int		 err;		/* errno */
};

int	nl_open(struct nl *, int bus);
void	nl_close(struct nl *);
int	nl_request(struct nl *, struct nlmsghdr *, mnl_cb_t, void *);
int	nl_dump(struct nl *, struct nlmsghdr *, mnl_cb_t, void *);
int	nl_send_batch(struct nl *, const void *buf, size_t len, uint32_t lo,
	    uint32_t hi, struct nl_fail *fails, uint32_t maxfails,
	    uint32_t *nfails);

#endif
