/* envelope.h: signed records (Ed25519), and every signature's context. */
#ifndef RPN_ENVELOPE_H
#define RPN_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include "proto/buf.h"
#include "proto/wire.h"

#define ENV_MAGIC	0xe1
#define ENV_HDR		(1 + WIRE_KEY + WIRE_SIG)

/*
 * Every signature covers one of these (8 bytes with the NUL) before
 * anything else, so that no kind of signed object can be read as another:
 * records (envelope.c), admission links (cert.c) and token proofs (token.c).
 */
#define ENV_CTX_REC	"rpn1rec"
#define ENV_CTX_CERT	"rpn1crt"
#define ENV_CTX_TOKEN	"rpn1tok"

void	env_mesh_id(uint8_t id[WIRE_MESH_ID], const uint8_t root[WIRE_KEY]);

/* A record envelope is ENV_MAGIC || author || signature || body. */
int	env_seal(struct buf *, const uint8_t sk[SECRET_KEY],
	    const uint8_t mesh_id[WIRE_MESH_ID], const uint8_t *body, size_t len);
int	env_msg(struct buf *, const uint8_t mesh_id[WIRE_MESH_ID],
	    const uint8_t *body, size_t len);
int	env_assemble(struct buf *, const uint8_t author[WIRE_KEY],
	    const uint8_t sig[WIRE_SIG], const uint8_t *body, size_t len);
int	env_open(const uint8_t *, size_t, const uint8_t mesh_id[WIRE_MESH_ID],
	    const uint8_t **author, const uint8_t **body, size_t *bodylen);
int	env_peek(const uint8_t *, size_t, const uint8_t **author,
	    const uint8_t **body, size_t *bodylen);

#endif
