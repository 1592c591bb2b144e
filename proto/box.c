/* box.c: boxes between two members, and the receiver's replay window. */
#include <string.h>
#include <sodium.h>

#include "proto/box.h"

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

static void
put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static uint64_t
get_be64(const uint8_t *p)
{
	uint64_t	 v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/*
 * box_seal - the stamp (epoch, ctr) travels in the clear but inside the
 * associated data, so it cannot be changed without the box failing to open.
 * The nonce stays random: the pair key is the same in both directions, so a
 * nonce made from the stamp alone could repeat between the two senders.
 */
int
box_seal(struct buf *out, const uint8_t self[WIRE_KEY], const uint8_t key[32],
    uint64_t epoch, uint64_t ctr, const uint8_t *pt, size_t n)
{
	uint8_t			 hdr[BOX_HDR];
	unsigned long long	 clen;

	hdr[0] = BOX_MAGIC;
	memcpy(hdr + 1, self, WIRE_KEY);
	put_be64(hdr + 1 + WIRE_KEY, epoch);
	put_be64(hdr + 1 + WIRE_KEY + 8, ctr);
	randombytes_buf(hdr + BOX_AD, BOX_NONCE);
	if (buf_put(out, hdr, sizeof(hdr)) == -1 ||
	    buf_reserve(out, n + crypto_aead_xchacha20poly1305_ietf_ABYTES) == -1)
		return -1;
	crypto_aead_xchacha20poly1305_ietf_encrypt(out->p + out->len, &clen,
	    pt, n, hdr, BOX_AD, NULL, hdr + BOX_AD, key);
	out->len += clen;
	return 0;
}

/*
 * box_peek - the sender and its stamp, unauthenticated: enough to pick the
 * key and to refuse a replay before any work, never to act on.
 */
int
box_peek(const uint8_t *in, size_t len, const uint8_t **sender,
    uint64_t *epoch, uint64_t *ctr)
{
	if (len < BOX_OVERHEAD || in[0] != BOX_MAGIC)
		return -1;
	*sender = in + 1;
	*epoch = get_be64(in + 1 + WIRE_KEY);
	*ctr = get_be64(in + 1 + WIRE_KEY + 8);
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
	    in + BOX_HDR, len - BOX_HDR, in, BOX_AD, in + BOX_AD, key) != 0)
		return -1;
	*outlen = mlen;
	return 0;
}

/*
 * box_window_check - has this stamp from one sender been seen?  Pure: the
 * caller opens the box and only then calls box_window_mark(), so a forged
 * stamp never moves the window.
 *
 * Stamps are compared per sender only.  A stamp far ahead (a huge epoch or
 * counter) can only come from the holder of the sender's key, since it must
 * authenticate before it is marked; it shuts out that sender's own later
 * traffic and nobody else's, which its key holder could do anyway by staying
 * silent.  So there is no bound on how far ahead a stamp may be, and no
 * comparison with this node's clock.  A replay carries a stamp that was
 * genuine once, so it can never be ahead of what its sender has sent since.
 *
 * min_epoch is the sender's incarnation as this node knows it from its
 * signed node record: a box sealed before that incarnation is from an
 * earlier life of the sender and is refused even by a fresh window (after
 * this node restarted).
 */
enum box_verdict
box_window_check(const struct box_window *w, uint64_t min_epoch,
    uint64_t epoch, uint64_t ctr)
{
	uint64_t	 word;

	if (epoch < min_epoch)
		return BOXW_OLD;
	if (!w->used || epoch > w->epoch)
		return BOXW_NEW;
	if (epoch < w->epoch)
		return BOXW_OLD;
	if (ctr > w->top)
		return BOXW_NEW;
	if (w->top - ctr >= BOX_WINDOW)
		return BOXW_OLD;
	word = w->bits[(ctr / 64) % BOX_WIN_WORDS];
	return word & (1ULL << (ctr % 64)) ? BOXW_DUP : BOXW_NEW;
}

/*
 * box_windows_check - a receiver keeps two windows per sender, one for
 * datagrams and one for stream frames (a large frame is easily overtaken by
 * datagrams sealed after it, and must not be taken for a replay).  A box is
 * checked against the window of its own kind, with the other as a second
 * opinion: a stamp seen there is a box moved from one kind to the other; an
 * epoch older than one seen there is from an earlier life of the sender;
 * and while the own window is empty, a stamp the other finds too old is
 * refused too, since a receiver that restarted hears a sender's datagrams
 * long before the sender opens a stream to it again.
 */
enum box_verdict
box_windows_check(const struct box_window *own, const struct box_window *other,
    uint64_t min_epoch, uint64_t epoch, uint64_t ctr)
{
	enum box_verdict	 v = box_window_check(own, min_epoch, epoch, ctr);
	enum box_verdict	 o;

	if (v != BOXW_NEW)
		return v;
	o = box_window_check(other, min_epoch, epoch, ctr);
	if (o == BOXW_DUP || (o == BOXW_OLD && (!own->used ||
	    epoch < other->epoch)))
		return o;
	return BOXW_NEW;
}

/* box_window_mark - remember an authenticated stamp that box_window_check() found new. */
void
box_window_mark(struct box_window *w, uint64_t epoch, uint64_t ctr)
{
	if (!w->used || epoch > w->epoch) {
		/* A new life of the sender: its old stamps no longer matter. */
		memset(w->bits, 0, sizeof(w->bits));
		w->used = 1;
		w->epoch = epoch;
		w->top = ctr;
	} else if (epoch < w->epoch)
		return;
	else if (ctr > w->top) {
		uint64_t	 from = w->top / 64, to = ctr / 64;

		/* Words between the old top and the new one now hold nothing seen. */
		for (uint64_t i = 1; i <= to - from && i <= BOX_WIN_WORDS; i++)
			w->bits[(from + i) % BOX_WIN_WORDS] = 0;
		w->top = ctr;
	} else if (w->top - ctr >= BOX_WINDOW)
		return;
	w->bits[(ctr / 64) % BOX_WIN_WORDS] |= 1ULL << (ctr % 64);
}
