/*
 * dpstate.c: the parent's side of the data plane.  The mirror says what
 * table inet rpn must hold; this file keeps the kernel there:
 *
 * - a transaction from the engine is applied as element changes, or as a
 *   full sync (the whole table replaced atomically) for the first one;
 * - news of a change someone else made to the table (NFNLGRP_NFTABLES),
 *   or of news lost, brings a repair: a full sync 10 ms after the news
 *   settles, then a comparison of the kernel's table with the mirror down
 *   to the element (nft_verify);
 * - when the kernel refuses a full sync, a check run of it (no BATCH_END:
 *   nothing is committed) names the groups (a service's port, the members,
 *   the LANs) whose elements it refuses; the others are programmed, those
 *   are held back and tried again, and the table keeps forwarding as it
 *   was when nothing can be programmed;
 * - failures are retried with an exponential backoff (100 ms to 30 s),
 *   logged once per cause per minute, and told to the engine
 *   (PRIV_DP_STATE), which shows them in status: "programmed" means the
 *   kernel acknowledged it and nothing since says otherwise.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "node/parent/ct.h"
#include "node/core/log.h"
#include "node/parent/parent.h"
#include "node/core/privsep.h"
#include "proto/compat.h"

#define REPAIR_QUIET_MS	10
#define BACKOFF_MIN_MS	100
#define BACKOFF_MAX_MS	30000
#define LOG_EVERY_MS	60000

static uint64_t
unix_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t
dp_mono_usec(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Once per cause per minute: a failing kernel does not flood the journal. */
static int
log_due(struct parent *p, const char *cause)
{
	uint64_t	 h = hmap_hash(cause, strlen(cause)), now = host_now_ms();
	uint32_t	 oldest = 0;

	for (uint32_t i = 0; i < DP_LOGLIM; i++) {
		if (p->loglim[i].hash == h) {
			if (now < p->loglim[i].at + LOG_EVERY_MS)
				return 0;
			p->loglim[i].at = now;
			return 1;
		}
		if (p->loglim[i].at < p->loglim[oldest].at)
			oldest = i;
	}
	p->loglim[oldest].hash = h;
	p->loglim[oldest].at = now;
	return 1;
}

static void
tell_engine(struct parent *p)
{
	struct dp_state	 s;

	memset(&s, 0, sizeof(s));
	s.state = (uint8_t)p->kstate;
	s.err = p->kerr;
	s.since = p->ksince;
	s.repairs = p->repairs;
	s.foreign = p->watch.foreign;
	s.verified = p->verified;
	s.mismatches = p->verify_bad;
	s.nfailed = p->nheld;
	memcpy(s.failed, p->held, p->nheld * sizeof(*p->held));
	strlcpy(s.why, p->kwhy, sizeof(s.why));
	if (p->engine > 0)
		priv_send(p->privfd, PRIV_DP_STATE, &s, sizeof(s));
}

static void
set_state(struct parent *p, int state, int err, const char *why)
{
	if (p->kstate != state || p->kerr != err || p->ksince == 0)
		p->ksince = unix_ms();
	p->kstate = state;
	p->kerr = err;
	strlcpy(p->kwhy, why ? why : "", sizeof(p->kwhy));
	tell_engine(p);
}

static void
schedule(struct parent *p, uint64_t in_ms)
{
	uint64_t	 at = host_now_ms() + in_ms;

	if (p->repair_at == 0 || at < p->repair_at)
		p->repair_at = at;
}

static void
fail(struct parent *p, int err, const char *what)
{
	char	 why[160];

	snprintf(why, sizeof(why), "%s: %s", what, strerror(err));
	if (log_due(p, why))
		log_warnx("table inet rpn: %s; trying again in %u ms (the "
		    "table forwards as before meanwhile)", why, p->backoff_ms);
	set_state(p, DP_KS_FAILING, err, why);
	schedule(p, p->backoff_ms);
	p->backoff_ms = p->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS :
	    p->backoff_ms * 2;
}

/*
 * replace - the table replaced by the mirror, whole, in one transaction.
 * When the kernel refuses, a check run names the groups at fault; the
 * others are programmed and those are held back (p->held) until the next
 * try.
 */
static int
replace(struct parent *p, uint32_t *usec)
{
	uint32_t	 bad[DP_MAX_HELD], nbad = 0;
	int		 err, skel;
	char		 why[160];

	dp_ops_reset(&p->ops);
	if (dp_plan_all(&p->mirror, &p->ops) == -1)
		fatalx("out of memory planning the data plane");
	if (nft_full_sync(&p->nft, &p->ops, usec) == 0) {
		p->synced = 1;
		p->nheld = 0;
		return 0;
	}
	err = errno;
	if (err == ENOBUFS || err == ETIMEDOUT || err == ENOMEM) {
		fail(p, err, "full sync");
		return -1;
	}
	if (nft_full_sync_check(&p->nft, &p->ops, bad, DP_MAX_HELD, &nbad,
	    &skel) == 0 || skel || nbad == 0) {
		fail(p, err, skel ? "the skeleton was refused" : "full sync");
		return -1;
	}
	/* One group can have several refused messages (a set each). */
	for (uint32_t i = 0, k = 0; i < nbad; i++) {
		uint32_t	 j;

		for (j = 0; j < k && bad[j] != bad[i]; j++)
			;
		if (j == k)
			bad[k++] = bad[i];
		if (i == nbad - 1)
			nbad = k;
	}
	dp_ops_without(&p->ops, bad, nbad);
	if (nft_full_sync(&p->nft, &p->ops, usec) != 0) {
		fail(p, errno, "full sync without the refused elements");
		return -1;
	}
	p->synced = 1;
	p->nheld = nbad;
	p->held_err = err;
	memcpy(p->held, bad, nbad * sizeof(*bad));
	snprintf(why, sizeof(why), "the kernel refused %u group%s of elements",
	    nbad, nbad == 1 ? "" : "s");
	if (log_due(p, why))
		log_warnx("table inet rpn: %s (first: %s/%u); the rest is "
		    "programmed, those are tried again in %u ms", why,
		    (bad[0] >> 16) == 17 ? "udp" : "tcp", bad[0] & 0xffff,
		    p->backoff_ms);
	schedule(p, p->backoff_ms);
	p->backoff_ms = p->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS :
	    p->backoff_ms * 2;
	return 0;
}

/*
 * full_sync - make the kernel's table what the mirror says, in bounded
 * transactions (NFT_SYNC_CHUNK elements, cut between groups), so that no
 * commit makes forwarding wait behind it and no service is ever half
 * programmed:
 *
 * - no table (a cold start, or someone deleted it): the skeleton with
 *   empty sets, then every group, the members and LANs first;
 * - the skeleton rpn would write (a restart, a repair of elements): only
 *   the differences, found by reading the kernel's sets;
 * - another skeleton (an upgrade, changed uplinks, someone edited a rule
 *   or a chain): replaced whole in one transaction, since the old rules
 *   must not meet the new ones.
 */
static int
full_sync(struct parent *p, uint32_t *usec)
{
	struct nft_bounded	 st;
	uint32_t		 nbad = 0;
	uint64_t		 t0;
	int			 rc;

	p->just_compared = 0;
	if (p->skel_dirty) {
		if ((rc = replace(p, usec)) == 0)
			p->skel_dirty = 0;
		return rc;
	}
	dp_ops_reset(&p->ops);
	if (dp_plan_all(&p->mirror, &p->ops) == -1)
		fatalx("out of memory planning the data plane");
	t0 = dp_mono_usec();
	rc = nft_sync(&p->nft, &p->ops, p->sync_chunk, p->held, DP_MAX_HELD,
	    &nbad, &st);
	if (rc == NFT_TS_OTHER)
		return replace(p, usec);
	/* all of it: reading the table and comparing, not only the commits */
	*usec = (uint32_t)(dp_mono_usec() - t0);
	p->sync_txns = st.txns;
	p->sync_max_usec = st.max_usec;
	if (rc != 0) {
		fail(p, errno, "full sync");
		return -1;
	}
	p->synced = 1;
	p->nheld = nbad;
	/*
	 * The differences were found by reading every set just now, and each
	 * of them acknowledged: the verification that follows would read the
	 * same 100k elements again (about a second: the kernel's set dumps
	 * are quadratic in the number of elements).
	 */
	p->just_compared = st.compared && nbad == 0;
	if (nbad > 0) {
		char	 why[160];

		p->held_err = st.refused_err ? st.refused_err : EINVAL;
		snprintf(why, sizeof(why), "the kernel refused %u group%s of "
		    "elements", nbad, nbad == 1 ? "" : "s");
		if (log_due(p, why))
			log_warnx("table inet rpn: %s (first: %s/%u); the rest "
			    "is programmed, those are tried again in %u ms", why,
			    (p->held[0] >> 16) == 17 ? "udp" : "tcp",
			    p->held[0] & 0xffff, p->backoff_ms);
		schedule(p, p->backoff_ms);
		p->backoff_ms = p->backoff_ms * 2 > BACKOFF_MAX_MS ?
		    BACKOFF_MAX_MS : p->backoff_ms * 2;
	}
	return 0;
}

/*
 * After a full sync: the kernel is compared with the mirror, element by
 * element.  0 when they agree; -1 when they do not (a repair is due).
 */
static int
verify(struct parent *p)
{
	char	 why[160];
	int	 rc;

	if (p->just_compared) {
		p->just_compared = 0;
		p->verified++;
		return 0;
	}
	dp_ops_reset(&p->ops);
	if (dp_plan_all(&p->mirror, &p->ops) == -1)
		fatalx("out of memory planning the data plane");
	if (p->nheld > 0)
		dp_ops_without(&p->ops, p->held, p->nheld);
	rc = nft_verify(&p->nft, &p->ops, why, sizeof(why));
	/* every element's change, held until the next full sync: give it back */
	dp_ops_release(&p->ops);
	if (rc == 0) {
		p->verified++;
		return 0;
	}
	p->verify_bad++;
	if (rc == -1)
		snprintf(why, sizeof(why), "cannot read it back: %s",
		    strerror(errno));
	if (log_due(p, why))
		log_warnx("table inet rpn differs from what rpn programmed: %s; "
		    "repairing", why);
	set_state(p, DP_KS_REPAIR, 0, why);
	schedule(p, p->backoff_ms);
	p->backoff_ms = p->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS :
	    p->backoff_ms * 2;
	return -1;
}

/* dp_repair - a full sync and its verification, when one is due. */
void
dp_repair(struct parent *p)
{
	uint32_t	 usec;

	p->repair_at = 0;
	if (!p->host_on || !p->active || p->in_txn)
		return;
	p->repairs++;
	if (full_sync(p, &usec) != 0 || verify(p) != 0)
		return;
	if (p->nheld == 0)
		p->backoff_ms = BACKOFF_MIN_MS;
	set_state(p, DP_KS_OK, p->nheld ? p->held_err : 0, NULL);
	if (p->news_at != 0)
		log_debug("table inet rpn repaired and verified %llu ms after "
		    "the news (the sync took %u us)", (unsigned long long)
		    (host_now_ms() - p->news_at), usec);
	p->news_at = 0;
}

/*
 * fight_delay - how soon to repair after a foreign change.  At once (10 ms)
 * normally; but a program that keeps rewriting the table (another rpnd in
 * this network namespace, a firewall manager fighting rpn) would make rpn
 * rewrite it as fast, so after 8 repairs for foreign changes within a
 * second the delay doubles, up to 5 s, until a quiet minute.
 */
static uint64_t
fight_delay(struct parent *p)
{
	uint64_t	 now = host_now_ms();

	if (now - p->fight_start > 1000) {
		if (p->fight_n < 8 && now - p->fight_start > 60000)
			p->fight_delay = REPAIR_QUIET_MS;
		p->fight_start = now;
		p->fight_n = 0;
	}
	if (++p->fight_n > 8) {
		if (p->fight_delay < 5000)
			p->fight_delay = p->fight_delay < REPAIR_QUIET_MS ?
			    REPAIR_QUIET_MS * 2 : p->fight_delay * 2;
		if (log_due(p, "fight"))
			log_warnx("another program keeps changing table inet "
			    "rpn (another rpnd in this network namespace?); "
			    "repairing at most every %llu ms",
			    (unsigned long long)p->fight_delay);
	}
	return p->fight_delay < REPAIR_QUIET_MS ? REPAIR_QUIET_MS :
	    p->fight_delay;
}

/* dp_news - the kernel told of a change to nftables. */
void
dp_news(struct parent *p)
{
	int	 news = nft_watch_read(&p->watch, p->nft.nl.portid);

	if (news == 0 || !p->active || !p->synced)
		return;
	/* A foreign rule, chain or set: the next sync replaces the table whole. */
	if (news & NFT_NEWS_SKEL)
		p->skel_dirty = 1;
	if (news & (NFT_NEWS_SKEL | NFT_NEWS_ELEMS)) {
		if (log_due(p, "foreign change"))
			log_warnx("someone else changed table inet rpn; putting "
			    "it back");
	}
	if (p->news_at == 0)
		p->news_at = host_now_ms();
	if (p->kstate == DP_KS_OK)
		set_state(p, DP_KS_REPAIR, 0, news & NFT_NEWS_LOST ?
		    "news of nftables changes was lost" :
		    "another program changed the table");
	schedule(p, fight_delay(p));
}

int
dp_poll_timeout(struct parent *p)
{
	uint64_t	 now = host_now_ms();

	if (p->repair_at == 0)
		return -1;
	return p->repair_at <= now ? 0 : (int)(p->repair_at - now);
}

void
dp_timers(struct parent *p)
{
	if (p->repair_at != 0 && host_now_ms() >= p->repair_at)
		dp_repair(p);
}

static void
result(struct parent *p, uint32_t seq, int err, uint32_t changes, uint32_t usec)
{
	struct dp_result r = { seq, err, changes, usec };

	priv_send(p->privfd, PRIV_DP_RESULT, &r, sizeof(r));
}

/* dp_commit - the engine's transaction: element changes, or a full sync. */
int
dp_commit(struct parent *p, const struct dp_commit *c)
{
	uint32_t	 usec = 0, changes;
	uint64_t	 t0 = dp_mono_usec();
	int		 rc, err = 0;

	if (!p->host_on || !p->cfg.dataplane) {
		if (p->kstate != DP_KS_OFF)
			set_state(p, DP_KS_OFF, 0, "dataplane no");
		dp_ops_reset(&p->ops);
		p->nflush = 0;
		result(p, c->seq, 0, 0, 0);
		return 0;
	}
	if (dp_plan_lans(&p->mirror, &p->ops) == -1)
		fatalx("out of memory planning the data plane");
	changes = p->ops.n;
	if (p->txn_full || !p->synced) {
		rc = full_sync(p, &usec);
		changes = p->ops.n;
		if (rc == -1)
			err = p->kerr;
		else if (verify(p) == 0)
			set_state(p, DP_KS_OK, p->nheld ? p->held_err : 0, NULL);
	} else if ((rc = nft_apply(&p->nft, &p->ops, &usec)) != 0) {
		err = errno;
		/*
		 * The table is not what the mirror says (someone changed it,
		 * or an element is refused): a repair puts it right, and holds
		 * back only what the kernel refuses.
		 */
		if (log_due(p, "update failed"))
			log_warnx("table inet rpn: an update failed (%s); "
			    "repairing", strerror(err));
		set_state(p, DP_KS_REPAIR, err, "an update failed");
		schedule(p, 0);
	}
	if (rc == 0 && p->nflush > 0) {
		int	 n = ct_flush(p->flush, p->nflush,
		    nft_translated_bit(&p->nft.cfg));

		if (n > 0)
			log_debug("deleted %d stale UDP conntrack entries", n);
	}
	p->nflush = 0;
	dp_ops_reset(&p->ops);
	result(p, c->seq, err, changes, usec);
	log_debug("transaction %u%s: received in %llu ms, %u changes, "
	    "programmed in %llu ms (the kernel's part %u us)", c->seq,
	    p->txn_full ? " (full)" : "", (unsigned long long)(t0 -
	    p->txn_began) / 1000, changes, (unsigned long long)
	    (dp_mono_usec() - t0) / 1000, usec);
	return 0;
}

/*
 * dp_prefetch - at start, while the engine restores: read what the kernel
 * holds now, for the engine's first (full) transaction to be compared with.
 */
void
dp_prefetch(struct parent *p)
{
	if (p->host_on && p->cfg.dataplane)
		nft_prefetch(&p->nft);
}

/* dp_full_sync - put the whole table back now (the uplinks changed). */
int
dp_full_sync(struct parent *p)
{
	uint32_t	 usec;

	return full_sync(p, &usec);
}

/* dp_reset - forget what is installed: the next transaction is a full sync. */
void
dp_reset(struct parent *p)
{
	dp_mirror_clear(&p->mirror);
	dp_ops_reset(&p->ops);
	p->synced = 0;
	p->in_txn = 0;
	p->nflush = 0;
	p->nheld = 0;
	p->repair_at = 0;
	p->backoff_ms = BACKOFF_MIN_MS;
	set_state(p, DP_KS_OK, 0, NULL);
}
