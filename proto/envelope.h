/* envelope.h: signed records, admission certificates and sealed boxes (libsodium). */
#ifndef RPN_ENVELOPE_H
#define RPN_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include "proto/buf.h"
#include "proto/wire.h"

#define ENV_MAGIC	0xe1
#define ENV_HDR		(1 + WIRE_KEY + WIRE_SIG)
#define BOX_MAGIC	0xb1
#define PLAIN_MAGIC	0xa1
#define BOX_NONCE	24
#define BOX_HDR		(1 + WIRE_KEY + BOX_NONCE)
#define BOX_OVERHEAD	(BOX_HDR + 16)
#define SECRET_KEY	64	/* libsodium Ed25519 secret key: seed || pk */

void	mesh_id_of(uint8_t id[WIRE_MESH_ID], const uint8_t root[WIRE_KEY]);

/* A record envelope is ENV_MAGIC || author || signature || body. */
int	env_seal(struct buf *, const uint8_t sk[SECRET_KEY],
	    const uint8_t mesh_id[WIRE_MESH_ID], const uint8_t *body, size_t len);
int	env_open(const uint8_t *, size_t, const uint8_t mesh_id[WIRE_MESH_ID],
	    const uint8_t **author, const uint8_t **body, size_t *bodylen);
int	env_peek(const uint8_t *, size_t, const uint8_t **author,
	    const uint8_t **body, size_t *bodylen);

void	cert_sign(struct wire_cert *, const uint8_t issuer_sk[SECRET_KEY],
	    const uint8_t mesh_id[WIRE_MESH_ID], const uint8_t subject[WIRE_KEY],
	    uint64_t issued);
int	cert_verify(const struct wire_cert *, const uint8_t issuer[WIRE_KEY],
	    const uint8_t mesh_id[WIRE_MESH_ID]);
int	chain_verify(const struct wire_cert *, uint8_t n,
	    const uint8_t root[WIRE_KEY], const uint8_t mesh_id[WIRE_MESH_ID],
	    const uint8_t subject[WIRE_KEY]);

void	token_proof_sign(uint8_t sig[WIRE_SIG], const uint8_t token_sk[SECRET_KEY],
	    const uint8_t mesh_id[WIRE_MESH_ID], const uint8_t joiner[WIRE_KEY]);
int	token_proof_verify(const uint8_t sig[WIRE_SIG],
	    const uint8_t token_pub[WIRE_KEY], const uint8_t mesh_id[WIRE_MESH_ID],
	    const uint8_t joiner[WIRE_KEY]);

/*
 * A box is BOX_MAGIC || sender || nonce || XChaCha20-Poly1305(payload), keyed
 * by the pair key of sender and receiver, with the first 33 bytes as
 * associated data.
 */
int	box_pair_key(uint8_t key[32], const uint8_t self_sk[SECRET_KEY],
	    const uint8_t peer[WIRE_KEY]);
int	box_seal(struct buf *, const uint8_t self[WIRE_KEY], const uint8_t key[32],
	    const uint8_t *, size_t);
int	box_sender(const uint8_t *, size_t, const uint8_t **sender);
int	box_open(const uint8_t *, size_t, const uint8_t key[32], uint8_t *out,
	    size_t *outlen);

#endif
