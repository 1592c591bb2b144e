/* token.c: join tokens, and a joiner's proof that it holds one. */
#include <string.h>
#include <sodium.h>

#include "proto/envelope.h"
#include "proto/token.h"

#define RAW	(WIRE_MESH_ID + TOKEN_SEED)
_Static_assert(TOKEN_STRLEN == 72, "token_decode()'s messages say 72");

static const uint8_t	 ctx_tok[8] = ENV_CTX_TOKEN;

static void
token_check(uint8_t out[2], const uint8_t raw[RAW])
{
	uint8_t	 h[16];

	crypto_generichash(h, sizeof(h), raw, RAW, NULL, 0);
	memcpy(out, h, 2);
}

int
token_encode(const struct token *t, char *out, size_t cap)
{
	uint8_t	 raw[RAW + 2];

	if (cap < TOKEN_STRLEN + 1)
		return -1;
	memcpy(raw, t->mesh_id, WIRE_MESH_ID);
	memcpy(raw + WIRE_MESH_ID, t->seed, TOKEN_SEED);
	token_check(raw + RAW, raw);
	memcpy(out, TOKEN_PREFIX, 5);
	sodium_bin2base64(out + 5, cap - 5, raw, sizeof(raw),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
	return 0;
}

/* token_decode - on failure *why says what is wrong with the text. */
int
token_decode(const char *s, struct token *t, const char **why)
{
	uint8_t	 raw[RAW + 2], chk[2];
	size_t	 n;
	int	 rc = -1;

	if (strncmp(s, TOKEN_PREFIX, 5) != 0) {
		*why = "it does not start with \"" TOKEN_PREFIX "\"";
		return -1;
	}
	if (strlen(s) < TOKEN_STRLEN) {
		*why = "it is too short: a token is 72 characters (was it cut "
		    "short when copied?)";
		return -1;
	}
	if (strlen(s) > TOKEN_STRLEN) {
		*why = "it is too long: a token is 72 characters (was something "
		    "copied along with it?)";
		return -1;
	}
	if (sodium_base642bin(raw, sizeof(raw), s + 5, strlen(s + 5), NULL, &n,
	    NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    n != sizeof(raw)) {
		*why = "it is not valid base64url";
		goto out;
	}
	token_check(chk, raw);
	if (sodium_memcmp(chk, raw + RAW, 2) != 0) {
		*why = "its checksum does not match (a typo?)";
		goto out;
	}
	memcpy(t->mesh_id, raw, WIRE_MESH_ID);
	memcpy(t->seed, raw + WIRE_MESH_ID, TOKEN_SEED);
	rc = 0;
out:
	sodium_memzero(raw, sizeof(raw));
	return rc;
}

void
token_keypair(const struct token *t, uint8_t pk[WIRE_KEY],
    uint8_t sk[SECRET_KEY])
{
	crypto_sign_seed_keypair(pk, sk, t->seed);
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
