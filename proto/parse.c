/* parse.c: addresses, ports and durations from text, and back. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/parse.h"

int
parse_ip(const char *s, struct wire_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a->ip) == 1) {
		a->family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, a->ip) == 1) {
		a->family = 6;
		return 0;
	}
	return -1;
}

/*
 * parse_prefix - "203.0.113.0/24", "2001:db8::/32", or a bare address
 * (/32 or /128).  Host bits must be zero, so a prefix has one spelling.
 */
int
parse_prefix(const char *s, struct wire_prefix *p, const char **why)
{
	char			 addr[INET6_ADDRSTRLEN + 1];
	const char		*slash = strchr(s, '/');
	struct wire_addr	 a;
	uint64_t		 len;
	size_t			 n = slash ? (size_t)(slash - s) : strlen(s);
	const char		*dummy;

	if (why == NULL)
		why = &dummy;
	memset(p, 0, sizeof(*p));
	if (n >= sizeof(addr)) {
		*why = "not an address";
		return -1;
	}
	memcpy(addr, s, n);
	addr[n] = '\0';
	if (parse_ip(addr, &a) == -1) {
		*why = "not an IP address";
		return -1;
	}
	p->family = a.family;
	memcpy(p->ip, a.ip, 16);
	if (slash == NULL)
		len = a.family == 4 ? 32 : 128;
	else if (parse_u64(slash + 1, a.family == 4 ? 32 : 128, &len) == -1) {
		*why = "the prefix length is out of range";
		return -1;
	}
	p->len = (uint8_t)len;
	for (unsigned bit = p->len; bit < (a.family == 4 ? 32u : 128u); bit++)
		if (p->ip[bit / 8] & (0x80 >> (bit % 8))) {
			*why = "it has host bits set";
			return -1;
		}
	return 0;
}

void
fmt_prefix(char *out, size_t cap, const struct wire_prefix *p)
{
	struct wire_addr	 a;
	char			 ip[ADDRSTRLEN];

	memset(&a, 0, sizeof(a));
	a.family = p->family;
	memcpy(a.ip, p->ip, 16);
	fmt_addr(ip, sizeof(ip), &a, 0);
	snprintf(out, cap, "%s/%u", ip, p->len);
}

int
prefix_contains(const struct wire_prefix *p, const struct wire_addr *a)
{
	if (p->family != a->family)
		return 0;
	for (unsigned bit = 0; bit < p->len; bit++) {
		uint8_t	 m = 0x80 >> (bit % 8);

		if ((p->ip[bit / 8] & m) != (a->ip[bit / 8] & m))
			return 0;
	}
	return 1;
}

/*
 * parse_trim - s without the ASCII whitespace around it (a token or a key
 * pasted with a space, a CR or a newline): the end is cut in place, and
 * the return value points past the start's.
 */
char *
parse_trim(char *s)
{
	static const char	 ws[] = " \t\n\v\f\r";
	size_t			 n;

	s += strspn(s, ws);
	n = strlen(s);
	while (n > 0 && strchr(ws, s[n - 1]) != NULL)
		s[--n] = '\0';
	return s;
}

int
parse_u64(const char *s, uint64_t max, uint64_t *v)
{
	char			*end;
	unsigned long long	 x;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || x > max)
		return -1;
	*v = x;
	return 0;
}

int
parse_port(const char *s, uint16_t *port)
{
	uint64_t	 v;

	if (parse_u64(s, 65535, &v) == -1 || v == 0)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

/* parse_addrport - "1.2.3.4", "1.2.3.4:80", "2001:db8::1" or "[2001:db8::1]:80". */
int
parse_addrport(const char *s, uint16_t defport, struct wire_addr *a)
{
	char		 host[INET6_ADDRSTRLEN + 1];
	const char	*colon, *port = NULL;
	size_t		 n;

	if (s[0] == '[') {
		const char	*rb = strchr(s, ']');

		if (rb == NULL || (size_t)(rb - s - 1) >= sizeof(host))
			return -1;
		n = (size_t)(rb - s - 1);
		memcpy(host, s + 1, n);
		host[n] = '\0';
		if (rb[1] == ':')
			port = rb + 2;
		else if (rb[1] != '\0')
			return -1;
		if (parse_ip(host, a) == -1 || a->family != 6)
			return -1;
	} else if ((colon = strchr(s, ':')) != NULL &&
	    strchr(colon + 1, ':') == NULL) {
		n = (size_t)(colon - s);
		if (n >= sizeof(host))
			return -1;
		memcpy(host, s, n);
		host[n] = '\0';
		port = colon + 1;
		if (parse_ip(host, a) == -1 || a->family != 4)
			return -1;
	} else if (parse_ip(s, a) == -1)
		return -1;
	if (port != NULL)
		return parse_port(port, &a->port);
	a->port = defport;
	return 0;
}

/* parse_duration - "250ms", "30s", "10m", "2h", "7d"; a bare number is seconds. */
int
parse_duration(const char *s, uint64_t *ms)
{
	char		 num[24];
	const char	*u = s;
	uint64_t	 v, mult;
	size_t		 n;

	while (*u >= '0' && *u <= '9')
		u++;
	n = (size_t)(u - s);
	if (n == 0 || n >= sizeof(num))
		return -1;
	memcpy(num, s, n);
	num[n] = '\0';
	if (parse_u64(num, UINT64_MAX, &v) == -1)
		return -1;
	if (strcmp(u, "ms") == 0)
		mult = 1;
	else if (*u == '\0' || strcmp(u, "s") == 0)
		mult = 1000;
	else if (strcmp(u, "m") == 0)
		mult = 60 * 1000;
	else if (strcmp(u, "h") == 0)
		mult = 3600 * 1000;
	else if (strcmp(u, "d") == 0)
		mult = 86400 * 1000;
	else
		return -1;
	if (v > UINT64_MAX / mult)
		return -1;
	*ms = v * mult;
	return 0;
}

/*
 * fmt_duration_exact - ms in the largest unit parse_duration() reads that
 * holds it exactly (fmt_duration() rounds, for people): 3600000 is "1h",
 * 1500 is "1500ms", 0 is "0s".
 */
void
fmt_duration_exact(char *out, size_t cap, uint64_t ms)
{
	static const struct {
		const char	*unit;
		uint64_t	 ms;
	} units[] = {
		{ "d", 86400000 }, { "h", 3600000 }, { "m", 60000 },
		{ "s", 1000 },
	};

	if (ms == 0) {
		snprintf(out, cap, "0s");
		return;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (ms % units[i].ms == 0) {
			snprintf(out, cap, "%llu%s",
			    (unsigned long long)(ms / units[i].ms), units[i].unit);
			return;
		}
	snprintf(out, cap, "%llums", (unsigned long long)ms);
}

void
fmt_addr(char *out, size_t cap, const struct wire_addr *a, int with_port)
{
	char	 ip[INET6_ADDRSTRLEN];

	if (inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->ip, ip,
	    sizeof(ip)) == NULL) {
		snprintf(out, cap, "?");
		return;
	}
	if (!with_port)
		snprintf(out, cap, "%s", ip);
	else if (a->family == 4)
		snprintf(out, cap, "%s:%u", ip, a->port);
	else
		snprintf(out, cap, "[%s]:%u", ip, a->port);
}

void
fmt_duration(char *out, size_t cap, uint64_t ms)
{
	if (ms < 10 * 1000)
		snprintf(out, cap, "%.1fs", ms / 1000.0);
	else if (ms < 120 * 1000)
		snprintf(out, cap, "%llus", (unsigned long long)(ms / 1000));
	else if (ms < 120 * 60 * 1000)
		snprintf(out, cap, "%llum", (unsigned long long)(ms / 60000));
	else if (ms < 48ULL * 3600 * 1000)
		snprintf(out, cap, "%lluh", (unsigned long long)(ms / 3600000));
	else
		snprintf(out, cap, "%llud", (unsigned long long)(ms / 86400000));
}

void
fmt_hex(char *out, const uint8_t *p, size_t n)
{
	static const char	 hx[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hx[p[i] >> 4];
		out[2 * i + 1] = hx[p[i] & 15];
	}
	out[2 * n] = '\0';
}

int
addr_to_sockaddr(const struct wire_addr *a, struct sockaddr_storage *ss,
    socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == 4) {
		struct sockaddr_in	*sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(a->port);
		memcpy(&sin->sin_addr, a->ip, 4);
		*len = sizeof(*sin);
		return 0;
	}
	if (a->family == 6) {
		struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(a->port);
		memcpy(&sin6->sin6_addr, a->ip, 16);
		*len = sizeof(*sin6);
		return 0;
	}
	return -1;
}

int
addr_from_sockaddr(struct wire_addr *a, const struct sockaddr *sa)
{
	memset(a, 0, sizeof(*a));
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in	*sin = (const void *)sa;

		a->family = 4;
		memcpy(a->ip, &sin->sin_addr, 4);
		a->port = ntohs(sin->sin_port);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6	*sin6 = (const void *)sa;

		/* A v4-mapped address is the v4 address. */
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			a->family = 4;
			memcpy(a->ip, (const uint8_t *)&sin6->sin6_addr + 12, 4);
		} else {
			a->family = 6;
			memcpy(a->ip, &sin6->sin6_addr, 16);
		}
		a->port = ntohs(sin6->sin6_port);
		return 0;
	}
	return -1;
}

int
addr_eq(const struct wire_addr *a, const struct wire_addr *b)
{
	return a->family == b->family && a->port == b->port &&
	    memcmp(a->ip, b->ip, a->family == 4 ? 4 : 16) == 0;
}
