/* parse.h: strict text parsers shared by the config file, the CLIs and rpnd. */
#ifndef RPN_PARSE_H
#define RPN_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "proto/wire.h"

int	parse_ip(const char *, struct wire_addr *);
int	parse_prefix(const char *, struct wire_prefix *, const char **why);
void	fmt_prefix(char *, size_t, const struct wire_prefix *);
int	prefix_contains(const struct wire_prefix *, const struct wire_addr *);
int	parse_addrport(const char *, uint16_t defport, struct wire_addr *);
int	parse_port(const char *, uint16_t *);
int	parse_duration(const char *, uint64_t *ms);
int	parse_u64(const char *, uint64_t max, uint64_t *);
char	*parse_trim(char *);
void	fmt_addr(char *, size_t, const struct wire_addr *, int with_port);
void	fmt_duration(char *, size_t, uint64_t ms);
void	fmt_duration_exact(char *, size_t, uint64_t ms);
void	fmt_hex(char *, const uint8_t *, size_t);
int	addr_to_sockaddr(const struct wire_addr *, struct sockaddr_storage *,
	    socklen_t *);
int	addr_from_sockaddr(struct wire_addr *, const struct sockaddr *);
int	addr_eq(const struct wire_addr *, const struct wire_addr *);

#define ADDRSTRLEN	(46 + 8)

#endif
