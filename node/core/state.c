/* state.c: the state file: encode, authenticate, strictly decode, write atomically. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>

#include "node/core/state.h"
#include "proto/compat.h"
#include "proto/mp.h"

#define STATE_FORMAT	1	/* the payload */
#define STATE_WRAPPED	2	/* the file: [2, payload, MAC] */
#define STATE_MAC_CTX	"rpn1 state file MAC"
/* [2, bin32 payload, bin8 MAC]: the bytes around the payload, fixed. */
#define WRAP_HEAD	7	/* 0x93 0x02 0xc6 len32 */
#define WRAP_TAIL	(2 + STATE_MAC)	/* 0xc4 0x20 MAC */

static int
collect_rec(void *ctx, const struct rec *r)
{
	return store_list_add_rec(ctx, r);
}

/* The members' proven addresses: [[id, [addr, ...]], ...], members with none left out. */
static void
encode_proofs(msgpack_packer *pk, const struct mesh *m)
{
	uint32_t	 n = 0;

	for (uint32_t i = 0; i < m->mb.n; i++)
		if (!m->mb.m[i]->self && claims_nproven(m->mb.m[i]->claims) > 0)
			n++;
	msgpack_pack_array(pk, n);
	for (uint32_t i = 0; i < m->mb.n; i++) {
		const struct member	*mm = m->mb.m[i];
		const struct claims	*c = mm->claims;

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
 * state_encode - the payload: [format, name, advertise, joined, root,
 * chain, token, left, counter, records, proofs].  Records are the signed
 * envelopes as received (our own included) and the claims about failed
 * members; a restarted node takes them as verified when the file's MAC
 * checks (state_wrap), and verifies each again otherwise.  Proofs are the members' addresses
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
	wire_items_encode(&pk, l.authors, l.items, l.lens, l.n);
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

/*
 * decode - the payload p (len bytes).  With file, p lies within it (size
 * bytes, the whole file as read) and is decoded in place: the records are
 * offsets into file, and s->records.buf is NULL until the caller hands
 * file over (see state_decode_file_in()).  Without, s gets copies.
 */
static int
decode(const uint8_t *p, size_t len, uint8_t *file, size_t size,
    struct state_snap *s)
{
	struct mp_doc		 d;
	const msgpack_object	*a, *aa;
	uint32_t		 n, na, fmt;
	int			 rc = -1;

	memset(s, 0, sizeof(*s));
	if ((file != NULL ? mp_parse_in(&d, p, len) : mp_parse(&d, p, len)) == -1)
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
	    (file != NULL ? wire_items_decode_in(&a[9], UINT32_MAX, file, size,
	    &s->records) : wire_items_decode(&a[9], UINT32_MAX,
	    &s->records)) == -1)
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

int
state_decode(const uint8_t *p, size_t len, struct state_snap *s)
{
	return decode(p, len, NULL, 0, s);
}

/*
 * state_mac_key - the key that authenticates this node's state file:
 * BLAKE2b keyed with the node's secret key over a context string, so it
 * is bound to this node and serves nothing else.
 */
void
state_mac_key(uint8_t key[STATE_MAC], const uint8_t sk[SECRET_KEY])
{
	crypto_generichash(key, STATE_MAC, (const uint8_t *)STATE_MAC_CTX,
	    sizeof(STATE_MAC_CTX) - 1, sk, SECRET_KEY);
}

static void
wrap_mac(uint8_t mac[STATE_MAC], const uint8_t *p, size_t len,
    const uint8_t key[STATE_MAC])
{
	crypto_generichash(mac, STATE_MAC, p, len, key, STATE_MAC);
}

/*
 * wrap_seal - b holds WRAP_HEAD bytes from start, then the payload: fill
 * in the head and append the MAC.
 */
static int
wrap_seal(struct buf *b, size_t start, const uint8_t key[STATE_MAC])
{
	uint8_t	*h, tail[2] = { 0xc4, STATE_MAC };
	uint8_t	 mac[STATE_MAC];
	size_t	 len;

	if (b->err || b->len < start + WRAP_HEAD ||
	    (len = b->len - start - WRAP_HEAD) > UINT32_MAX)
		return -1;
	h = b->p + start;
	h[0] = 0x93;
	h[1] = STATE_WRAPPED;
	h[2] = 0xc6;
	h[3] = (uint8_t)(len >> 24);
	h[4] = (uint8_t)(len >> 16);
	h[5] = (uint8_t)(len >> 8);
	h[6] = (uint8_t)len;
	wrap_mac(mac, h, WRAP_HEAD + len, key);
	if (buf_put(b, tail, sizeof(tail)) == -1 ||
	    buf_put(b, mac, sizeof(mac)) == -1)
		return -1;
	return 0;
}

/*
 * state_wrap - the file as written: a msgpack array [2, payload, MAC],
 * always with the same framing (bin 32 for the payload), where MAC is
 * keyed BLAKE2b-256 over every byte before the MAC's own header.
 */
int
state_wrap(struct buf *b, const uint8_t *payload, size_t len,
    const uint8_t key[STATE_MAC])
{
	uint8_t	 head[WRAP_HEAD] = { 0 };
	size_t	 start = b->len;

	if (buf_put(b, head, sizeof(head)) == -1 ||
	    buf_put(b, payload, len) == -1)
		return -1;
	return wrap_seal(b, start, key);
}

/*
 * state_unwrap - find the payload in a file's bytes and say how far it is
 * trusted (enum state_trust): a format-1 file is its own payload; a
 * wrapped one must have exactly the framing state_wrap() writes, and is
 * trusted only when its MAC checks with key (NULL: not checked).  -1: a
 * wrapped file with any other framing.
 */
int
state_unwrap(const uint8_t *p, size_t len, const uint8_t key[STATE_MAC],
    const uint8_t **payload, size_t *plen)
{
	uint8_t	 mac[STATE_MAC];
	size_t	 n;

	if (len < 1 || p[0] != 0x93) {
		*payload = p;
		*plen = len;
		return STATE_OLD;
	}
	if (len < WRAP_HEAD + WRAP_TAIL || p[1] != STATE_WRAPPED ||
	    p[2] != 0xc6)
		return -1;
	n = (size_t)p[3] << 24 | (size_t)p[4] << 16 | (size_t)p[5] << 8 | p[6];
	if (n != len - WRAP_HEAD - WRAP_TAIL || p[WRAP_HEAD + n] != 0xc4 ||
	    p[WRAP_HEAD + n + 1] != STATE_MAC)
		return -1;
	*payload = p + WRAP_HEAD;
	*plen = n;
	if (key == NULL)
		return STATE_UNCHECKED;
	wrap_mac(mac, p, WRAP_HEAD + n, key);
	return crypto_verify_32(mac, p + WRAP_HEAD + n + 2) == 0 ?
	    STATE_TRUSTED : STATE_MAC_BAD;
}

static int
unwrap_decode(const uint8_t *p, size_t len, uint8_t *file,
    const uint8_t key[STATE_MAC], struct state_snap *s)
{
	const uint8_t	*payload;
	size_t		 plen;
	int		 t;

	memset(s, 0, sizeof(*s));
	if ((t = state_unwrap(p, len, key, &payload, &plen)) == -1 ||
	    decode(payload, plen, file, len, s) == -1)
		return -1;
	s->trust = (enum state_trust)t;
	return 0;
}

/* state_decode_file - a state file's bytes: unwrapped, decoded, trust noted. */
int
state_decode_file(const uint8_t *p, size_t len, const uint8_t key[STATE_MAC],
    struct state_snap *s)
{
	return unwrap_decode(p, len, NULL, key, s);
}

/*
 * state_decode_file_in - the same, decoded where file (len bytes, from
 * malloc()) lies: the records are offsets into it.  On success the caller
 * hands file over with s->records.buf = file (state_snap_release() then
 * frees it); file stays the caller's until then, and on failure.
 */
int
state_decode_file_in(uint8_t *file, size_t len, const uint8_t key[STATE_MAC],
    struct state_snap *s)
{
	return unwrap_decode(file, len, file, key, s);
}

/* state_save - write STATE_FILE.tmp, fsync, rename: a crash leaves the old or the new. */
int
state_save(int dirfd, const struct mesh *m, const struct wire_addr *adv,
    uint8_t nadv, char *err, size_t errlen)
{
	struct buf	 b;
	uint8_t		 key[STATE_MAC], head[WRAP_HEAD] = { 0 };
	int		 fd, rc = -1;
	size_t		 off = 0;

	/* The payload is encoded in place, after room for the head. */
	buf_init(&b, STATE_MAX);
	state_mac_key(key, m->sk);
	if (buf_reserve(&b, (size_t)m->store.live * 160 < STATE_MAX / 2 ?
	    (size_t)m->store.live * 160 + 4096 : STATE_MAX / 2) == -1 ||
	    buf_put(&b, head, sizeof(head)) == -1 ||
	    state_encode(&b, m, adv, nadv) == -1 ||
	    wrap_seal(&b, 0, key) == -1) {
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
	sodium_memzero(key, sizeof(key));
	buf_release(&b);
	return rc;
}

/*
 * state_load - read and decode the state file; with sk, check its MAC
 * (s->trust says the outcome).  *absent when there is none.  err says
 * what is wrong with the file, without naming it.
 */
int
state_load(int dirfd, const uint8_t sk[SECRET_KEY], struct state_snap *s,
    int *absent, char *err, size_t errlen)
{
	struct stat	 sb;
	uint8_t		 key[STATE_MAC];
	uint8_t		*file = NULL;
	size_t		 size = 0, got = 0;
	int		 fd, rc = -1;
	ssize_t		 n = 0;

	*absent = 0;
	memset(s, 0, sizeof(*s));
	/* (O_NONBLOCK: a FIFO in its place must not hang the start) */
	if ((fd = openat(dirfd, STATE_FILE, O_RDONLY | O_CLOEXEC |
	    O_NOFOLLOW | O_NONBLOCK)) == -1) {
		if (errno == ENOENT) {
			*absent = 1;
			return 0;
		}
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "not a regular file");
		close(fd);
		return -1;
	}
	/*
	 * Read whole into one buffer of its size (the file is replaced by a
	 * rename, never written in place), and decoded there: at 100k
	 * services it is 20 MB, and each copy of it cost a restart tens of
	 * milliseconds, most of them faulting in fresh pages.
	 */
	if (sb.st_size < 0 || (uint64_t)sb.st_size > STATE_MAX ||
	    (file = malloc((size = (size_t)sb.st_size) + 1)) == NULL)
		n = -1;
	while (n != -1 && got < size) {
		if ((n = read(fd, file + got, size - got)) == -1 &&
		    errno == EINTR)
			n = 0;
		else if (n <= 0)
			n = -1;
		else
			got += (size_t)n;
	}
	close(fd);
	if (n == -1) {
		snprintf(err, errlen, "cannot read it whole");
		goto out;
	}
	if (sk != NULL)
		state_mac_key(key, sk);
	if (state_decode_file_in(file, size, sk != NULL ? key : NULL, s) == -1) {
		snprintf(err, errlen, "it is damaged; move it away to start "
		    "afresh (the node key is kept)");
		goto out;
	}
	s->records.buf = file;	/* the records lie in it: s holds it */
	file = NULL;
	rc = 0;
out:
	sodium_memzero(key, sizeof(key));
	free(file);
	return rc;
}
