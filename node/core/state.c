/* state.c: the state file: encode, strictly decode, write atomically. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "node/core/state.h"
#include "proto/compat.h"
#include "proto/mp.h"

#define STATE_FORMAT	1

static int
collect_rec(void *ctx, const struct rec *r)
{
	return store_list_add(ctx, r->env, r->envlen);
}

/* The members' proven addresses: [[id, [addr, ...]], ...], members with none left out. */
static void
encode_proofs(msgpack_packer *pk, const struct mesh *m)
{
	uint32_t	 n = 0;

	for (uint32_t i = 0; i < m->mb.n; i++)
		if (!m->mb.m[i]->self && claims_nproven(&m->mb.m[i]->claims) > 0)
			n++;
	msgpack_pack_array(pk, n);
	for (uint32_t i = 0; i < m->mb.n; i++) {
		const struct member	*mm = m->mb.m[i];
		const struct claims	*c = &mm->claims;

		if (mm->self || claims_nproven(c) == 0)
			continue;
		msgpack_pack_array(pk, 2);
		msgpack_pack_bin_with_body(pk, mm->id, WIRE_KEY);
		msgpack_pack_array(pk, claims_nproven(c));
		for (uint8_t j = 0; j < c->n; j++)
			if (c->a[j].proven)
				wire_addr_encode(pk, &c->a[j].addr);
	}
}

/*
 * state_encode - [format, name, advertise, joined, root, chain, token, left,
 * counter, records, proofs].  Records are the signed envelopes as received
 * (our own included) and the claims about failed members, so a restarted
 * node verifies them all again on load.  Proofs are the members' addresses
 * this node has proven (claims.c), so that a restart does not shut members
 * out of private services until they prove them again; a file written
 * before there were proofs has ten elements and loads with none.
 */
int
state_encode(struct buf *b, const struct mesh *m, const struct wire_addr *adv,
    uint8_t nadv)
{
	msgpack_packer		 pk;
	struct store_list	 l;
	int			 rc = -1;

	memset(&l, 0, sizeof(l));
	if (store_foreach(&m->store, collect_rec, &l) != 0)
		goto out;
	for (uint32_t i = 0; i < m->mb.n; i++)
		if (m->mb.m[i]->notice != NULL &&
		    store_list_add(&l, m->mb.m[i]->notice,
		    m->mb.m[i]->noticelen) == -1)
			goto out;
	mp_packer_init(&pk, b);
	msgpack_pack_array(&pk, 11);
	msgpack_pack_uint8(&pk, STATE_FORMAT);
	mp_pack_str(&pk, m->name);
	msgpack_pack_array(&pk, nadv);
	for (int i = 0; i < nadv; i++)
		wire_addr_encode(&pk, &adv[i]);
	if (m->joined)
		msgpack_pack_true(&pk);
	else
		msgpack_pack_false(&pk);
	if (m->joined)
		msgpack_pack_bin_with_body(&pk, m->root, WIRE_KEY);
	else
		msgpack_pack_nil(&pk);
	if (m->nchain > 0) {
		msgpack_pack_array(&pk, m->nchain);
		for (int i = 0; i < m->nchain; i++)
			wire_cert_encode(&pk, &m->chain[i]);
	} else
		msgpack_pack_nil(&pk);
	if (m->has_token)
		msgpack_pack_bin_with_body(&pk, m->via_token, WIRE_KEY);
	else
		msgpack_pack_nil(&pk);
	if (m->left)
		msgpack_pack_true(&pk);
	else
		msgpack_pack_false(&pk);
	msgpack_pack_uint64(&pk, m->version);
	wire_items_encode(&pk, l.items, l.lens, l.n);
	encode_proofs(&pk, m);
	rc = b->err ? -1 : 0;
out:
	store_list_release(&l);
	return rc;
}

void
state_snap_release(struct state_snap *s)
{
	wire_items_release(&s->records);
	free(s->proofs);
	s->proofs = NULL;
	s->nproofs = 0;
}

static int
decode_proofs(const msgpack_object *o, struct state_snap *s)
{
	const msgpack_object	*a, *e, *aa;
	uint32_t		 n, ne, na;

	if (mp_array(o, 0, STATE_MAX_PROOFS, &a, &n) == -1)
		return -1;
	if (n == 0)
		return 0;
	if ((s->proofs = calloc(n, sizeof(*s->proofs))) == NULL)
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		struct state_proof	*p = &s->proofs[i];

		if (mp_array(&a[i], 2, 2, &e, &ne) == -1 ||
		    mp_bin_exact(&e[0], p->id, WIRE_KEY) == -1 ||
		    mp_array(&e[1], 0, WIRE_MAX_ADDRS, &aa, &na) == -1)
			return -1;
		for (uint32_t j = 0; j < na; j++)
			if (wire_addr_decode(&aa[j], &p->addrs[j]) == -1)
				return -1;
		p->naddrs = (uint8_t)na;
		s->nproofs++;
	}
	return 0;
}

int
state_decode(const uint8_t *p, size_t len, struct state_snap *s)
{
	struct mp_doc		 d;
	const msgpack_object	*a, *aa;
	uint32_t		 n, na, fmt;
	int			 rc = -1;

	memset(s, 0, sizeof(*s));
	if (mp_parse(&d, p, len) == -1)
		return -1;
	if (mp_array(&d.root, 10, 11, &a, &n) == -1 ||
	    mp_u32(&a[0], 255, &fmt) == -1 || fmt != STATE_FORMAT ||
	    mp_str_copy(&a[1], s->name, sizeof(s->name)) == -1 ||
	    (s->name[0] && !wire_name_ok(s->name)) ||
	    mp_array(&a[2], 0, WIRE_MAX_ADDRS, &aa, &na) == -1)
		goto out;
	for (uint32_t i = 0; i < na; i++)
		if (wire_addr_decode(&aa[i], &s->adv[i]) == -1)
			goto out;
	s->nadv = (uint8_t)na;
	if (mp_bool(&a[3], &s->joined) == -1)
		goto out;
	if (s->joined ? mp_bin_exact(&a[4], s->root, WIRE_KEY) == -1 :
	    !mp_is_nil(&a[4]))
		goto out;
	if (!mp_is_nil(&a[5]) &&
	    wire_chain_decode(&a[5], s->chain, &s->nchain) == -1)
		goto out;
	if (s->joined != (s->nchain > 0))
		goto out;
	if (!mp_is_nil(&a[6])) {
		if (mp_bin_exact(&a[6], s->token, WIRE_KEY) == -1)
			goto out;
		s->has_token = 1;
	}
	if (mp_bool(&a[7], &s->left) == -1 ||
	    mp_u64(&a[8], UINT64_MAX, &s->counter) == -1 ||
	    wire_items_decode(&a[9], UINT32_MAX, &s->records) == -1)
		goto out;
	if (n == 11 && decode_proofs(&a[10], s) == -1)
		goto out;
	rc = 0;
out:
	mp_doc_release(&d);
	if (rc == -1)
		state_snap_release(s);
	return rc;
}

/* state_save - write STATE_FILE.tmp, fsync, rename: a crash leaves the old or the new. */
int
state_save(int dirfd, const struct mesh *m, const struct wire_addr *adv,
    uint8_t nadv, char *err, size_t errlen)
{
	struct buf	 b;
	int		 fd, rc = -1;
	size_t		 off = 0;

	buf_init(&b, STATE_MAX);
	if (state_encode(&b, m, adv, nadv) == -1) {
		snprintf(err, errlen, "state: cannot encode (too large?)");
		goto out;
	}
	fd = openat(dirfd, STATE_FILE ".tmp", O_WRONLY | O_CREAT | O_TRUNC |
	    O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1) {
		snprintf(err, errlen, "state: %s", strerror(errno));
		goto out;
	}
	while (off < b.len) {
		ssize_t	 w = write(fd, b.p + off, b.len - off);

		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0) {
			snprintf(err, errlen, "state: write: %s", strerror(errno));
			close(fd);
			goto out;
		}
		off += (size_t)w;
	}
	if (fsync(fd) == -1 || close(fd) == -1 ||
	    renameat(dirfd, STATE_FILE ".tmp", dirfd, STATE_FILE) == -1) {
		snprintf(err, errlen, "state: %s", strerror(errno));
		goto out;
	}
	rc = 0;
out:
	buf_release(&b);
	return rc;
}

int
state_load(int dirfd, struct state_snap *s, int *absent, char *err,
    size_t errlen)
{
	struct buf	 b;
	uint8_t		 chunk[65536];
	int		 fd, rc = -1;
	ssize_t		 n;

	*absent = 0;
	memset(s, 0, sizeof(*s));
	if ((fd = openat(dirfd, STATE_FILE, O_RDONLY | O_CLOEXEC |
	    O_NOFOLLOW)) == -1) {
		if (errno == ENOENT) {
			*absent = 1;
			return 0;
		}
		snprintf(err, errlen, "state: %s", strerror(errno));
		return -1;
	}
	buf_init(&b, STATE_MAX);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		if (buf_put(&b, chunk, (size_t)n) == -1)
			break;
	close(fd);
	if (n < 0 || b.err) {
		snprintf(err, errlen, "state: cannot read it whole");
		goto out;
	}
	if (state_decode(b.p, b.len, s) == -1) {
		snprintf(err, errlen, "state: the file is damaged; move it "
		    "away to start afresh (the node key is kept)");
		goto out;
	}
	rc = 0;
out:
	buf_release(&b);
	return rc;
}
