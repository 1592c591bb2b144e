/*
 * fuzz-envelope.c: boxes, envelopes and tokens from the network; and, with
 * a valid signature made here, record bodies all the way through mesh_accept();
 * and the box replay window against a plain model of what it must remember.
 */
#include <stdlib.h>
#include <string.h>

#include "node/core/mesh.h"
#include "proto/box.h"
#include "proto/envelope.h"
#include "proto/token.h"
#include "tests/fuzz/fuzz.h"

static struct mesh	 m;
static uint8_t		 member_sk[SECRET_KEY], key[32];
static int		 ready;

static void
setup(void)
{
	struct mesh_config	 cfg;
	uint8_t			 pk[WIRE_KEY], sk[SECRET_KEY], root_sk[SECRET_KEY];
	struct wire_addr	 a = { 4, { 192, 0, 2, 1 }, 7480 };

	mesh_config_default(&cfg);
	crypto_sign_seed_keypair(pk, sk, (const uint8_t *)
	    "fuzz-node-seed-0123456789abcdef!");
	crypto_sign_seed_keypair(pk, root_sk, (const uint8_t *)
	    "fuzz-root-seed-0123456789abcdef!");
	crypto_sign_seed_keypair(pk, member_sk, (const uint8_t *)
	    "fuzz-member-seed-0123456789abcd!");
	mesh_init(&m, &cfg, sk, "fuzz", &a, 1, 1, 0);
	mesh_found(&m, root_sk, 0, 1800000000000ULL);
	box_pair_key(key, member_sk, m.id);
	ready = 1;
}

static uint64_t
be64(const uint8_t *p)
{
	uint64_t	 v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/*
 * A box as a receiver takes it: peek, the windows (w[0] its own kind's,
 * w[1] the other's), open, mark, decode.  The first input byte after the
 * mode says how many copies arrive, so replays of valid boxes are exercised
 * too.
 */
static void
box_receive(struct box_window *w, const uint8_t *p, size_t n, int copies)
{
	uint8_t		 out[70000];
	size_t		 outlen;
	const uint8_t	*sender;
	uint64_t	 epoch, ctr;
	struct wire_msg	 msg;

	for (int i = 0; i < copies; i++) {
		if (box_peek(p, n, &sender, &epoch, &ctr) == -1)
			return;
		if (box_windows_check(w, &w[1], 1, epoch, ctr) != BOXW_NEW)
			continue;
		if (box_open(p, n, key, out, &outlen) == -1)
			continue;
		box_window_mark(w, epoch, ctr);
		if (wire_msg_decode(out, outlen, 0, &msg) == 0)
			wire_msg_release(&msg);
	}
}

/*
 * Each 9 bytes: an op byte (how the epoch moves, and the known
 * incarnation) and a counter, relative to the top when the op says so,
 * to stay near the window's edges.  The model is the list of stamps marked
 * in the current epoch; the window must agree with it on every stamp.
 */
static void
window_model(const uint8_t *p, size_t n)
{
	static uint64_t		 seen[1024];
	struct box_window	 w;
	uint32_t		 nseen = 0;
	uint64_t		 mepoch = 0, mtop = 0;
	int			 used = 0;

	memset(&w, 0, sizeof(w));
	for (; n >= 9 && nseen < 1024; p += 9, n -= 9) {
		uint8_t			 op = p[0];
		uint64_t		 v = be64(p + 1), epoch, ctr, min;
		enum box_verdict	 want, got;
		int			 dup = 0;

		/* one back, the same, one or two on; epochs start at 1 */
		epoch = used ? mepoch + (op & 3) - 1 : 1 + (op & 3);
		min = op & 4 ? mepoch : 0;
		if (op & 8)
			ctr = v;
		else
			ctr = mtop + (uint64_t)(int64_t)(int16_t)(v & 0xffff) *
			    ((op >> 4) + 1);
		for (uint32_t i = 0; i < nseen; i++)
			dup |= seen[i] == ctr;
		if (epoch < min)
			want = BOXW_OLD;
		else if (!used || epoch > mepoch)
			want = BOXW_NEW;
		else if (epoch < mepoch)
			want = BOXW_OLD;
		else if (ctr > mtop)
			want = BOXW_NEW;
		else if (mtop - ctr >= BOX_WINDOW)
			want = BOXW_OLD;
		else
			want = dup ? BOXW_DUP : BOXW_NEW;
		got = box_window_check(&w, min, epoch, ctr);
		if (got != want)
			abort();
		if (got != BOXW_NEW)
			continue;
		box_window_mark(&w, epoch, ctr);
		if (!used || epoch > mepoch) {
			nseen = 0;
			mepoch = epoch;
			mtop = ctr;
			used = 1;
		} else if (ctr > mtop)
			mtop = ctr;
		seen[nseen++] = ctr;
		if (box_window_check(&w, min, epoch, ctr) != BOXW_DUP)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	const uint8_t	*a, *body;
	size_t		 blen;

	if (!ready)
		setup();
	if (n < 1 || n > 65536)
		return 0;
	switch (p[0] % 7) {
	case 0: {	/* a box from anyone, maybe several copies */
		struct box_window	 w[2];

		memset(w, 0, sizeof(w));
		if (n >= 2)
			box_receive(w, p + 2, n - 2, 1 + p[1] % 3);
		break;
	}
	case 1:		/* a signed envelope, most likely forged */
		env_open(p + 1, n - 1, m.mesh_id, &a, &body, &blen);
		mesh_accept(&m, p + 1, n - 1, 0, 1800000000000ULL, MESH_RELAY);
		break;
	case 2: {	/* a body with a good signature by a key that is no member */
		struct buf	 e;

		buf_init(&e, WIRE_MAX_RECORD);
		if (env_seal(&e, member_sk, m.mesh_id, p + 1, n - 1) == 0)
			mesh_accept(&m, e.p, e.len, 0, 1800000000000ULL, MESH_RELAY);
		buf_release(&e);
		break;
	}
	case 3: {	/* a body signed by the mesh's own node: every decoder runs */
		struct buf	 e;

		buf_init(&e, WIRE_MAX_RECORD);
		if (env_seal(&e, m.sk, m.mesh_id, p + 1, n - 1) == 0)
			mesh_accept(&m, e.p, e.len, 0, 1800000000000ULL, MESH_RELAY);
		buf_release(&e);
		break;
	}
	case 5: {	/* a valid box around any payload, with any stamp, twice */
		struct box_window	 w[2];
		struct buf		 b;

		if (n < 17)
			break;
		memset(w, 0, sizeof(w));
		buf_init(&b, 70000);
		if (box_seal(&b, member_sk + 32, key, be64(p + 1), be64(p + 9),
		    p + 17, n - 17) == 0)
			box_receive(w, b.p, b.len, 2);
		buf_release(&b);
		break;
	}
	case 6:		/* the replay window against its model */
		window_model(p + 1, n - 1);
		break;
	case 4: {	/* token text */
		char		 s[256];
		struct token	 t;
		const char	*why;
		size_t		 k = n - 1 < sizeof(s) - 1 ? n - 1 : sizeof(s) - 1;

		memcpy(s, p + 1, k);
		s[k] = '\0';
		token_decode(s, &t, &why);
		break;
	}
	}
	return 0;
}
