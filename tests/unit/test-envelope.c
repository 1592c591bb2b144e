/* test-envelope.c: signatures, admission chains, sealed boxes and tokens. */
#include <stdio.h>
#include <string.h>
#include <sodium.h>

#include "proto/box.h"
#include "proto/cert.h"
#include "proto/envelope.h"
#include "proto/parse.h"
#include "proto/token.h"
#include "tests/unit/test.h"

static void
keypair(uint8_t pk[WIRE_KEY], uint8_t sk[SECRET_KEY])
{
	crypto_sign_keypair(pk, sk);
}

TEST(env_seal_open_tamper)
{
	uint8_t		 pk[WIRE_KEY], sk[SECRET_KEY], mid[WIRE_MESH_ID];
	uint8_t		 other[WIRE_MESH_ID];
	const uint8_t	*author, *body;
	size_t		 bodylen;
	struct buf	 e;

	keypair(pk, sk);
	memset(mid, 1, sizeof(mid));
	memset(other, 2, sizeof(other));
	buf_init(&e, WIRE_MAX_RECORD);
	ASSERT_EQ(env_seal(&e, sk, mid, (const uint8_t *)"hello", 5), 0);
	ASSERT_EQ(env_open(e.p, e.len, mid, &author, &body, &bodylen), 0);
	ASSERT_MEM_EQ(author, pk, WIRE_KEY);
	ASSERT_EQ(bodylen, 5);
	/* another mesh does not accept it */
	ASSERT_EQ(env_open(e.p, e.len, other, &author, &body, &bodylen), -1);
	/* every single-bit flip is caught */
	for (size_t i = 0; i < e.len; i++) {
		e.p[i] ^= 0x01;
		ASSERT_EQ(env_open(e.p, e.len, mid, &author, &body, &bodylen), -1);
		e.p[i] ^= 0x01;
	}
	ASSERT_EQ(env_open(e.p, e.len - 1, mid, &author, &body, &bodylen), -1);
	buf_release(&e);
}

TEST(chain_verify_links)
{
	uint8_t		 rpk[WIRE_KEY], rsk[SECRET_KEY], apk[WIRE_KEY],
			 ask[SECRET_KEY], bpk[WIRE_KEY], bsk[SECRET_KEY],
			 mid[WIRE_MESH_ID];
	struct wire_cert c[2];

	keypair(rpk, rsk);
	keypair(apk, ask);
	keypair(bpk, bsk);
	env_mesh_id(mid, rpk);
	cert_sign(&c[0], rsk, mid, apk, 100);
	cert_sign(&c[1], ask, mid, bpk, 101);
	ASSERT_EQ(cert_chain_verify(c, 1, rpk, mid, apk), 0);
	ASSERT_EQ(cert_chain_verify(c, 2, rpk, mid, bpk), 0);
	/* the chain names a different subject */
	ASSERT_EQ(cert_chain_verify(c, 2, rpk, mid, apk), -1);
	/* b cannot vouch for itself from the root */
	ASSERT_EQ(cert_chain_verify(&c[1], 1, rpk, mid, bpk), -1);
	{
		struct wire_cert self[3] = { c[0], c[1] };

		/* nor by a link it signed for itself */
		cert_sign(&self[2], bsk, mid, bpk, 102);
		ASSERT_EQ(cert_chain_verify(self, 3, rpk, mid, bpk), -1);
	}
	/* a changed issue time breaks the link */
	c[1].issued++;
	ASSERT_EQ(cert_chain_verify(c, 2, rpk, mid, bpk), -1);
	ASSERT_EQ(cert_chain_verify(c, 0, rpk, mid, bpk), -1);
}

TEST(box_seal_open_reflect)
{
	uint8_t		 apk[WIRE_KEY], ask[SECRET_KEY], bpk[WIRE_KEY],
			 bsk[SECRET_KEY], kab[32], kba[32], out[64];
	const uint8_t	*sender;
	uint64_t	 epoch, ctr;
	size_t		 n;
	struct buf	 b;

	keypair(apk, ask);
	keypair(bpk, bsk);
	ASSERT_EQ(box_pair_key(kab, ask, bpk), 0);
	ASSERT_EQ(box_pair_key(kba, bsk, apk), 0);
	ASSERT_MEM_EQ(kab, kba, 32);
	buf_init(&b, 256);
	ASSERT_EQ(box_seal(&b, apk, kab, 1795592445743ULL, 0x0102030405060708ULL,
	    (const uint8_t *)"ping", 4), 0);
	ASSERT_EQ(b.len, 4 + BOX_OVERHEAD);
	ASSERT_EQ(b.p[0], BOX_MAGIC);
	ASSERT_EQ(box_peek(b.p, b.len, &sender, &epoch, &ctr), 0);
	ASSERT_MEM_EQ(sender, apk, WIRE_KEY);
	ASSERT_UEQ(epoch, 1795592445743ULL);
	ASSERT_UEQ(ctr, 0x0102030405060708ULL);
	/* the stamp is big-endian, right after the sender */
	ASSERT_EQ(b.p[1 + WIRE_KEY + 8], 0x01);
	ASSERT_EQ(b.p[1 + WIRE_KEY + 15], 0x08);
	ASSERT_EQ(box_open(b.p, b.len, kba, out, &n), 0);
	ASSERT_EQ(n, 4);
	ASSERT_MEM_EQ(out, "ping", 4);
	/* Reflected to its sender with the sender field rewritten: refused. */
	memcpy(b.p + 1, bpk, WIRE_KEY);
	ASSERT_EQ(box_open(b.p, b.len, kab, out, &n), -1);
	memcpy(b.p + 1, apk, WIRE_KEY);
	/* The stamp is authenticated: a replay cannot pose as a newer box. */
	for (int i = 1 + WIRE_KEY; i < BOX_AD; i++) {
		b.p[i] ^= 0x01;
		ASSERT_EQ(box_open(b.p, b.len, kba, out, &n), -1);
		b.p[i] ^= 0x01;
	}
	ASSERT_EQ(box_open(b.p, b.len, kba, out, &n), 0);
	b.p[b.len - 1] ^= 0x80;
	ASSERT_EQ(box_open(b.p, b.len, kba, out, &n), -1);
	b.p[b.len - 1] ^= 0x80;
	/* The format before stamps is refused before any work, never opened. */
	b.p[0] = BOX_MAGIC_V1;
	ASSERT_EQ(box_peek(b.p, b.len, &sender, &epoch, &ctr), -1);
	ASSERT_EQ(box_open(b.p, b.len, kba, out, &n), -1);
	b.p[0] = BOX_MAGIC;
	/* too short to hold a header and a tag */
	ASSERT_EQ(box_peek(b.p, BOX_OVERHEAD - 1, &sender, &epoch, &ctr), -1);
	ASSERT_EQ(box_open(b.p, BOX_OVERHEAD - 1, kba, out, &n), -1);
	buf_release(&b);
	/* An invalid point is refused instead of giving a weak key. */
	memset(bpk, 0, sizeof(bpk));
	ASSERT_EQ(box_pair_key(kab, ask, bpk), -1);
}

TEST(token_roundtrip_and_errors)
{
	struct token	 t, u;
	char		 s[TOKEN_STRLEN + 1], bad[TOKEN_STRLEN + 1];
	const char	*why;
	uint8_t		 pk[WIRE_KEY], sk[SECRET_KEY], mid[WIRE_MESH_ID],
			 joiner[WIRE_KEY], sig[WIRE_SIG];

	memset(&t, 0, sizeof(t));
	randombytes_buf(&t, sizeof(t));
	ASSERT_EQ(token_encode(&t, s, sizeof(s)), 0);
	ASSERT_EQ(strlen(s), TOKEN_STRLEN);
	ASSERT_EQ(token_decode(s, &u, &why), 0);
	ASSERT_MEM_EQ(&t, &u, sizeof(t));
	ASSERT_EQ(token_decode("hello", &u, &why), -1);
	ASSERT_EQ(token_decode("rpn1_short", &u, &why), -1);
	ASSERT(strstr(why, "too short") != NULL);
	ASSERT(strstr(why, "72 characters") != NULL);
	strcpy(bad, s);
	bad[TOKEN_STRLEN - 1] = '\0';		/* one character short */
	ASSERT_EQ(token_decode(bad, &u, &why), -1);
	ASSERT(strstr(why, "too short") != NULL);
	/* longer: something came along (a space, a CR), not cut short */
	{
		char	 longer[TOKEN_STRLEN + 3];

		snprintf(longer, sizeof(longer), "%s \r", s);
		ASSERT_EQ(token_decode(longer, &u, &why), -1);
		ASSERT(strstr(why, "too long") != NULL);
		ASSERT(strstr(why, "cut short") == NULL);
		/* as rpn takes it from the command line: trimmed */
		ASSERT_EQ(token_decode(parse_trim(longer), &u, &why), 0);
		ASSERT_MEM_EQ(&t, &u, sizeof(t));
	}
	strcpy(bad, s);
	bad[20] = bad[20] == 'A' ? 'B' : 'A';	/* a typo */
	ASSERT_EQ(token_decode(bad, &u, &why), -1);
	ASSERT(strstr(why, "checksum") != NULL);
	strcpy(bad, s);
	bad[30] = '*';
	ASSERT_EQ(token_decode(bad, &u, &why), -1);

	token_keypair(&t, pk, sk);
	memcpy(mid, t.mesh_id, sizeof(mid));
	memset(joiner, 7, sizeof(joiner));
	token_proof_sign(sig, sk, mid, joiner);
	ASSERT_EQ(token_proof_verify(sig, pk, mid, joiner), 0);
	joiner[0] ^= 1;
	ASSERT_EQ(token_proof_verify(sig, pk, mid, joiner), -1);
}
