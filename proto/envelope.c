/* envelope.c: Ed25519 record envelopes, the signed form of every record. */
#include <string.h>
#include <sodium.h>

#include "proto/envelope.h"

static const uint8_t	 ctx_rec[8] = ENV_CTX_REC;

/* env_mesh_id - a mesh's id: the hash of its root key. */
void
env_mesh_id(uint8_t id[WIRE_MESH_ID], const uint8_t root[WIRE_KEY])
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

/* env_msg - the bytes an author signs for a record body (m is initialised). */
int
env_msg(struct buf *m, const uint8_t mesh_id[WIRE_MESH_ID], const uint8_t *body,
    size_t len)
{
	return rec_msg(m, mesh_id, body, len);
}

/*
 * env_assemble - an envelope from a signature made elsewhere (a browser's
 * key over env_msg()); env_open() then checks it as any other.
 */
int
env_assemble(struct buf *out, const uint8_t author[WIRE_KEY],
    const uint8_t sig[WIRE_SIG], const uint8_t *body, size_t len)
{
	uint8_t	 magic = ENV_MAGIC;

	if (len + ENV_HDR > WIRE_MAX_RECORD)
		return -1;
	buf_put(out, &magic, 1);
	buf_put(out, author, WIRE_KEY);
	buf_put(out, sig, WIRE_SIG);
	buf_put(out, body, len);
	return out->err ? -1 : 0;
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
