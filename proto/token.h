/* token.h: join tokens, "rpn1_" + base64url(mesh id || secret seed || check). */
#ifndef RPN_TOKEN_H
#define RPN_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "proto/envelope.h"

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

#endif
