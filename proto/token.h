/* token.h: join tokens, "rpn1_" + base64url(mesh id || secret seed || check). */
#ifndef RPN_TOKEN_H
#define RPN_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "proto/wire.h"

#define TOKEN_PREFIX	"rpn1_"
#define TOKEN_SEED	32
#define TOKEN_STRLEN	(5 + 67)	/* prefix + base64url of 50 bytes */

struct token {
	uint8_t	mesh_id[WIRE_MESH_ID];
	uint8_t	seed[TOKEN_SEED];
};

int	token_encode(const struct token *, char *out, size_t cap);
int	token_decode(const char *, struct token *, const char **why);
void	token_keypair(const struct token *, uint8_t pk[WIRE_KEY],
	    uint8_t sk[SECRET_KEY]);

/* A joiner proves it holds a token: it signs the mesh id and its key. */
void	token_proof_sign(uint8_t sig[WIRE_SIG],
	    const uint8_t token_sk[SECRET_KEY], const uint8_t mesh_id[WIRE_MESH_ID],
	    const uint8_t joiner[WIRE_KEY]);
int	token_proof_verify(const uint8_t sig[WIRE_SIG],
	    const uint8_t token_pub[WIRE_KEY], const uint8_t mesh_id[WIRE_MESH_ID],
	    const uint8_t joiner[WIRE_KEY]);

#endif
