/*
 * fuzz-envelope.c: boxes, envelopes and tokens from the network; and, with
 * a valid signature made here, record bodies all the way through mesh_accept().
 */
#include <string.h>

#include "node/mesh.h"
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

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	uint8_t		 out[70000];
	size_t		 outlen;
	const uint8_t	*a, *b;
	size_t		 blen;

	if (!ready)
		setup();
	if (n < 1 || n > 65536)
		return 0;
	switch (p[0] % 5) {
	case 0:		/* a box from anyone */
		if (box_sender(p + 1, n - 1, &a) == 0)
			box_open(p + 1, n - 1, key, out, &outlen);
		break;
	case 1:		/* a signed envelope, most likely forged */
		env_open(p + 1, n - 1, m.mesh_id, &a, &b, &blen);
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
