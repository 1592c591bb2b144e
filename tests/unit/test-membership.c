/* test-membership.c: SWIM and Lifeguard on deterministic timelines (the clock is an argument). */
#include "node/core/membership.h"
#include "tests/unit/test.h"

static uint8_t	 ids[16][WIRE_KEY];

static void
setup(struct membership *mb, int n, uint64_t now)
{
	struct mb_config	 cfg;

	mb_config_default(&cfg);
	for (int i = 0; i < 16; i++)
		memset(ids[i], i + 1, WIRE_KEY);
	ASSERT_EQ(mb_init(mb, &cfg, ids[0], 1, 42, now), 0);
	for (int i = 1; i < n; i++)
		ASSERT_EQ(mb_on_alive(mb, ids[i], 1, 0, now), 1);
	mb->nacts = 0;
}

static const struct mb_action *
find(const struct membership *mb, enum mb_act_type t, int nth)
{
	for (uint32_t i = 0; i < mb->nacts; i++)
		if (mb->acts[i].type == t && nth-- == 0)
			return &mb->acts[i];
	return NULL;
}

static int
count(const struct membership *mb, enum mb_act_type t)
{
	int	 n = 0;

	for (uint32_t i = 0; i < mb->nacts; i++)
		n += mb->acts[i].type == t;
	return n;
}

static const struct mb_action *
find_notice(const struct membership *mb, uint8_t state, const uint8_t *subject)
{
	for (uint32_t i = 0; i < mb->nacts; i++)
		if (mb->acts[i].type == MBA_NOTICE && mb->acts[i].state == state &&
		    memcmp(mb->acts[i].subject, subject, WIRE_KEY) == 0)
			return &mb->acts[i];
	return NULL;
}

/* Run the clock from *now to until in 10 ms steps, answering nothing. */
static void
run(struct membership *mb, uint64_t *now, uint64_t until)
{
	for (; *now <= until; *now += 10)
		mb_tick(mb, *now);
}

TEST(mb_probe_ack_keeps_alive)
{
	struct membership	 mb;
	const struct mb_action	*a;
	uint64_t		 now = 1000;

	setup(&mb, 5, now);
	run(&mb, &now, 2000);
	ASSERT((a = find(&mb, MBA_PING, 0)) != NULL);
	mb_on_ack(&mb, a->peer, a->seq, now);
	ASSERT(mb_get(&mb, a->peer)->last_ack == now);
	/* Everyone answers at once: one probe a second, nothing indirect. */
	{
		int	 pings = 0;

		for (; now <= 21000; now += 10) {
			mb.nacts = 0;
			mb_tick(&mb, now);
			if ((a = find(&mb, MBA_PING, 0)) != NULL) {
				pings++;
				mb_on_ack(&mb, a->peer, a->seq, now);
			}
			ASSERT(find(&mb, MBA_PINGREQ, 0) == NULL);
		}
		ASSERT(pings >= 18 && pings <= 20);
	}
	ASSERT_EQ(mb.awareness, 0);
	for (uint32_t i = 1; i < mb.n; i++)
		ASSERT_EQ(mb.m[i]->state, M_ALIVE);
	mb_release(&mb);
}

TEST(mb_silent_member_suspected_then_failed)
{
	struct membership	 mb;
	const struct mb_action	*ping;
	struct member		*t;
	uint64_t		 now = 0, susp_at;

	setup(&mb, 4, now);
	/* The first probe goes unanswered: indirect at +500 ms, suspect at +1 s. */
	run(&mb, &now, 1000);
	ASSERT((ping = find(&mb, MBA_PING, 0)) != NULL);
	t = mb_get(&mb, ping->peer);
	run(&mb, &now, now + 2000);
	ASSERT_EQ(count(&mb, MBA_PINGREQ), 2);		/* two other members */
	ASSERT(find(&mb, MBA_TCP_PING, 0) != NULL);
	ASSERT_EQ(t->state, M_SUSPECT);
	ASSERT(find_notice(&mb, NOTICE_SUSPECT, t->id) != NULL);
	susp_at = t->susp_start;
	/* n=4 < k+2, so k=2 and the timeout starts at max = 6 * 1 s. */
	ASSERT_UEQ(t->susp_deadline - susp_at, 6000);
	mb.nacts = 0;
	run(&mb, &now, susp_at + 5990);
	ASSERT_EQ(t->state, M_SUSPECT);
	run(&mb, &now, susp_at + 6010);
	ASSERT_EQ(t->state, M_DEAD);
	ASSERT(find_notice(&mb, NOTICE_DEAD, t->id) != NULL);
	mb_release(&mb);
}

TEST(mb_confirmations_shorten_suspicion)
{
	struct membership	 mb;
	struct member		*t;
	uint64_t		 now = 0, t0, t1, t2;

	setup(&mb, 12, now);
	t = mb_get(&mb, ids[5]);
	ASSERT_EQ(mb_on_notice(&mb, ids[1], ids[5], 1, NOTICE_SUSPECT, now), 1);
	ASSERT_EQ(t->state, M_SUSPECT);
	t0 = t->susp_deadline;
	/* the same accuser again is no news */
	ASSERT_EQ(mb_on_notice(&mb, ids[1], ids[5], 1, NOTICE_SUSPECT, now), 0);
	ASSERT_EQ(mb_on_notice(&mb, ids[2], ids[5], 1, NOTICE_SUSPECT, now), 1);
	t1 = t->susp_deadline;
	ASSERT_EQ(mb_on_notice(&mb, ids[3], ids[5], 1, NOTICE_SUSPECT, now), 1);
	ASSERT_EQ(mb_on_notice(&mb, ids[4], ids[5], 1, NOTICE_SUSPECT, now), 1);
	t2 = t->susp_deadline;
	ASSERT(t0 > t1 && t1 > t2);
	/* k = 3 confirmations bring it down to the minimum */
	ASSERT_UEQ(t2, mb_suspicion_timeout(&mb, 99));
	/* more confirmations than k are no news */
	ASSERT_EQ(mb_on_notice(&mb, ids[6], ids[5], 1, NOTICE_SUSPECT, now), 0);
	/* a stale incarnation is ignored */
	ASSERT_EQ(mb_on_notice(&mb, ids[6], ids[5], 0, NOTICE_DEAD, now), 0);
	mb_release(&mb);
}

TEST(mb_refutation_by_newer_incarnation)
{
	struct membership	 mb;
	struct member		*t;
	uint64_t		 now = 0;

	setup(&mb, 5, now);
	t = mb_get(&mb, ids[2]);
	mb_on_notice(&mb, ids[1], ids[2], 1, NOTICE_SUSPECT, now);
	ASSERT_EQ(t->state, M_SUSPECT);
	/* the same incarnation does not refute */
	ASSERT_EQ(mb_on_alive(&mb, ids[2], 1, 0, now), 0);
	ASSERT_EQ(t->state, M_SUSPECT);
	ASSERT_EQ(mb_on_alive(&mb, ids[2], 2, 0, now + 10), 1);
	ASSERT_EQ(t->state, M_ALIVE);
	/* dead overrides suspect, and only a newer incarnation revives */
	mb_on_notice(&mb, ids[1], ids[2], 2, NOTICE_DEAD, now + 20);
	ASSERT_EQ(t->state, M_DEAD);
	ASSERT_EQ(mb_on_notice(&mb, ids[3], ids[2], 2, NOTICE_SUSPECT, now), 0);
	ASSERT_EQ(mb_on_alive(&mb, ids[2], 3, 0, now + 30), 1);
	ASSERT_EQ(t->state, M_ALIVE);
	/* a left record is final for that incarnation */
	ASSERT_EQ(mb_on_alive(&mb, ids[2], 4, 1, now + 40), 1);
	ASSERT_EQ(t->state, M_LEFT);
	ASSERT_EQ(mb_on_notice(&mb, ids[1], ids[2], 9, NOTICE_DEAD, now), 0);
	ASSERT_EQ(t->state, M_LEFT);
	mb_release(&mb);
}

TEST(mb_self_accused_refutes_and_slows_down)
{
	struct membership	 mb;
	const struct mb_action	*a;

	setup(&mb, 3, 0);
	ASSERT_EQ(mb_on_notice(&mb, ids[1], ids[0], 1, NOTICE_SUSPECT, 5), 0);
	ASSERT((a = find(&mb, MBA_REFUTE, 0)) != NULL);
	ASSERT_UEQ(a->inc, 1);
	ASSERT_EQ(mb.awareness, 1);
	mb.nacts = 0;
	/* an old claim about an incarnation we already passed needs nothing */
	mb_set_self_inc(&mb, 5);
	mb_on_notice(&mb, ids[1], ids[0], 4, NOTICE_DEAD, 6);
	ASSERT(find(&mb, MBA_REFUTE, 0) == NULL);
	mb_release(&mb);
}

/*
 * 0 is never a probe's sequence number, even when the counter wraps: a
 * ping with 0 is an address challenge, and its ack must not pass for a
 * probe's or a relay's (it only says the member was heard).
 */
TEST(mb_seq_never_zero)
{
	struct membership	 mb;
	const struct mb_action	*p;

	setup(&mb, 4, 0);
	mb.seq = UINT32_MAX;
	mb_on_pingreq(&mb, ids[1], 5, ids[2], 100);
	ASSERT((p = find(&mb, MBA_PING, 0)) != NULL);
	ASSERT(p->seq != 0);
	mb.nacts = 0;
	mb_on_ack(&mb, ids[2], 0, 150);		/* a challenge's answer */
	ASSERT(find(&mb, MBA_ACK, 0) == NULL);
	ASSERT_EQ(mb_get(&mb, ids[2])->last_heard, 150);
	mb_on_ack(&mb, ids[2], p->seq, 160);
	ASSERT(find(&mb, MBA_ACK, 0) != NULL);
	/* A ping with 0 is answered with 0. */
	mb.nacts = 0;
	mb_on_ping(&mb, ids[3], 0, 200);
	ASSERT((p = find(&mb, MBA_ACK, 0)) != NULL);
	ASSERT_EQ(p->seq, 0);
	mb_release(&mb);
}

TEST(mb_helper_relays_ack_or_nacks)
{
	struct membership	 mb;
	const struct mb_action	*p, *a;
	uint32_t		 myseq;

	setup(&mb, 4, 0);
	mb_on_pingreq(&mb, ids[1], 777, ids[2], 100);
	ASSERT((p = find(&mb, MBA_PING, 0)) != NULL);
	ASSERT_MEM_EQ(p->peer, ids[2], WIRE_KEY);
	myseq = p->seq;
	mb.nacts = 0;
	/* an ack from someone else with that seq is not the target's */
	mb_on_ack(&mb, ids[3], myseq, 150);
	ASSERT(find(&mb, MBA_ACK, 0) == NULL);
	mb_on_ack(&mb, ids[2], myseq, 150);
	ASSERT((a = find(&mb, MBA_ACK, 0)) != NULL);
	ASSERT_MEM_EQ(a->peer, ids[1], WIRE_KEY);
	ASSERT_EQ(a->seq, 777);
	/* no answer: a nack after the probe timeout */
	mb.nacts = 0;
	mb_on_pingreq(&mb, ids[1], 778, ids[3], 1000);
	mb.nacts = 0;
	mb_tick(&mb, 1399);
	ASSERT(find(&mb, MBA_NACK, 0) == NULL);
	mb_tick(&mb, 1400);	/* 4/5 of the timeout: back before the requester gives up */
	ASSERT((a = find(&mb, MBA_NACK, 0)) != NULL);
	ASSERT_EQ(a->seq, 778);
	/* unknown target: nack at once */
	mb.nacts = 0;
	{
		uint8_t	 stranger[WIRE_KEY];

		memset(stranger, 0xee, sizeof(stranger));
		mb_on_pingreq(&mb, ids[1], 779, stranger, 2000);
		ASSERT(find(&mb, MBA_NACK, 0) != NULL);
	}
	mb_release(&mb);
}

TEST(mb_lifeguard_missing_nacks_raise_awareness)
{
	struct membership	 mb;
	uint64_t		 now = 0;
	const struct mb_action	*p;

	setup(&mb, 6, now);
	run(&mb, &now, 1000);
	ASSERT((p = find(&mb, MBA_PING, 0)) != NULL);
	run(&mb, &now, now + 1100);
	/* 3 helpers asked, none answered: +3 */
	ASSERT_EQ(mb.awareness, 3);
	/* the next probe interval is 4x */
	ASSERT_UEQ(mb.next_probe - mb.probe.start, 4000);
	/* successes bring it back down */
	mb_on_ack(&mb, mb.probe.target, mb.probe.seq, now);
	ASSERT_EQ(mb.awareness, 2);
	mb_release(&mb);
}

TEST(mb_reap_after_configured_time)
{
	struct membership	 mb;
	uint64_t		 now = 0;

	setup(&mb, 3, now);
	mb.cfg.reap_after_ms = 60000;
	mb_on_notice(&mb, ids[1], ids[2], 1, NOTICE_DEAD, 100);
	mb.nacts = 0;
	mb_tick(&mb, 60099);
	ASSERT(mb_get(&mb, ids[2]) != NULL);
	mb_tick(&mb, 60100);
	ASSERT(mb_get(&mb, ids[2]) == NULL);
	ASSERT(find(&mb, MBA_REAP, 0) != NULL);
	ASSERT_EQ(mb.n, 2);
	mb_release(&mb);
}

/*
 * A member's replay windows and claims cost nothing until its first box
 * or claim; then they behave as the two windows of box_windows_check(),
 * and a member forgotten takes them along (ASan finds a leak otherwise).
 */
TEST(mb_rx_and_claims_on_first_use)
{
	struct membership	 mb;
	struct member		*m;
	struct wire_addr	 a;

	setup(&mb, 3, 0);
	mb.cfg.reap_after_ms = 60000;
	m = mb_get(&mb, ids[1]);
	ASSERT(m->rx_dgram == NULL && m->rx_stream == NULL && m->claims == NULL);
	/* No window yet: new, unless from before the incarnation known (1). */
	ASSERT_EQ(mb_rx_check(m, MB_RX_DGRAM, 1, 7), BOXW_NEW);
	ASSERT_EQ(mb_rx_check(m, MB_RX_STREAM, 0, 7), BOXW_OLD);
	ASSERT(m->rx_dgram == NULL);	/* a check does not allocate */
	ASSERT_EQ(mb_rx_mark(m, MB_RX_DGRAM, 1, 7), 0);
	ASSERT(m->rx_dgram != NULL && m->rx_stream == NULL);
	ASSERT_EQ(mb_rx_check(m, MB_RX_DGRAM, 1, 7), BOXW_DUP);
	ASSERT_EQ(mb_rx_check(m, MB_RX_STREAM, 1, 7), BOXW_DUP);
	ASSERT_EQ(mb_rx_check(m, MB_RX_DGRAM, 1, 8), BOXW_NEW);
	ASSERT_EQ(mb_rx_mark(m, MB_RX_STREAM, 1, 9), 0);
	ASSERT_EQ(mb_rx_check(m, MB_RX_DGRAM, 1, 9), BOXW_DUP);
	/* Claims: readers take none; the first change allocates them. */
	memset(&a, 0, sizeof(a));
	a.family = 4;
	a.ip[0] = 192;
	ASSERT_EQ(claims_proven(m->claims, &a), 0);
	ASSERT_EQ(claims_due(m->claims, 0, &a, NULL, 1), 0);
	ASSERT_EQ(claims_advertised(mb_claims(m), &a, 1, 0), 0);
	ASSERT(m->claims != NULL);
	ASSERT_EQ(claims_seen(mb_claims(m), &a, 0), 1);
	ASSERT_EQ(claims_proven(m->claims, &a), 1);
	/* Forgotten: its windows and claims go with it. */
	mb_on_notice(&mb, ids[2], ids[1], 1, NOTICE_DEAD, 100);
	mb_tick(&mb, 60100);
	ASSERT(mb_get(&mb, ids[1]) == NULL);
	/* Those of a member still held go with the table. */
	m = mb_get(&mb, ids[2]);
	ASSERT_EQ(mb_rx_mark(m, MB_RX_STREAM, 1, 1), 0);
	ASSERT(mb_claims(m) != NULL);
	mb_release(&mb);
}

/*
 * A new member costs mb_tick() no walk of the table unless something about
 * it falls due: one that arrives having left is still forgotten on time.
 */
TEST(mb_new_member_that_left_is_reaped)
{
	struct membership	 mb;

	setup(&mb, 3, 0);
	mb.cfg.reap_after_ms = 60000;
	mb_tick(&mb, 50);		/* nothing due: no walk until it is */
	mb.nacts = 0;
	ASSERT_EQ(mb_on_alive(&mb, ids[5], 1, 0, 100), 1);
	ASSERT_EQ(mb_on_alive(&mb, ids[6], 1, 1, 100), 1);
	ASSERT_EQ(mb_get(&mb, ids[6])->state, M_LEFT);
	ASSERT(mb_next_wakeup(&mb, 200) <= 60100);
	mb_tick(&mb, 60099);
	ASSERT(mb_get(&mb, ids[6]) != NULL);
	mb_tick(&mb, 60100);
	ASSERT(mb_get(&mb, ids[6]) == NULL);
	ASSERT(mb_get(&mb, ids[5]) != NULL);
	mb_release(&mb);
}

TEST(mb_round_robin_covers_everyone)
{
	struct membership	 mb;
	uint64_t		 now = 0;
	int			 seen[16] = { 0 };

	setup(&mb, 9, now);
	for (int round = 0; round < 8; round++) {
		const struct mb_action	*p;

		mb.nacts = 0;
		now += 1000;
		mb_tick(&mb, now);
		ASSERT((p = find(&mb, MBA_PING, 0)) != NULL);
		seen[p->peer[0] - 1]++;
		mb_on_ack(&mb, p->peer, p->seq, now + 1);
	}
	for (int i = 1; i < 9; i++)
		ASSERT_EQ(seen[i], 1);	/* each of the 8 others exactly once */
	mb_release(&mb);
}

/*
 * Run the clock from *now to until in 10 ms steps; live members answer
 * every probe at once.  Returns how many pings went to the member dead
 * (only a try to reach a failed member goes there).
 */
static int
run_answering(struct membership *mb, uint64_t *now, uint64_t until,
    const uint8_t dead[WIRE_KEY])
{
	int	 tries = 0;

	for (; *now <= until; *now += 10) {
		mb->nacts = 0;
		mb_tick(mb, *now);
		for (uint32_t i = 0; i < mb->nacts; i++) {
			const struct mb_action	*a = &mb->acts[i];

			if (a->type != MBA_PING)
				continue;
			if (memcmp(a->peer, dead, WIRE_KEY) == 0)
				tries++;
			else
				mb_on_ack(mb, a->peer, a->seq, *now);
		}
	}
	return tries;
}

/*
 * A member that failed a moment ago is tried every second or so (after a
 * partition, these tries carry the news across); one that stays dead for
 * reconnect_recent_ms goes back to a try every reconnect_ms.
 */
TEST(mb_reconnect_fast_while_failure_recent)
{
	struct membership	 mb;
	uint64_t		 now = 0;
	int			 tries;

	setup(&mb, 5, now);
	ASSERT_EQ(mb.cfg.reconnect_fast_ms, 1000);
	ASSERT_EQ(mb.cfg.reconnect_ms, 10000);
	run_answering(&mb, &now, 5000, ids[4]);
	ASSERT_EQ(mb_on_notice(&mb, ids[1], ids[4], 1, NOTICE_DEAD, now), 1);
	ASSERT_EQ(mb_get(&mb, ids[4])->state, M_DEAD);
	/* Tries every 0.5-1.5 s: 7 to 20 in 10 s (at most 2 at the old pace). */
	tries = run_answering(&mb, &now, now + 10000, ids[4]);
	ASSERT(tries >= 7 && tries <= 20);
	ASSERT_EQ(mb_get(&mb, ids[4])->state, M_DEAD);
	/* Five minutes after it failed: every 5-15 s, 4 to 12 a minute. */
	run_answering(&mb, &now, 5000 + mb.cfg.reconnect_recent_ms, ids[4]);
	tries = run_answering(&mb, &now, now + 60000, ids[4]);
	ASSERT(tries >= 4 && tries <= 12);
	mb_release(&mb);
}

/* The tick at which the next try to reach a failed member goes out. */
static uint64_t
next_try(struct membership *mb, uint64_t now, const struct mb_action *out)
{
	for (;; now += 10) {
		mb->nacts = 0;
		mb_tick(mb, now);
		for (uint32_t i = 0; i < mb->nacts; i++) {
			const struct mb_action	*a = &mb->acts[i];
			const struct member	*m = mb_get(mb, a->peer);

			if (a->type == MBA_PING && m->state == M_DEAD) {
				memcpy((void *)out, a, sizeof(*a));
				return now;
			}
			if (a->type == MBA_PING)
				mb_on_ack(mb, a->peer, a->seq, now);
		}
	}
}

/*
 * A failed member that answers a try, or whose refutation arrives, means
 * a partition may be over: the next try at the others comes within a
 * quarter of the fast pace rather than 0.5-1.5 s later.
 */
TEST(mb_reconnect_soon_when_a_failed_member_is_back)
{
	struct membership	 mb;
	struct mb_action	 a;
	uint64_t		 now = 0, t;

	setup(&mb, 8, now);
	for (int i = 4; i < 8; i++)
		ASSERT_EQ(mb_on_notice(&mb, ids[1], ids[i], 1, NOTICE_DEAD, 0), 1);
	/* No answer: the fast pace. */
	now = next_try(&mb, 0, &a);
	t = next_try(&mb, now + 10, &a);
	ASSERT(t - now >= 500 && t - now <= 1500);
	now = t;
	/* The member tried answers: the next try within 125-375 ms. */
	mb_on_ack(&mb, a.peer, a.seq, now + 40);
	t = next_try(&mb, now + 50, &a);
	ASSERT(t - (now + 40) <= 380);
	now = t;
	/* A failed member's refutation arrives: the same. */
	for (int i = 4; i < 8; i++)
		if (memcmp(ids[i], a.peer, WIRE_KEY) != 0 &&
		    mb_get(&mb, ids[i])->state == M_DEAD) {
			ASSERT_EQ(mb_on_alive(&mb, ids[i], 2, 0, now + 60), 1);
			break;
		}
	t = next_try(&mb, now + 70, &a);
	ASSERT(t - (now + 60) <= 380);
	mb_release(&mb);
}
