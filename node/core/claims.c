/* claims.c: what a member says about itself, checked: its addresses proven, its LAN prefixes judged (pure). */
#include <string.h>

#include "node/core/claims.h"
#include "proto/parse.h"

/* Addresses are the same address whatever port they name. */
static int
same_ip(const struct wire_addr *a, const struct wire_addr *b)
{
	return a->family != 0 && a->family == b->family &&
	    memcmp(a->ip, b->ip, a->family == 4 ? 4 : 16) == 0;
}

/*
 * claims_advertised - the member's node record now lists these addresses.
 * An address it listed before keeps its proof; a new one (a changed
 * address is a new one) starts unproven, unless it is where the member's
 * authenticated traffic last came from, and is due for its first
 * challenge at first_try; one it no longer lists is forgotten.  1 when the
 * proven addresses changed.
 */
int
claims_advertised(struct claims *c, const struct wire_addr *addrs, uint8_t n,
    uint64_t first_try)
{
	struct claims	 old = *c;
	int		 changed = 0;

	if (n > WIRE_MAX_ADDRS)
		n = WIRE_MAX_ADDRS;
	memset(c->a, 0, sizeof(c->a));
	c->n = 0;
	for (uint8_t i = 0; i < n; i++) {
		struct claim	*cl = &c->a[c->n++];
		int		 known = 0;

		cl->addr = addrs[i];
		cl->next_try = first_try;
		for (uint8_t j = 0; j < old.n && !known; j++)
			if (same_ip(&old.a[j].addr, &addrs[i])) {
				cl->proven = old.a[j].proven;
				cl->quiet = old.a[j].quiet;
				cl->next_try = old.a[j].next_try;
				cl->backoff = old.a[j].backoff;
				known = 1;
			}
		if (!cl->proven && same_ip(&c->seen, &addrs[i])) {
			cl->proven = 1;
			changed = 1;
		}
	}
	for (uint8_t j = 0; j < old.n; j++)
		if (old.a[j].proven && !claims_proven(c, &old.a[j].addr))
			changed = 1;
	return changed;
}

/*
 * claims_seen - authenticated traffic from the member (a box that opened
 * with its pair key) came from src.  1 when that proved an address.
 */
int
claims_seen(struct claims *c, const struct wire_addr *src, uint64_t now)
{
	int	 changed = 0;

	(void)now;
	if (src->family != 4 && src->family != 6)
		return 0;
	memset(&c->seen, 0, sizeof(c->seen));
	c->seen.family = src->family;
	memcpy(c->seen.ip, src->ip, sizeof(c->seen.ip));
	for (uint8_t i = 0; i < c->n; i++)
		if (!c->a[i].proven && same_ip(&c->a[i].addr, src)) {
			c->a[i].proven = 1;
			c->a[i].backoff = 0;
			changed = 1;
		}
	return changed;
}

/* claims_proven - the address (any port) is advertised and proven. */
int
claims_proven(const struct claims *c, const struct wire_addr *a)
{
	for (uint8_t i = 0; c != NULL && i < c->n; i++)
		if (c->a[i].proven && same_ip(&c->a[i].addr, a))
			return 1;
	return 0;
}

/*
 * claims_restore - a proof this node made before it restarted (the state
 * file): it counts while the address is still advertised.  1 if it did.
 */
int
claims_restore(struct claims *c, const struct wire_addr *a)
{
	int	 changed = 0;

	for (uint8_t i = 0; c != NULL && i < c->n; i++)
		if (!c->a[i].proven && same_ip(&c->a[i].addr, a)) {
			c->a[i].proven = 1;
			changed = 1;
		}
	return changed;
}

/*
 * claims_due - the unproven addresses to challenge now, each address once
 * (whatever ports it is listed with), at most max; each is due again after
 * a delay that doubles up to CLAIM_RETRY_MAX_MS while it does not answer.
 * dgram[k] (when dgram is not NULL) says out[k] is in its first two
 * tries, at once and a second later: the caller sends a datagram, which
 * costs less than a stream and proves an address the member sends from.
 * Two, because a member busy with a burst of joins may answer the first
 * late; the tries from the third on, 3 s after the first, go as streams.
 */
uint32_t
claims_due(struct claims *c, uint64_t now, struct wire_addr *out,
    uint8_t *dgram, uint32_t max)
{
	uint32_t	 k = 0;

	for (uint8_t i = 0; c != NULL && i < c->n && k < max; i++) {
		struct claim	*cl = &c->a[i];
		int		 dup = 0;

		if (cl->proven || cl->quiet || cl->next_try > now ||
		    (cl->addr.family != 4 && cl->addr.family != 6))
			continue;
		for (uint32_t j = 0; j < k; j++)
			if (same_ip(&out[j], &cl->addr))
				dup = 1;
		if (!dup && dgram != NULL)
			dgram[k] = cl->backoff < 2 * CLAIM_RETRY_MIN_MS;
		cl->backoff = cl->backoff == 0 ? CLAIM_RETRY_MIN_MS :
		    cl->backoff >= CLAIM_RETRY_MAX_MS / 2 ? CLAIM_RETRY_MAX_MS :
		    cl->backoff * 2;
		cl->next_try = now + cl->backoff;
		if (!dup)
			out[k++] = cl->addr;
	}
	return k;
}

/*
 * claims_next_due - when claims_due() will next return an address: the
 * earliest retry of one that is neither proven nor quiet (at or before
 * now: due already); UINT64_MAX when there is none, and nothing is due
 * until the claims change.  The engine need not look at a member's claims
 * before then.
 */
uint64_t
claims_next_due(const struct claims *c)
{
	uint64_t	 t = UINT64_MAX;

	if (c == NULL)		/* none advertised or seen */
		return t;
	for (uint8_t i = 0; i < c->n; i++) {
		const struct claim	*cl = &c->a[i];

		if (cl->proven || cl->quiet ||
		    (cl->addr.family != 4 && cl->addr.family != 6))
			continue;
		if (cl->next_try < t)
			t = cl->next_try;
	}
	return t;
}

/* claims_unproven - advertised addresses that are neither proven nor quiet. */
uint32_t
claims_unproven(const struct claims *c)
{
	uint32_t	 n = 0;

	for (uint8_t i = 0; c != NULL && i < c->n; i++)
		if (!c->a[i].proven && !c->a[i].quiet)
			n++;
	return n;
}

/* claims_nproven - advertised addresses that are proven (as listed: with their ports). */
uint8_t
claims_nproven(const struct claims *c)
{
	uint8_t	 n = 0;

	for (uint8_t i = 0; c != NULL && i < c->n; i++)
		if (c->a[i].proven)
			n++;
	return n;
}

/* The private ranges a LAN may lie in without approval: RFC 1918, RFC 6598. */
static const struct {
	uint8_t		 ip[4];
	uint8_t		 len;
} private4[] = {
	{ { 10, 0, 0, 0 }, 8 },
	{ { 172, 16, 0, 0 }, 12 },
	{ { 192, 168, 0, 0 }, 16 },
	{ { 100, 64, 0, 0 }, 10 },
};

/*
 * lan_needs_approval - whether a LAN prefix another member advertises may
 * enter this node's access set by itself (LAN_OK), or only with an
 * operator's approval, and why: it lies outside the private ranges (RFC
 * 1918, RFC 6598 shared space; IPv6 unique local fc00::/7), it is shorter
 * than /16 (/48), or it holds an address another member advertises (others:
 * every member's addresses but the LAN's own member's).  A member's own
 * site is a small private network; anything wider would give hosts that
 * are not its own access to private services.
 */
enum lan_verdict
lan_needs_approval(const struct wire_prefix *p, const struct wire_addr *others,
    uint32_t nothers)
{
	int	 private = 0;

	if (p->family == 4 && p->len <= 32) {
		for (size_t i = 0; i < sizeof(private4) / sizeof(private4[0]);
		    i++) {
			struct wire_prefix	 r;
			struct wire_addr	 a;

			memset(&r, 0, sizeof(r));
			memset(&a, 0, sizeof(a));
			r.family = a.family = 4;
			memcpy(r.ip, private4[i].ip, 4);
			r.len = private4[i].len;
			memcpy(a.ip, p->ip, 4);
			if (p->len >= r.len && prefix_contains(&r, &a))
				private = 1;
		}
		if (!private)
			return LAN_NOT_PRIVATE;
		if (p->len < 16)
			return LAN_TOO_SHORT;
	} else if (p->family == 6 && p->len <= 128) {
		if (p->len < 7 || (p->ip[0] & 0xfe) != 0xfc)
			return LAN_NOT_PRIVATE;
		if (p->len < 48)
			return LAN_TOO_SHORT;
	} else
		return LAN_NOT_PRIVATE;
	for (uint32_t i = 0; i < nothers; i++)
		if (prefix_contains(p, &others[i]))
			return LAN_OVERLAPS;
	return LAN_OK;
}

const char *
lan_verdict_name(enum lan_verdict v)
{
	switch (v) {
	case LAN_OK:		return "ok";
	case LAN_NOT_PRIVATE:	return "not in a private range";
	case LAN_TOO_SHORT:	return "shorter than /16";
	case LAN_OVERLAPS:	return "holds another member's address";
	}
	return "?";
}
