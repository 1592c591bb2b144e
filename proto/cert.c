/* cert.c: admission links: a signature vouching for a new member. */
#include <string.h>
#include <sodium.h>

#include "proto/cert.h"
#include "proto/envelope.h"

static const uint8_t	 ctx_crt[8] = ENV_CTX_CERT;

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
 * cert_chain_verify - the root vouches for chain[0].subject, each subject vouches
 * for the next, and the last subject is the one claiming membership.  A link
 * whose subject is its own issuer vouches for nothing, and is refused: with
 * it a node that left could admit itself again without a token.
 */
int
cert_chain_verify(const struct wire_cert *chain, uint8_t n,
    const uint8_t root[WIRE_KEY], const uint8_t mesh_id[WIRE_MESH_ID],
    const uint8_t subject[WIRE_KEY])
{
	const uint8_t	*issuer = root;

	if (n < 1 || n > WIRE_MAX_CHAIN)
		return -1;
	for (uint8_t i = 0; i < n; i++) {
		if (sodium_memcmp(chain[i].subject, issuer, WIRE_KEY) == 0 ||
		    cert_verify(&chain[i], issuer, mesh_id) == -1)
			return -1;
		issuer = chain[i].subject;
	}
	return sodium_memcmp(issuer, subject, WIRE_KEY) == 0 ? 0 : -1;
}
