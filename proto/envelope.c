/* envelope.c: Ed25519 record envelopes, admission links and XChaCha20 boxes. */
#include <string.h>
#include <sodium.h>

#include "proto/envelope.h"

static const uint8_t	 ctx_rec[8] = "rpn1rec";
static const uint8_t	 ctx_crt[8] = "rpn1crt";
static const uint8_t	 ctx_tok[8] = "rpn1tok";

void
mesh_id_of(uint8_t id[WIRE_MESH_ID], const uint8_t root[WIRE_KEY])
{
	crypto_generichash(id, WIRE_MESH_ID, root, WIRE_KEY, NULL, 0);
}

/*
 * The signed message is a context string, the mesh id and the body, so a
 * record can be neither moved to another mesh nor read as another kind of
 * signed object.
 */
static int
rec_msg(struct buf *m, const uint8_t mesh_id[WIRE_MESH_ID], const uint8_t *body,
    size_t len)
{
	buf_init(m, sizeof(ctx_rec) + WIRE_MESH_ID + WIRE_MAX_RECORD);
	buf_put(m, ctx_rec, sizeof(ctx_rec));
	buf_put(m, mesh_id, WIRE_MESH_ID);
	buf_put(m, body, len);
	return m->err ? -1 : 0;
}

int
env_seal(struct buf *out, const uint8_t sk[SECRET_KEY],
    const uint8_t mesh_id[WIRE_MESH_ID], const uint8_t *body, size_t len)
{
	struct buf	 m;
	uint8_t		 sig[WIRE_SIG];
	uint8_t		 magic = ENV_MAGIC;
	int		 rc = -1;

	if (len + ENV_HDR > WIRE_MAX_RECORD)
		return -1;
	if (rec_msg(&m, mesh_id, body, len) == 0 &&
	    crypto_sign_detached(sig, NULL, m.p, m.len, sk) == 0) {
		buf_put(out, &magic, 1);
		buf_put(out, sk + 32, WIRE_KEY);	/* seed || pk */
		buf_put(out, sig, WIRE_SIG);
		buf_put(out, body, len);
		rc = out->err ? -1 : 0;
	}
	buf_release(&m);
	return rc;
}

int
env_peek(const uint8_t *env, size_t len, const uint8_t **author,
    const uint8_t **body, size_t *bodylen)
{
	if (len <= ENV_HDR || len > WIRE_MAX_RECORD || env[0] != ENV_MAGIC)
		return -1;
	*author = env + 1;
	*body = env + ENV_HDR;
	*bodylen = len - ENV_HDR;
	return 0;
}

/* env_open - verify the signature; only then may the caller decode the body. */
int
env_open(const uint8_t *env, size_t len, const uint8_t mesh_id[WIRE_MESH_ID],
    const uint8_t **author, const uint8_t **body, size_t *bodylen)
{
	struct buf	 m;
	int		 rc = -1;

	if (env_peek(env, len, author, body, bodylen) == -1)
		return -1;
	if (rec_msg(&m, mesh_id, *body, *bodylen) == 0 &&
	    crypto_sign_verify_detached(env + 1 + WIRE_KEY, m.p, m.len,
	    *author) == 0)
		rc = 0;
	buf_release(&m);
	return rc;
}

static void
cert_msg(uint8_t m[8 + WIRE_MESH_ID + WIRE_KEY + 8],
    const uint8_t mesh_id[WIRE_MESH_ID], const uint8_t subject[WIRE_KEY],
    uint64_t issued)
{
	memcpy(m, ctx_crt, 8);
	memcpy(m + 8, mesh_id, WIRE_MESH_ID);
	memcpy(m + 8 + WIRE_MESH_ID, subject, WIRE_KEY);
	for (int i = 0; i < 8; i++)
		m[8 + WIRE_MESH_ID + WIRE_KEY + i] =
		    (uint8_t)(issued >> (56 - 8 * i));
}

void
cert_sign(struct wire_cert *c, const uint8_t issuer_sk[SECRET_KEY],
    const uint8_t mesh_id[WIRE_MESH_ID], const uint8_t subject[WIRE_KEY],
    uint64_t issued)
{
	uint8_t	 m[8 + WIRE_MESH_ID + WIRE_KEY + 8];

	memcpy(c->subject, subject, WIRE_KEY);
	c->issued = issued;
	cert_msg(m, mesh_id, subject, issued);
	crypto_sign_detached(c->sig, NULL, m, sizeof(m), issuer_sk);
}

int
cert_verify(const struct wire_cert *c, const uint8_t issuer[WIRE_KEY],
    const uint8_t mesh_id[WIRE_MESH_ID])
{
	uint8_t	 m[8 + WIRE_MESH_ID + WIRE_KEY + 8];

	cert_msg(m, mesh_id, c->subject, c->issued);
	return crypto_sign_verify_detached(c->sig, m, sizeof(m), issuer) == 0 ?
	    0 : -1;
}

/*
 * chain_verify - the root vouches for chain[0].subject, each subject vouches
 * for the next, and the last subject is the one claiming membership.
 */
int
chain_verify(const struct wire_cert *chain, uint8_t n,
    const uint8_t root[WIRE_KEY], const uint8_t mesh_id[WIRE_MESH_ID],
    const uint8_t subject[WIRE_KEY])
{
	const uint8_t	*issuer = root;

	if (n < 1 || n > WIRE_MAX_CHAIN)
		return -1;
	for (uint8_t i = 0; i < n; i++) {
		if (cert_verify(&chain[i], issuer, mesh_id) == -1)
			return -1;
		issuer = chain[i].subject;
	}
	return sodium_memcmp(issuer, subject, WIRE_KEY) == 0 ? 0 : -1;
}

static void
tok_msg(uint8_t m[8 + WIRE_MESH_ID + WIRE_KEY],
    const uint8_t mesh_id[WIRE_MESH_ID], const uint8_t joiner[WIRE_KEY])
{
	memcpy(m, ctx_tok, 8);
	memcpy(m + 8, mesh_id, WIRE_MESH_ID);
	memcpy(m + 8 + WIRE_MESH_ID, joiner, WIRE_KEY);
}

void
token_proof_sign(uint8_t sig[WIRE_SIG], const uint8_t token_sk[SECRET_KEY],
    const uint8_t mesh_id[WIRE_MESH_ID], const uint8_t joiner[WIRE_KEY])
{
	uint8_t	 m[8 + WIRE_MESH_ID + WIRE_KEY];

	tok_msg(m, mesh_id, joiner);
	crypto_sign_detached(sig, NULL, m, sizeof(m), token_sk);
}

int
token_proof_verify(const uint8_t sig[WIRE_SIG], const uint8_t token_pub[WIRE_KEY],
    const uint8_t mesh_id[WIRE_MESH_ID], const uint8_t joiner[WIRE_KEY])
{
	uint8_t	 m[8 + WIRE_MESH_ID + WIRE_KEY];

	tok_msg(m, mesh_id, joiner);
	return crypto_sign_verify_detached(sig, m, sizeof(m), token_pub) == 0 ?
	    0 : -1;
}

/*
 * box_pair_key - the static-static X25519 key of two nodes, from their
 * Ed25519 keys.  Both sides derive the same key; the sender's id is bound as
 * associated data, so a box cannot be reflected back to its sender.
 */
int
box_pair_key(uint8_t key[32], const uint8_t self_sk[SECRET_KEY],
    const uint8_t peer[WIRE_KEY])
{
	uint8_t	 xpk[crypto_box_PUBLICKEYBYTES];
	uint8_t	 xsk[crypto_box_SECRETKEYBYTES];
	int	 rc = -1;

	if (crypto_sign_ed25519_pk_to_curve25519(xpk, peer) == 0 &&
	    crypto_sign_ed25519_sk_to_curve25519(xsk, self_sk) == 0 &&
	    crypto_box_beforenm(key, xpk, xsk) == 0)
		rc = 0;
	sodium_memzero(xsk, sizeof(xsk));
	return rc;
}

int
box_seal(struct buf *out, const uint8_t self[WIRE_KEY], const uint8_t key[32],
    const uint8_t *pt, size_t n)
{
	uint8_t			 hdr[BOX_HDR];
	unsigned long long	 clen;

	hdr[0] = BOX_MAGIC;
	memcpy(hdr + 1, self, WIRE_KEY);
	randombytes_buf(hdr + 1 + WIRE_KEY, BOX_NONCE);
	if (buf_put(out, hdr, sizeof(hdr)) == -1 ||
	    buf_reserve(out, n + crypto_aead_xchacha20poly1305_ietf_ABYTES) == -1)
		return -1;
	crypto_aead_xchacha20poly1305_ietf_encrypt(out->p + out->len, &clen,
	    pt, n, hdr, 1 + WIRE_KEY, NULL, hdr + 1 + WIRE_KEY, key);
	out->len += clen;
	return 0;
}

int
box_sender(const uint8_t *in, size_t len, const uint8_t **sender)
{
	if (len < BOX_OVERHEAD || in[0] != BOX_MAGIC)
		return -1;
	*sender = in + 1;
	return 0;
}

/* box_open - out must hold len - BOX_OVERHEAD bytes. */
int
box_open(const uint8_t *in, size_t len, const uint8_t key[32], uint8_t *out,
    size_t *outlen)
{
	unsigned long long	 mlen;

	if (len < BOX_OVERHEAD || in[0] != BOX_MAGIC)
		return -1;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(out, &mlen, NULL,
	    in + BOX_HDR, len - BOX_HDR, in, 1 + WIRE_KEY, in + 1 + WIRE_KEY,
	    key) != 0)
		return -1;
	*outlen = mlen;
	return 0;
}
